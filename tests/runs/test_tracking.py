"""W&B (offline) and MLflow (a store file) receive what TensorBoard receives, and a resumed run continues their
runs; their checkpoints open as any other."""

import json
import threading

import pytest

from gan_lightning import checks
from gan_lightning.artifacts.checkpoints import read_checkpoint
from gan_lightning.core.curves import tag as curve
from gan_lightning.core.errors import ConfigError, NonFiniteLossError
from gan_lightning.loggers.handoff import RUNS_KEY
from gan_lightning.train import train
from tests.helpers import needs_extra, tensorboard_events
from tests.runs.tracking_records import mlflow_runs, wandb_runs

# Iterations 0..3, then a resumed run to 7; sample grids every 3 iterations.
FIRST, RESUMED = "iterations=4", "iterations=7"


@pytest.fixture(autouse=True)
def offline_wandb(tmp_path, monkeypatch) -> None:
    """W&B writes its run files and its own settings under tmp_path and never reaches for the network."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    for variable in ("WANDB_DIR", "WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(variable, str(tmp_path / "wandb_home"))


def train_and_resume(make_cfg, tmp_path, tracker: str) -> dict:
    loggers = f"logger=[tensorboard,{tracker}]"
    first = train(make_cfg(loggers, FIRST))
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    resumed = train(make_cfg(loggers, RESUMED, f"ckpt_path={last}"))
    return {"first": first, "resumed": resumed, "checkpoint": read_checkpoint(last)}


def tensorboard_curve(tmp_path, name: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in tensorboard_events(tmp_path / "run").Scalars(name)]


def assert_same_curve(logged: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    """The same points: steps exactly, values up to TensorBoard's float32."""
    assert [step for step, _ in logged] == [step for step, _ in expected]
    assert [value for _, value in logged] == pytest.approx([value for _, value in expected], rel=1e-6)


def classifier_hash(tmp_path) -> str:
    return json.loads((tmp_path / "run" / "metrics.json").read_text())["classifier_hash"]


def final(metrics: dict) -> dict[str, float]:
    """A run's final metrics as the trackers name them."""
    return {f"final/{k.replace('/', '_')}": v for k, v in metrics.items() if k.startswith(("val/", "test/"))}


@needs_extra("wandb")
def test_wandb_gets_the_scalars_grids_hyperparameters_and_final_metrics_and_a_resume_continues_its_run(
    make_cfg, tmp_path
):
    results = train_and_resume(make_cfg, tmp_path, "wandb")
    first, resumed = wandb_runs(tmp_path / "run")  # one offline folder per process, both of the same run
    assert first.id == resumed.id == results["checkpoint"][RUNS_KEY]["WandbLogger"]
    for name in (curve("g_loss"), curve("d_loss"), curve("g_lr"), curve("d_lr")):
        assert_same_curve(first.curve(name) + resumed.curve(name), tensorboard_curve(tmp_path, name))
    assert first.images("samples") == [0, 3, 4] and resumed.images("samples") == [4, 6, 7]
    assert len(list(first.folder.glob("files/media/images/samples_*.png"))) == 3
    for run, metrics in ((first, results["first"]), (resumed, results["resumed"])):
        logged = {k: v for row in run.history for k, v in row.items() if k.startswith("final/")}
        assert logged == pytest.approx(final(metrics)) and "final/test_fid" in logged
    assert first.config["loss"]["_target_"] == "gan_lightning.gan.losses.NonSaturating"
    assert first.config["hparams"] == {**first.config["hparams"], "loss": "NonSaturating", "iterations": 4}
    assert first.config["hparams"]["classifier_hash"] == classifier_hash(tmp_path)
    assert resumed.config["ckpt_path"].endswith("last.ckpt") and first.config["iterations"] == 4


@needs_extra("mlflow")
def test_mlflow_gets_the_scalars_grids_hyperparameters_and_final_metrics_and_a_resume_continues_its_run(
    make_cfg, tmp_path, runs_in_tmp_path
):
    results = train_and_resume(make_cfg, tmp_path, "mlflow")
    runs = mlflow_runs(runs_in_tmp_path / "mlflow.db")
    assert list(runs) == [results["checkpoint"][RUNS_KEY]["MLFlowLogger"]]  # one run, continued
    run = runs[results["checkpoint"][RUNS_KEY]["MLFlowLogger"]]
    for name in (curve("g_loss"), curve("d_loss"), curve("g_lr"), curve("d_lr")):
        assert_same_curve(run["curves"][name], tensorboard_curve(tmp_path, name))
    assert run["image_steps"] == [0, 3, 4, 4, 6, 7]  # 0, 3, the end; the resumed run's start, 6, its end
    for key, value in final(results["resumed"]).items():
        assert run["curves"][key][-1] == (6, pytest.approx(value))  # at the last iteration, beside the curves
    assert run["curves"]["final/test_fid"][0] == (3, pytest.approx(results["first"]["test/fid"]))
    assert run["params"]["loss/_target_"] == "gan_lightning.gan.losses.NonSaturating"
    assert run["params"]["iterations"] == "4" and run["params"]["hparams/loss"] == "NonSaturating"
    assert run["params"]["hparams/classifier_hash"] == classifier_hash(tmp_path)


@needs_extra("wandb", "mlflow")
@pytest.mark.parametrize("tracker, package", [("wandb", "wandb"), ("mlflow", "mlflow")])
def test_a_tracker_whose_package_is_missing_is_refused_naming_the_extra(make_cfg, monkeypatch, tracker, package):
    cfg = make_cfg(f"logger={tracker}")
    checks.check_config(cfg)  # installed here
    monkeypatch.setattr(checks, "find_spec", lambda name: None if name == package else object())
    with pytest.raises(
        ConfigError, match=rf"logger {tracker} needs the {package} package.*pip install -e '\.\[{tracker}\]'"
    ):
        checks.check_config(cfg)


@needs_extra("wandb", "mlflow")
@pytest.mark.parametrize("outcome", ["finished", "diverged"])
def test_no_logger_thread_outlives_its_run(make_cfg, outcome):
    """Every logger is flushed and closed when train() returns or raises, after the final validation and test."""
    before = set(threading.enumerate())
    loggers = "logger=[tensorboard,csv,wandb,mlflow]"
    if outcome == "finished":
        train(make_cfg(loggers))
    else:
        with pytest.raises(NonFiniteLossError):
            train(make_cfg(loggers, "iterations=60", "optimizer.g.lr=1e30", "optimizer.d.lr=1e30"))
    # tqdm's monitor belongs to the progress bars of the whole process (another test's bar may still be open)
    started = [thread.name for thread in set(threading.enumerate()) - before if thread.name != "tqdm_monitor"]
    assert started == []
