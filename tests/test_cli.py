"""The command line as users run it: a real subprocess for the run folder, in-process for the error lines."""

import pytest

from gan_lightning.train import main as train_main
from tests.helpers import cli_overrides, run_main_in_process, run_module


def test_train_command_writes_its_run_folder(mnist_dir, tmp_path):
    run = tmp_path / "run"
    result = run_module("gan_lightning.train", "loss=nonsaturating", *cli_overrides(mnist_dir), f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run / ".hydra" / "config.yaml").exists() and (run / "train.log").exists()
    assert "Run folder" in (run / "train.log").read_text()
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert (run / "checkpoints" / "last.ckpt").exists() and (run / "samples" / "final.png").exists()
    tree = (run / "config_tree.log").read_text()  # the composed config, as printed at the start
    assert all(group in tree for group in ("data", "model", "loss", "optimizer", "trainer", "callbacks"))
    assert "gan_lightning.gan.losses.NonSaturating" in tree and tree.index("data") < tree.index("callbacks")


def test_unknown_option_lists_valid_choices(tmp_path, capsys):
    assert run_main_in_process(train_main, "loss=nonsaturatin", f"hydra.run.dir={tmp_path}") == 1
    err = capsys.readouterr().err
    assert "Available options in 'loss'" in err
    assert all(name in err for name in ("minimax", "nonsaturating", "lsgan", "hinge", "wgan_gp"))


@pytest.mark.parametrize(
    "override,message",
    [
        ("optimizer.g.lr=-0.001", "error: optimizer.g.lr must be a positive number, got -0.001"),
        ("torch_threads=-1", "error: torch_threads must be null (torch's default) or an integer >= 1, got -1"),
        ("torch_threads=abc", "error: torch_threads must be null (torch's default) or an integer >= 1, got 'abc'"),
        ("compile_mode=fastest", "error: compile_mode must be one of null, default, reduce-overhead, "
         "max-autotune, max-autotune-no-cudagraphs, got 'fastest'"),
    ],
)  # fmt: skip
def test_bad_value_is_refused_in_one_line_before_training(mnist_dir, tmp_path, override, message):
    run = tmp_path / "run"
    assert run_main_in_process(train_main, *cli_overrides(mnist_dir), override, f"hydra.run.dir={run}") == message
    assert not (run / "checkpoints").exists() and not (run / "tensorboard").exists()


def test_missing_data_is_one_actionable_line(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("GAN_DATA_DIR", str(empty))
    exited = run_main_in_process(train_main, "data.download=false", f"hydra.run.dir={tmp_path / 'run'}")
    assert exited.startswith("error: MNIST not found in") and "\n" not in exited
    assert "GAN_DATA_DIR" in exited and str(empty) in exited


def test_an_error_raised_while_building_the_model_is_one_line(mnist_dir, tmp_path):
    """Hydra's instantiate wraps the network's own check; the user still gets that check's one line."""
    exited = run_main_in_process(
        train_main, *cli_overrides(mnist_dir), "model.generator.dropout=[0.5]", f"hydra.run.dir={tmp_path / 'run'}"
    )
    assert exited.startswith("error: model.generator.dropout needs one value per hidden layer (7), got 1")
