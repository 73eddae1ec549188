"""A training run that SIGKILLs itself right after a checkpoint is written: the worst moment, found on purpose.

`python -m tests.runs.kill_switch <train overrides>` is `python -m gan_lightning.train` with this callback added
(its arguments as JSON in KILL_SWITCH; a checkpoint's config may name only the project's classes). It is a
Checkpoint, so Lightning calls it after the project's checkpoint callbacks in every hook:
when its hook runs, the checkpoints of that hook are on disk, and nothing that follows them in the process is.
"""

import json
import os
import signal
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Checkpoint


class KillAfterCheckpoint(Checkpoint):
    """SIGKILLs the process at the end of `hook` once `checkpoint` exists and `iteration` iterations are done.

    `hook`: on_train_batch_end (periodic and last.ckpt), on_train_epoch_end (best.ckpt, when validation ends
    the epoch), on_exception (the
    checkpoints a signal writes; with `signal_at`, the run sends itself SIGTERM when that iteration starts).
    """

    def __init__(self, checkpoint: str, hook: str, iteration: int, signal_at: int | None = None) -> None:
        self.checkpoint, self.hook, self.iteration, self.signal_at = Path(checkpoint), hook, iteration, signal_at

    def _kill(self, hook: str, pl_module: pl.LightningModule) -> None:
        if hook == self.hook and pl_module.iteration == self.iteration:
            assert self.checkpoint.exists(), f"{self.checkpoint} was not written by {hook}"
            os.kill(os.getpid(), signal.SIGKILL)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if pl_module.iteration == self.signal_at:
            os.kill(os.getpid(), signal.SIGTERM)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._kill("on_train_batch_end", pl_module)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._kill("on_train_epoch_end", pl_module)

    def on_exception(self, trainer, pl_module, exception) -> None:
        self._kill("on_exception", pl_module)


if __name__ == "__main__":
    import gan_lightning.train as entry

    killer = KillAfterCheckpoint(**json.loads(os.environ["KILL_SWITCH"]))
    train = entry.train
    entry.train = lambda cfg, extra_callbacks=(): train(cfg, [*extra_callbacks, killer])
    entry.main()
