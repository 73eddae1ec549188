"""Callbacks that count in GAN iterations: checkpoints and fixed-z sample grids."""

import logging
import warnings
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.loggers import TensorBoardLogger
from torchvision.utils import make_grid, save_image

from gan_lightning.errors import ConfigError

log = logging.getLogger(__name__)
# Lightning warns that manual optimization checkpoints hold the state after the step; that is what we want.
warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")


class IterationCheckpoint(ModelCheckpoint):
    """ModelCheckpoint whose interval and `{iteration}` filename key count GAN iterations.

    Lightning's global_step counts D's and G's optimizer steps alike (Lightning issue 17958), so an
    interval in optimizer steps would mean a different thing for every `d_steps`.
    """

    def __init__(self, every_n_iterations: int | None = None, **kwargs) -> None:
        if every_n_iterations is not None and every_n_iterations <= 0:
            raise ConfigError(f"callbacks.*.every_n_iterations must be positive, got {every_n_iterations}")
        super().__init__(every_n_train_steps=every_n_iterations, **kwargs)
        self.every_n_iterations = every_n_iterations

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if self.every_n_iterations:
            self._every_n_train_steps = self.every_n_iterations * pl_module.optimizer_steps_per_iteration

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Lightning skips the final save once any `last` exists, even one from an earlier iteration.
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    def _monitor_candidates(self, trainer: pl.Trainer) -> dict[str, torch.Tensor]:
        candidates = super()._monitor_candidates(trainer)
        candidates["iteration"] = torch.tensor(trainer.lightning_module.iteration)
        return candidates


class IterationProgressBar(TQDMProgressBar):
    """TQDM bar whose length respects an iteration budget (Lightning's counts optimizer steps)."""

    @property
    def total_train_batches(self) -> int | float:
        trainer = self.trainer
        if trainer.max_steps is not None and trainer.max_steps > 0:
            per_iteration = trainer.lightning_module.optimizer_steps_per_iteration
            remaining = (trainer.max_steps - trainer.global_step) // per_iteration
            return min(
                trainer.num_training_batches, trainer.fit_loop.epoch_loop.batch_progress.current.ready + remaining
            )
        return trainer.num_training_batches


class SampleGrid(pl.Callback):
    """Draws G's images for one fixed batch of z: to TensorBoard every N iterations, to a PNG at the end."""

    def __init__(
        self, dirpath: str, every_n_iterations: int = 500, rows: int = 8, cols: int = 8, seed: int = 0
    ) -> None:
        if every_n_iterations <= 0 or rows <= 0 or cols <= 0:
            raise ConfigError("callbacks.sample_grid: every_n_iterations, rows and cols must be positive")
        self.dirpath = Path(dirpath)
        self.every_n_iterations = every_n_iterations
        self.rows, self.cols, self.seed = rows, cols, seed
        self._last_logged = -1

    def grid(self, pl_module: pl.LightningModule) -> torch.Tensor:
        z = torch.randn(self.rows * self.cols, pl_module.latent_dim, generator=torch.Generator().manual_seed(self.seed))
        was_training = pl_module.generator.training
        pl_module.generator.eval()
        with torch.no_grad():
            images = pl_module.generator(z.to(pl_module.device)).cpu()
        pl_module.generator.train(was_training)
        return make_grid(images, nrow=self.cols, padding=2, pad_value=0.5)

    def _log(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        iteration = pl_module.iteration
        if iteration == self._last_logged:
            return
        self._last_logged = iteration
        grid = self.grid(pl_module)
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("samples", grid, global_step=iteration)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(trainer, pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.iteration % self.every_n_iterations == 0:
            self._log(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(trainer, pl_module)
        if trainer.is_global_zero:
            self.dirpath.mkdir(parents=True, exist_ok=True)
            path = self.dirpath / "final.png"
            save_image(self.grid(pl_module), path)
            log.info("Final sample grid (iteration %d): %s", pl_module.iteration, path)
