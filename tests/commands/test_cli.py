"""The command line as users run it: a real subprocess for the run folder, in-process for the error lines."""

import copy
import importlib
import re
import subprocess
import sys

import pytest
from hydra.core.config_store import ConfigStore, ConfigStoreWithProvider

from gan_lightning.cli.help import commands
from gan_lightning.core.paths import CONF_DIR, PROJECT_ROOT
from gan_lightning.train import main as train_main
from tests.helpers import cli_overrides, run_main_in_process, run_module


def test_train_command_writes_its_run_folder(mnist_dir, tmp_path):
    run = tmp_path / "run"
    result = run_module("gan_lightning.train", "loss=wgan_gp", *cli_overrides(mnist_dir), f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run / ".hydra" / "config.yaml").exists() and (run / "train.log").exists()
    log = (run / "train.log").read_text()
    # Said before the first iteration: where, how long, how to watch.
    started = log.index(f"Run folder: {run}")
    assert started < log.index("Budget: 6 iterations") < log.index(f"Watch it: tensorboard --logdir {run}")
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert (run / "checkpoints" / "last.ckpt").exists() and (run / "samples" / "final.png").exists()
    tree = (run / "config_tree.log").read_text()  # the composed config, as printed at the start
    assert all(group in tree for group in ("data", "model", "loss", "optimizer", "trainer", "callbacks"))
    assert "gan_lightning.gan.losses.Wasserstein" in tree and tree.index("data") < tree.index("callbacks")
    assert "optimizer: adam_wgan_gp  # chosen by loss=wgan_gp" in tree and "loss: wgan_gp\n" in tree
    assert f"output_dir: {run}\n" in tree and "${" not in tree.split("── paths")[1].split("──")[0]


def test_unknown_option_is_one_line_with_the_options_and_the_nearest(tmp_path):
    exited = run_main_in_process(train_main, "loss=nonsaturatin", f"hydra.run.dir={tmp_path}")
    assert exited == (
        "error: loss=nonsaturatin is not an option of loss; its options: hinge, lsgan, minimax, nonsaturating, "
        "wgan_gp; did you mean loss=nonsaturating?"
    )


@pytest.mark.parametrize(
    "override,message",
    [
        ("trainer.max_epoch=3",
         "error: trainer.max_epoch is not a key of the config: did you mean trainer.max_epochs?"),
        ("lossy=minimax", "error: lossy is not a key of the config: did you mean loss?"),
        ("optimizer.d_steps=2", "error: optimizer.d_steps is not a key of the config: did you mean d_steps?"),
        ("trainer.gradient_clip_val=1", "error: trainer.gradient_clip_val is an argument of "
         "pytorch_lightning.Trainer that the config does not set: add it as +trainer.gradient_clip_val=..."),
        ("experiment=minimax_vs_nonsaturating", "error: experiment=minimax_vs_nonsaturating is not an option of "
         "experiment; it is sweep=minimax_vs_nonsaturating"),
    ],
)  # fmt: skip
def test_a_mistyped_key_or_a_sweep_asked_for_as_an_experiment_is_one_line_naming_the_fix(tmp_path, override, message):
    assert run_main_in_process(train_main, override, f"hydra.run.dir={tmp_path / 'run'}") == message
    assert not (tmp_path / "run").exists()


def test_a_config_an_installed_plugin_registers_again_is_one_line_naming_the_fix(tmp_path, monkeypatch):
    store = ConfigStore.instance()
    monkeypatch.setattr(store, "repo", copy.deepcopy(store.repo))
    with ConfigStoreWithProvider("optuna_sweeper") as plugin:  # what hydra-optuna-sweeper registers on import
        plugin.store(group="hydra/sweeper", name="optuna", node={"defaults": [{"sampler": "tpe"}], "n_trials": 20})
    exited = run_main_in_process(train_main, "hparams_search=fid_optuna", f"hydra.sweep.dir={tmp_path / 'search'}")
    assert exited == (
        "error: conf/hydra/sweeper/optuna.yaml is also registered by an installed Hydra plugin, and Hydra refuses "
        "the two: pip uninstall hydra-optuna-sweeper (the project's own sweeper replaces it; make install removes it)"
    )
    assert not (tmp_path / "search").exists()


def test_a_missing_ckpt_path_is_one_line_naming_the_fix(tmp_path):
    from gan_lightning.evaluate import main as evaluate_main

    exited = run_main_in_process(evaluate_main, f"hydra.run.dir={tmp_path / 'run'}")
    assert (
        exited
        == "error: ckpt_path is required: ckpt_path=last (the newest run's last checkpoint), best, or a run folder"
    )


def test_an_argument_the_trainer_rejects_is_one_line(mnist_dir, tmp_path):
    exited = run_main_in_process(
        train_main, *cli_overrides(mnist_dir), "+trainer.max_epoch=3", f"hydra.run.dir={tmp_path}"
    )
    assert exited.startswith("error: Error in call to target 'pytorch_lightning.trainer.trainer.Trainer': TypeError(")
    assert "unexpected keyword argument 'max_epoch'" in exited and "\n" not in exited


@pytest.mark.parametrize("module", ["train", "evaluate", "sample", "interpolate", "export"])
def test_help_names_the_groups_the_keys_examples_and_the_other_commands(module, capsys):
    main = importlib.import_module(f"gan_lightning.{module}").main
    assert run_main_in_process(main, "--help") == 0
    page = capsys.readouterr().out
    assert page.startswith(f"python -m gan_lightning.{module} ") and "Examples:" in page and "ckpt_path" in page
    others = [name for name in commands() if name != module]
    assert all(f"gan_lightning.{name}" in page for name in others) and "--cfg job" in page
    assert len(page.splitlines()) < 120  # not the composed config (train's: 185 lines)
    rows = page.split("Keys (key=value):\n")[1].split("\n\n")[0].splitlines()
    assert len({len(row) - len(row[2:].split(maxsplit=1)[1]) for row in rows}) == 1  # descriptions in one column


def test_trains_help_lists_every_option_of_every_group_with_what_it_is(capsys):
    assert run_main_in_process(train_main, "--help") == 0
    page = capsys.readouterr().out
    for group in ("loss", "model", "optimizer", "experiment", "hparams_search", "debug", "hydra/launcher"):
        for option in (CONF_DIR / group).glob("*.yaml"):
            assert re.search(rf"^    {option.stem} +\S", page, re.MULTILINE), f"{group}={option.stem}"


@pytest.mark.parametrize("module", [f"gan_lightning.{name}" for name, hydra in commands().items() if not hydra])
def test_every_other_command_answers_help(module, capsys):
    with pytest.raises(SystemExit) as exited:
        importlib.import_module(module).main(["--help"])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith("usage: ")


@pytest.mark.parametrize(
    "script",
    [
        "tools/import_layers.py",
        "tools/mutation_score.py",
        "tools/truncation_study.py",
        "benchmarks/bench_training.py",
        "benchmarks/gpu_check.py",
    ],
)
def test_every_script_answers_help(script):
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("usage: ")


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
