"""The real command line in a subprocess, as users run it."""

import subprocess

from tests.conftest import cli_overrides, run_module


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_module("gan_lightning.train", *args, env=env)


def test_train_command_writes_its_run_folder(mnist_dir, tmp_path):
    run = tmp_path / "run"
    result = run_cli("loss=nonsaturating", *cli_overrides(mnist_dir), f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run / ".hydra" / "config.yaml").exists() and (run / "train.log").exists()
    assert "Run folder" in (run / "train.log").read_text()
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert (run / "checkpoints" / "last.ckpt").exists() and (run / "samples" / "final.png").exists()


def test_multirun_puts_each_job_in_its_own_folder(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    result = run_cli(
        "-m",
        "loss=minimax,nonsaturating",
        *cli_overrides(mnist_dir),
        "iterations=3",
        "test=false",
        f"hydra.sweep.dir={sweep}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for job, loss in (("0", "minimax"), ("1", "nonsaturating")):
        assert (sweep / job / "checkpoints" / "last.ckpt").exists()
        assert f"loss={loss}" in (sweep / job / ".hydra" / "overrides.yaml").read_text()


def test_unknown_option_lists_valid_choices(mnist_dir, tmp_path):
    result = run_cli("loss=nonsaturatin", f"hydra.run.dir={tmp_path}")
    assert result.returncode != 0
    assert "Available options in 'loss'" in result.stderr and "minimax" in result.stderr


def test_bad_value_is_refused_in_one_line_before_training(mnist_dir, tmp_path):
    result = run_cli(*cli_overrides(mnist_dir), "loss.g_optimizer.lr=-0.001", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "error: loss.g_optimizer.lr must be a positive number, got -0.001"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_missing_data_is_one_actionable_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("data.download=false", f"hydra.run.dir={tmp_path / 'run'}", env={"GAN_DATA_DIR": str(empty)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: MNIST not found in") and "GAN_DATA_DIR" in last and str(empty) in last


def test_an_error_raised_while_building_the_model_is_one_line(mnist_dir, tmp_path):
    """Hydra's instantiate wraps the network's own check; the user still gets that check's one line."""
    result = run_cli(*cli_overrides(mnist_dir), "model.generator.dropout=[0.5]", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: model.generator.dropout needs one value per")
