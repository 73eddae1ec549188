"""IterationProgressBar: its length is the iterations of the budget, not Lightning's optimizer steps."""

import pytest
import pytorch_lightning as pl

from gan_lightning.callbacks import IterationProgressBar
from tests.callbacks.stub import BATCHES, StubGAN, fit


class BarLength(pl.Callback):
    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.lengths = [*getattr(self, "lengths", []), trainer.progress_bar_callback.total_train_batches]


def test_the_bar_counts_the_iterations_left_in_the_budget(tmp_path):
    lengths = BarLength()
    # 11 iterations of D's two steps and G's one (33 optimizer steps): one whole epoch of 8, then 3
    fit(tmp_path, [IterationProgressBar(), lengths], StubGAN(d_steps=2), iterations=11, enable_progress_bar=True)
    assert lengths.lengths == [BATCHES, 3]


# The stub's plain loader keeps no position in its epoch; the bar's count is what is under test.
@pytest.mark.filterwarnings("ignore:You're resuming from a checkpoint that ended before the epoch ended")
def test_a_run_resumed_mid_epoch_counts_the_iterations_it_already_did_in_that_epoch(tmp_path):
    first = fit(tmp_path / "first", [IterationProgressBar()], StubGAN(), iterations=3, enable_progress_bar=True)
    first.save_checkpoint(tmp_path / "three.ckpt")
    lengths = BarLength()
    fit(tmp_path / "resumed", [IterationProgressBar(), lengths], StubGAN(), iterations=6, enable_progress_bar=True,
        ckpt_path=tmp_path / "three.ckpt")  # fmt: skip
    assert lengths.lengths == [6]  # 3 done in this epoch, 3 left of the budget
