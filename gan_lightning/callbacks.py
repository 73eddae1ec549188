"""Callbacks that count in GAN iterations: checkpoints and fixed-z sample grids."""

import logging
import warnings
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.loggers import TensorBoardLogger
from torchvision.utils import make_grid, save_image

from gan_lightning.classifier import load_classifier
from gan_lightning.errors import ConfigError, DivergenceError
from gan_lightning.metrics import QualityMetrics

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

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        trainer.lightning_module.raise_if_diverged()  # never write weights that went NaN
        super()._save_checkpoint(trainer, filepath)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if isinstance(exception, DivergenceError):
            return  # the weights are unusable; the last good checkpoints stay as they are
        try:
            super().on_exception(trainer, pl_module, exception)
        except DivergenceError:
            return
        if self.save_on_exception and self.last_model_path:
            log.warning(
                "Stopped by %s at iteration %d; saved %s. Resume with ckpt_path=%s",
                type(exception).__name__, pl_module.iteration, self.last_model_path, self.last_model_path,
            )  # fmt: skip

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
        sampler = pl_module.sampler
        was_training = sampler.training
        sampler.eval()
        with torch.no_grad():
            images = sampler(z.to(pl_module.device)).cpu()
        sampler.train(was_training)
        return make_grid(images, nrow=self.cols, padding=2, pad_value=0.5)

    @staticmethod
    def save(grid: torch.Tensor, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(grid, path)

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
            path = self.dirpath / "final.png"
            self.save(self.grid(pl_module), path)
            log.info("Final sample grid (iteration %d): %s", pl_module.iteration, path)


class SampleQuality(pl.Callback):
    """FID, KID, Inception Score and mode coverage of G's samples in every validation and test run.

    Scores the fakes that the evaluation step generated (as many as real images) against the stage's real
    images, whose features are computed once per stage. Logs `val/fid`, `test/fid`, ...; `classifier_hash`
    names the feature network, so that numbers are only compared when they come from the same one.
    `classifier`: None for the shipped network, or a file written by `make classifier`.
    """

    def __init__(self, classifier: str | None = None, kid_subset_size: int = 1000) -> None:
        self.classifier_file, self.kid_subset_size = classifier, kid_subset_size
        self.metrics: dict[str, QualityMetrics] = {}
        self.classifier_hash: str | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.metrics:
            return
        classifier, self.classifier_hash = load_classifier(self.classifier_file)
        self.metrics = {
            name: QualityMetrics(classifier, self.kid_subset_size).to(pl_module.device) for name in ("val", "test")
        }
        self._real_complete = {"val": False, "test": False}

    def _update(self, stage: str, trainer: pl.Trainer, outputs: dict, batch: torch.Tensor) -> None:
        if trainer.sanity_checking:
            return
        if not self._real_complete[stage]:
            self.metrics[stage].update_real(batch)
        self.metrics[stage].update_fake(outputs["fake"])

    def _log(self, stage: str, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._real_complete[stage] = True
        results = self.metrics[stage].compute()
        self.metrics[stage].reset_fake()
        pl_module.log_dict({f"{stage}/{name}": value for name, value in results.items()})

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.metrics["val"].to(pl_module.device)

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.metrics["test"].to(pl_module.device)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._update("val", trainer, outputs, batch)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._update("test", trainer, outputs, batch)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log("val", trainer, pl_module)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log("test", trainer, pl_module)
