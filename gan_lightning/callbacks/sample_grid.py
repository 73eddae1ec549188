"""Fixed-z sample grids: what G draws, as training goes."""

import logging
from pathlib import Path

import pytorch_lightning as pl
import torch

from gan_lightning.data.images import fixed_noise, generator_grid, save_png
from gan_lightning.data.labels import grid_labels
from gan_lightning.gan.protocol import GANModule
from gan_lightning.loggers.handoff import log_image

log = logging.getLogger(__name__)


class SampleGrid(pl.Callback):
    """G's images for one fixed batch of z: to the loggers every N iterations, to `final.png` at the end."""

    def __init__(
        self, dirpath: str, every_n_iterations: int = 500, rows: int = 8, cols: int = 8, seed: int = 0
    ) -> None:
        self.dirpath = Path(dirpath)
        self.every_n_iterations = every_n_iterations
        self.rows, self.cols, self.seed = rows, cols, seed
        self._last_logged = -1

    def grid(self, pl_module: GANModule):
        """rows x cols images; for a conditional GAN, one row per digit (0 at the top)."""
        labels, n = grid_labels(pl_module.num_classes, self.rows, self.cols)
        z = fixed_noise(n, pl_module.latent_dim, self.seed)
        return generator_grid(pl_module.eval_generator, z, self.cols, labels)

    def _log(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        iteration = pl_module.iteration
        if iteration == self._last_logged:
            return
        self._last_logged = iteration
        grid = self.grid(pl_module)
        if not torch.isfinite(grid).all():
            return  # a G that diverged between two of the NaN guard's checks; the guard stops the run at the next
        for logger in trainer.loggers:
            log_image(logger, "samples", grid, iteration)

    def on_train_start(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self._log(trainer, pl_module)

    def on_train_batch_end(self, trainer, pl_module: GANModule, outputs, batch, batch_idx) -> None:
        if pl_module.iteration % self.every_n_iterations == 0:
            self._log(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self._log(trainer, pl_module)
        if trainer.is_global_zero:
            path = self.dirpath / "final.png"
            save_png(self.grid(pl_module), path)
            log.info("Final sample grid (iteration %d): %s", pl_module.iteration, path)
