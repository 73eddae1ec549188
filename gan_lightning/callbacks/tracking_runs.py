"""The W&B and MLflow runs of a training run in every checkpoint, so that resuming from it continues them."""

import pytorch_lightning as pl

from gan_lightning.core.tracking import RUNS_KEY, run_id


class TrackingRuns(pl.Callback):
    """Writes each tracking logger's run id (by logger class name) into every checkpoint."""

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        runs = {type(logger).__name__: run_id(logger) for logger in trainer.loggers}
        checkpoint[RUNS_KEY] = {name: run for name, run in runs.items() if run is not None}
