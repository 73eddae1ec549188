"""Every checkpoint finds the loggers on disk, and holds what a resumed run needs to continue its trackers."""

import pytorch_lightning as pl

from gan_lightning.loggers.continued import HISTORY_KEY, ScalarHistory
from gan_lightning.loggers.handoff import RUNS_KEY, run_id


class TrackingRuns(pl.Callback):
    """Flushes every logger before a checkpoint is written (what the checkpoint records as done is on disk: sample
    grids and validation values that a writer thread still held), and writes into the checkpoint each tracking
    logger's run id (by logger class name) and the run's ScalarHistory, where it has one."""

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        for logger in trainer.loggers:
            logger.save()
            if isinstance(logger, ScalarHistory):
                checkpoint[HISTORY_KEY] = [[step, values] for step, values in logger.rows]
        runs = {type(logger).__name__: run_id(logger) for logger in trainer.loggers}
        checkpoint[RUNS_KEY] = {name: run for name, run in runs.items() if run is not None}
