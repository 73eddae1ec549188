"""The compute a run has spent, so that quality can be read per second and per image, not only per iteration,
and a training-time budget, so that runs compare at equal compute (a 3x slower loss cannot win by taking 3x
longer)."""

import logging
import time
from collections.abc import Callable

import pytorch_lightning as pl

from gan_lightning.core.curves import tag
from gan_lightning.core.iterations import completed_iterations, is_logging_iteration
from gan_lightning.data.labels import split_batch
from gan_lightning.gan.protocol import GANModule
from gan_lightning.loggers.handoff import log_iteration

log = logging.getLogger(__name__)


def budget_iterations(trainer: pl.Trainer, d_steps: int) -> float:
    """The iteration the run stops at by its iteration or epoch budget (inf without either)."""
    if trainer.max_steps is not None and trainer.max_steps > 0:
        return completed_iterations(trainer.max_steps, d_steps)
    if trainer.max_epochs is not None and trainer.max_epochs > 0:
        return trainer.max_epochs * trainer.num_training_batches
    return float("inf")


class ComputeClock(pl.Callback):
    """Logs the training's wall-clock seconds and the real images D has seen, on the logging iterations.

    Both continue across a resume (they travel in the checkpoint); validation and downtime are not counted.
    With `budget_minutes`, training stops after the first iteration that ends past that many minutes (then the
    final weights are validated and tested as after any run); the iteration budget still caps it. After the
    first `estimate_after` iterations of a run it logs how many training minutes the rest of the budget takes
    at the rate measured so far.
    """

    def __init__(self, budget_minutes: float | None = None, estimate_after: int = 50) -> None:
        self.estimate_after = estimate_after
        self._estimate_from: tuple[int, float] | None = None  # (iteration, seconds) where this run started
        # The time source, in seconds; tests replace it with a clock they advance by known amounts.
        self.timer: Callable[[], float] = time.perf_counter
        self.budget_s = None if budget_minutes is None else 60 * budget_minutes
        self.seconds_before = 0.0  # spent by the runs this one resumes
        self.images_seen = 0
        self._started: float | None = None
        self._paused = False  # by a validation inside the training epoch

    @property
    def seconds(self) -> float:
        running = self.timer() - self._started if self._started is not None else 0.0
        return self.seconds_before + running

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self._started = self.timer()
        if self._estimate_from is None:
            self._estimate_from = (pl_module.iteration, self.seconds)

    def log_estimate(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        """`12.5 iterations/s over the first 50: about 6.6 more training minutes (to iteration 5000)`."""
        start_iteration, start_seconds = self._estimate_from
        done, spent = pl_module.iteration - start_iteration, self.seconds - start_seconds
        rate = done / spent if spent > 0 else float("inf")
        end = budget_iterations(trainer, pl_module.d_steps)
        remaining = (end - pl_module.iteration) / rate if rate > 0 else float("inf")
        stop = f"to iteration {end}" if end != float("inf") else "no iteration budget"
        if self.budget_s is not None and self.budget_s - self.seconds < remaining:
            remaining, stop = max(self.budget_s - self.seconds, 0.0), f"the {self.budget_s / 60:g}-minute budget"
        log.info(
            "%.1f iterations/s over the first %d: about %.1f more training minutes (%s; validation not counted)",
            rate, done, remaining / 60, stop,
        )  # fmt: skip

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self._stop()

    def on_validation_start(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        # Validation runs inside the training epoch (every val_check_interval and before the epoch ends).
        self._paused = self._started is not None
        self._stop()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        if self._paused:
            self._started, self._paused = self.timer(), False

    def _stop(self) -> None:
        self.seconds_before, self._started = self.seconds, None

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: GANModule, outputs, batch, batch_idx) -> None:
        self.images_seen += len(split_batch(batch)[0])
        if self._estimate_from and pl_module.iteration - self._estimate_from[0] == self.estimate_after:
            self.log_estimate(trainer, pl_module)
        if is_logging_iteration(trainer, pl_module.iteration - 1):
            clock = {tag("wall_clock_s"): self.seconds, tag("images_seen"): float(self.images_seen)}
            log_iteration(pl_module, clock, pl_module.iteration - 1)
        if self.budget_s is not None:
            # One decision for all processes: their clocks differ by a little under DDP.
            spent = trainer.strategy.reduce_boolean_decision(self.seconds >= self.budget_s, all=False)
            trainer.should_stop = trainer.should_stop or spent

    def state_dict(self) -> dict[str, float]:
        return {"seconds": self.seconds, "images_seen": self.images_seen}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.seconds_before, self.images_seen = state["seconds"], int(state["images_seen"])
