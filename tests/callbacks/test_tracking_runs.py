"""TrackingRuns: loggers flushed before each checkpoint; their tracking run ids and the scalar history inside."""

from types import SimpleNamespace

from pytorch_lightning.loggers import CSVLogger

from gan_lightning.callbacks import TrackingRuns
from gan_lightning.loggers.continued import HISTORY_KEY, ScalarHistory
from gan_lightning.loggers.handoff import RUNS_KEY


def test_a_checkpoint_finds_the_loggers_on_disk_and_carries_the_scalar_history(tmp_path):
    csv, history = CSVLogger(tmp_path, name="csv", version=""), ScalarHistory()
    for logger in (csv, history):
        logger.log_metrics({"1_losses/d_loss": 0.5}, step=0)
    checkpoint = {}
    TrackingRuns().on_save_checkpoint(SimpleNamespace(loggers=[csv, history]), None, checkpoint)
    assert (tmp_path / "csv" / "metrics.csv").read_text().splitlines() == ["1_losses/d_loss,step", "0.5,0"]
    assert checkpoint[HISTORY_KEY] == [[0, {"1_losses/d_loss": 0.5}]]
    assert checkpoint[RUNS_KEY] == {}  # file loggers have no run id to continue
