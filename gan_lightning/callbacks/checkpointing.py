"""Lightning's ModelCheckpoint, counting GAN iterations instead of optimizer steps."""

import logging
import warnings
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from gan_lightning.core.errors import NonFiniteLossError
from gan_lightning.core.iterations import optimizer_steps
from gan_lightning.gan.protocol import GANModule

log = logging.getLogger(__name__)
# Lightning's notices that do not apply here: a checkpoint of manual optimization holds the weights after the
# iteration's updates (what we want), and a resumed run continues in its own, non-empty checkpoint folder.
warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")
warnings.filterwarnings("ignore", message="Checkpoint directory .* exists and is not empty")


class IterationCheckpoint(ModelCheckpoint):
    """ModelCheckpoint whose interval and `{iteration}` file-name key count GAN iterations.

    `every_n_iterations` becomes Lightning's `every_n_train_steps` (which counts D's and G's optimizer steps,
    Lightning issue 17958) through `d_steps`. Only public hooks are overridden: the file name gets the
    iteration, the end of training always writes last.ckpt (Lightning skips it once an earlier one exists),
    and a stop by a signal or crash says how to resume.
    """

    def __init__(self, every_n_iterations: int | None = None, d_steps: int = 1, **kwargs) -> None:
        steps = optimizer_steps(every_n_iterations, d_steps) if every_n_iterations else None
        super().__init__(every_n_train_steps=steps, auto_insert_metric_name=False, **kwargs)
        self.every_n_iterations = every_n_iterations
        self.gan: GANModule | None = None

    def setup(self, trainer: pl.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        self.gan = pl_module

    def format_checkpoint_name(self, metrics: dict, filename: str | None = None, ver=None, prefix=None) -> str:
        iteration = torch.tensor(self.gan.iteration if self.gan is not None else 0)
        return super().format_checkpoint_name({**metrics, "iteration": iteration}, filename, ver, prefix)

    def on_train_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        if self.save_last:
            last = Path(self.dirpath) / f"{self.CHECKPOINT_NAME_LAST}{self.FILE_EXTENSION}"
            trainer.save_checkpoint(
                last, weights_only=False
            )  # full state for resuming (unset, Lightning logs a default)

    def on_exception(self, trainer: pl.Trainer, pl_module: GANModule, exception: BaseException) -> None:
        if isinstance(exception, NonFiniteLossError):
            return  # the weights are unusable; the checkpoints written before stay as they are
        try:
            super().on_exception(trainer, pl_module, exception)
        except NonFiniteLossError:
            return  # a loss had gone non-finite before the stop: nothing to save
        if self.save_on_exception and self.last_model_path:
            log.warning(
                "Stopped by %s at iteration %d; saved %s. Resume with ckpt_path=%s",
                type(exception).__name__, pl_module.iteration, self.last_model_path, self.last_model_path,
            )  # fmt: skip
