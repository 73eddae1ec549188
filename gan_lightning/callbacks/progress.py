"""A progress bar that counts GAN iterations."""

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar

from gan_lightning.core.iterations import completed_iterations


class IterationProgressBar(TQDMProgressBar):
    """TQDM bar whose length respects an `iterations` budget (Lightning's max_steps counts optimizer steps)."""

    @property
    def total_train_batches(self) -> int | float:
        trainer: pl.Trainer = self.trainer
        per_epoch = trainer.num_training_batches
        if trainer.max_steps is None or trainer.max_steps < 0 or per_epoch == float("inf"):
            return per_epoch
        gan = trainer.lightning_module
        remaining = completed_iterations(trainer.max_steps - trainer.global_step, gan.d_steps)
        done_this_epoch = gan.iteration % per_epoch  # every epoch has per_epoch iterations (drop_last)
        return min(per_epoch, done_this_epoch + remaining)
