"""The guard against NaN and infinite losses: the run stops, and no checkpoint of such weights is written."""

import pytorch_lightning as pl
import torch

from gan_lightning.core.errors import NonFiniteLossError
from gan_lightning.core.iterations import is_logging_iteration
from gan_lightning.gan.protocol import GANModule

LOSSES = ("d_loss", "g_loss")


class FiniteLossGuard(pl.Callback):
    """Stops training at the first non-finite loss, naming the loss and the iteration.

    Every iteration's losses (which training_step returns) are checked on the device, without a host
    sync; the result is read on logging iterations, before any checkpoint is written and before each
    validation, so neither a checkpoint nor the quality metrics ever see weights that a NaN has reached.
    """

    def __init__(self) -> None:
        self._first_bad: torch.Tensor | None = None  # per loss: the first bad iteration (0-based), or -1
        self._bad_values: torch.Tensor | None = None

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: GANModule, outputs, batch, batch_idx) -> None:
        iteration = pl_module.iteration - 1  # the one that just ended
        losses = torch.stack([outputs[name] for name in LOSSES])
        if self._first_bad is None:
            self._first_bad = torch.full((len(LOSSES),), -1, dtype=torch.long, device=losses.device)
            self._bad_values = torch.zeros(len(LOSSES), device=losses.device)
        new = ~torch.isfinite(losses) & (self._first_bad < 0)
        self._first_bad = torch.where(new, iteration, self._first_bad)
        self._bad_values = torch.where(new, losses, self._bad_values)
        if is_logging_iteration(trainer, iteration):
            self.check()

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        self.check()  # raising here stops Lightning before it writes the file

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # NaN fakes must not reach the quality metrics: FID's eigenvalues of a NaN matrix crashed the process.
        self.check()

    def check(self) -> None:
        """Raise NonFiniteLossError if a loss went non-finite (a host sync)."""
        if self._first_bad is None or not bool((self._first_bad >= 0).any()):
            return
        iteration, name, value = min(
            (int(i), name, float(v))
            for i, name, v in zip(self._first_bad, LOSSES, self._bad_values, strict=True)
            if i >= 0
        )
        raise NonFiniteLossError(
            f"training diverged: {name} became {value} at iteration {iteration + 1}; the run stops, and the "
            f"checkpoints written before it are kept (lower the learning rates or change the loss)"
        )
