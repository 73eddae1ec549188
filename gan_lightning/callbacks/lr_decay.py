"""Learning rates that fall linearly to zero over the end of the training budget.

A GAN trained at a constant learning rate keeps circling its equilibrium: its samples' quality plateaus and
wobbles from one validation to the next. Letting the steps shrink at the end settles G and D (SNGAN and
BigGAN's CIFAR runs decay linearly; the moving average of G alone only smooths the wobble).
"""

import pytorch_lightning as pl

from gan_lightning.callbacks.compute_clock import ComputeClock
from gan_lightning.core.curves import tag
from gan_lightning.core.iterations import is_logging_iteration
from gan_lightning.gan.protocol import GANModule
from gan_lightning.loggers.handoff import log_iteration


class LearningRateDecay(pl.Callback):
    """Each optimizer's learning rates times min(1, (1 - progress) / (1 - start)).

    `progress` is the fraction of the budget spent, by whichever of the two budgets runs out first:
    `iterations` (GAN iterations) and `budget_minutes` (of training, as ComputeClock counts them; a budget in
    minutes makes the schedule follow the clock, so that a slower configuration decays at the same minutes,
    not the same iteration). `start=None` leaves the learning rates alone. Each group's own rate is kept as
    its `initial_lr` (torch's convention), which travels in the checkpoint, so a resumed run keeps decaying
    from the configured rate. Both rates are logged on the logging iterations (`4_generator/g_lr`,
    `2_discriminator/d_lr`), decaying or not, to every logger.
    """

    def __init__(self, start: float | None, iterations: int | None = None, budget_minutes: float | None = None):
        self.start = start
        self.iterations = iterations
        self.budget_s = None if budget_minutes is None else 60 * budget_minutes
        self.clock: ComputeClock | None = None  # found once, when training starts

    def on_train_start(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        # Present whenever a budget in minutes is set (gan_lightning/checks.py refuses lr_decay without it).
        self.clock = next((c for c in trainer.callbacks if isinstance(c, ComputeClock)), None)

    def progress(self, pl_module: GANModule) -> float:
        spent = [pl_module.iteration / self.iterations] if self.iterations else []
        if self.budget_s is not None:
            spent.append(self.clock.seconds / self.budget_s)
        return max(spent)

    def factor(self, progress: float) -> float:
        return max(0.0, min(1.0, (1.0 - progress) / (1.0 - self.start)))

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: GANModule, batch, batch_idx: int) -> None:
        if self.start is None:
            return
        factor = self.factor(self.progress(pl_module))
        for optimizer in trainer.optimizers:
            for group in optimizer.param_groups:
                group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: GANModule, outputs, batch, batch_idx: int) -> None:
        if is_logging_iteration(trainer, pl_module.iteration - 1):
            g_optimizer, d_optimizer = trainer.optimizers  # the module's order: G's, then D's
            rates = {tag("g_lr"): g_optimizer.param_groups[0]["lr"], tag("d_lr"): d_optimizer.param_groups[0]["lr"]}
            log_iteration(pl_module, rates, pl_module.iteration - 1)
