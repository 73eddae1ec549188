"""Runs survive kills and signals, resume exactly, stop on divergence, and refuse bad input early."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from gan_lightning.artifacts.checkpoints import CheckpointError, read_checkpoint, resolve_ckpt_path
from gan_lightning.core.curves import tag as curve
from gan_lightning.core.errors import ConfigError, DataError, NonFiniteLossError
from gan_lightning.train import train
from tests.helpers import (
    PROJECT_ROOT,
    checkpoint_iteration,
    cli_overrides,
    datamodule,
    subprocess_env,
    tensorboard_events,
    write_mnist,
)


def start_training(mnist_dir: Path, run: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gan_lightning.train", *cli_overrides(mnist_dir), f"hydra.run.dir={run}", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # Hydra logs to stdout, Python and Lightning to stderr
        text=True,
        env=subprocess_env(),
        # A shell's background job (`make test &`, nohup) ignores SIGINT and its children inherit that;
        # training must see Ctrl-C as a terminal would send it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stdout.read()[-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def adam_steps(checkpoint: dict) -> tuple[int, int]:
    """Adam's own step counters of G and D in a checkpoint (the same for every parameter)."""
    g_state, d_state = (opt["state"] for opt in checkpoint["optimizer_states"])
    return int(g_state[0]["step"]), int(d_state[0]["step"])


def scalar_steps(run: Path, tag: str = curve("d_loss")) -> list[int]:
    events = tensorboard_events(run)
    return [event.step for event in events.Scalars(tag)]


def test_sigkill_then_resume_continues_the_same_run(mnist_dir, tmp_path):
    run = tmp_path / "run"
    budget = [
        "iterations=120",
        "d_steps=2",  # D takes twice G's steps: the two optimizers' counters must not be confused
        "callbacks.checkpoint.every_n_iterations=20",
        "callbacks.last_checkpoint.every_n_iterations=10",
        "test=false",
    ]
    process = start_training(mnist_dir, run, *budget)
    wait_for(run / "checkpoints" / "iteration_40.ckpt", process)
    time.sleep(0.3)  # usually the run logs a few iterations past its last checkpoint, which the resume hides
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    saved = checkpoint_iteration(run / "checkpoints" / "last.ckpt")
    assert 30 <= saved < 120  # last.ckpt lags the periodic one by at most one interval
    assert adam_steps(read_checkpoint(run / "checkpoints" / "last.ckpt")) == (saved, 2 * saved)

    # ckpt_path=<run folder> and no hydra.run.dir: the run continues in its own folder
    command = [sys.executable, "-m", "gan_lightning.train", *cli_overrides(mnist_dir), *budget, f"ckpt_path={run}"]
    resumed = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, env=subprocess_env()
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no second run folder
    assert checkpoint_iteration(run / "checkpoints" / "last.ckpt") == 120  # as an uninterrupted run
    assert adam_steps(read_checkpoint(run / "checkpoints" / "last.ckpt")) == (120, 240)  # both Adams kept counting
    assert scalar_steps(run) == list(range(120))  # one curve: each iteration once, none hidden twice
    log = (run / "train.log").read_text()
    assert f"Resuming from {run / 'checkpoints' / 'last.ckpt'} (iteration {saved})" in log and "Run folder" in log


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_a_checkpoint_and_says_where(mnist_dir, tmp_path, signum):
    run = tmp_path / "run"
    process = start_training(mnist_dir, run, "iterations=100000", "callbacks.checkpoint.every_n_iterations=40")
    wait_for(run / "checkpoints" / "iteration_40.ckpt", process)
    time.sleep(0.5)
    process.send_signal(signum)
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    last = run / "checkpoints" / "last.ckpt"
    stopped_at = checkpoint_iteration(last)  # 40 or later: how far the run got depends on the machine's speed
    assert stopped_at >= 40
    # interrupted_<N>.ckpt is written only on the way out: the stop itself saved the weights it stopped with.
    assert (run / "checkpoints" / f"interrupted_{stopped_at}.ckpt").exists()
    assert f"Resume with ckpt_path={last}" in output


def logged_losses(run: Path) -> list[list[float]]:
    events = tensorboard_events(run)
    return [[e.value for e in events.Scalars(curve(name))] for name in ("d_loss", "g_loss", "g_grad_norm")]


@pytest.mark.parametrize("stop,end", [(4, 10), (21, 26)])  # epochs of 16 iterations: in the first, in the second
def test_a_resumed_run_logs_the_losses_of_an_uninterrupted_one(make_cfg, tmp_path, stop, end):
    """Weights, both Adams, the random streams and the interrupted epoch's data order all come back."""
    exact = ["trainer.deterministic=true", "test=false", "trainer.limit_val_batches=0"]
    train(make_cfg(f"iterations={end}", *exact, output_dir=tmp_path / "whole"))
    train(make_cfg(f"iterations={stop}", *exact, output_dir=tmp_path / "parts"))
    resume = f"ckpt_path={tmp_path / 'parts' / 'checkpoints' / 'last.ckpt'}"
    train(make_cfg(f"iterations={end}", *exact, resume, output_dir=tmp_path / "parts"))
    whole, parts = logged_losses(tmp_path / "whole"), logged_losses(tmp_path / "parts")
    assert len(whole[0]) == end and parts == whole


def test_same_seed_same_losses(make_cfg, tmp_path):
    runs = []
    for name in ("a", "b"):
        train(make_cfg("iterations=5", "test=false", "trainer.deterministic=true", output_dir=tmp_path / name))
        events = tensorboard_events(tmp_path / name)
        runs.append([[e.value for e in events.Scalars(curve(t))] for t in ("d_loss", "g_loss", "g_grad_norm")])
    assert runs[0] == runs[1] and len(runs[0][0]) == 5


class PoisonGenerator(pl.Callback):
    """Turns one of G's weights into NaN before iteration `at` (0-based), as a blown-up update would."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if pl_module.iteration == self.at:
            with torch.no_grad():
                next(pl_module.generator.parameters()).view(-1)[0] = float("nan")


@pytest.mark.parametrize("log_every", [1, 50])  # caught by the logging check, or only by the checkpoint's
def test_divergence_stops_the_run_and_writes_no_checkpoint_after_it(make_cfg, tmp_path, log_every):
    cfg = make_cfg("iterations=20", "test=false", f"trainer.log_every_n_steps={log_every}")
    with pytest.raises(NonFiniteLossError, match=r"d_loss became nan at iteration 8;"):
        train(cfg, [PoisonGenerator(at=7)])
    run = tmp_path / "run"
    assert "NonFiniteLossError" in (run / "FAILED").read_text()
    checkpoints = sorted(p.name for p in (run / "checkpoints").glob("*.ckpt"))
    assert checkpoints == ["iteration_3.ckpt", "iteration_6.ckpt"]  # the good ones stay, nothing after the NaN
    for name in checkpoints:
        state = read_checkpoint(run / "checkpoints" / name)["state_dict"]
        assert all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point()), name


def test_a_nan_before_a_validation_stops_the_run_before_the_metrics_see_it(make_cfg):
    """No logging iteration and no checkpoint between the NaN (iteration 8) and the epoch's validation (16)."""
    cfg = make_cfg(
        "iterations=20", "test=false", "trainer.log_every_n_steps=50", "callbacks.checkpoint.every_n_iterations=50"
    )  # fmt: skip
    with pytest.raises(NonFiniteLossError, match=r"d_loss became nan at iteration 8;"):
        train(cfg, [PoisonGenerator(at=7)])


def test_a_learning_rate_that_explodes_is_reported_as_divergence(make_cfg):
    cfg = make_cfg("iterations=60", "optimizer.g.lr=1e30", "optimizer.d.lr=1e30")
    with pytest.raises(NonFiniteLossError, match=r"became (nan|inf|-inf) at iteration \d+"):
        train(cfg)


def test_unwritable_output_folder_is_refused(make_cfg, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="paths.output_dir .* is not a writable folder"):
        train(make_cfg(output_dir=blocker / "run"))


def test_checkpoint_with_another_latent_size_is_refused(make_cfg, tmp_path):
    train(make_cfg("iterations=2", "test=false", output_dir=tmp_path / "first"))
    resume = make_cfg(
        "model.generator.latent_dim=64", f"ckpt_path={tmp_path / 'first'}", output_dir=tmp_path / "second"
    )
    with pytest.raises(CheckpointError, match=r"model\.generator\.latent_dim differs: 100 there, 64 here"):
        train(resume)


def test_ckpt_path_last_picks_the_newest_of_two_runs(make_cfg, tmp_path):
    logs = tmp_path / "logs"
    runs = logs / "train" / "runs"
    for name, iterations in (("older", 4), ("newer", 2)):
        train(make_cfg(f"iterations={iterations}", "test=false", f"paths.log_dir={logs}", output_dir=runs / name))
    assert resolve_ckpt_path("last", runs.parent) == runs / "newer" / "checkpoints" / "last.ckpt"
    resumed = runs / "resumed"
    train(make_cfg("iterations=5", "test=false", "ckpt_path=last", f"paths.log_dir={logs}", output_dir=resumed))
    assert min(scalar_steps(resumed)) == 2  # it continued the newer run (2 iterations), not the longer one
    assert checkpoint_iteration(resumed / "checkpoints" / "last.ckpt") == 5
    (runs / "older" / "checkpoints" / "last.ckpt").touch()  # now the older run was written last
    assert resolve_ckpt_path("last", runs.parent) == runs / "older" / "checkpoints" / "last.ckpt"


def test_truncated_mnist_file_is_reported(tmp_path):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(DataError, match="corrupt"):
        datamodule(tmp_path).prepare_data()


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_writes_one_run_folder(mnist_dir, tmp_path):
    run = tmp_path / "run"
    process = start_training(mnist_dir, run, "trainer=ddp_cpu", "iterations=10")
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-3000:]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "best.ckpt",
        "iteration_3.ckpt",
        "iteration_6.ckpt",
        "iteration_9.ckpt",
        "last.ckpt",
    ]
    assert len(list((run / "samples").iterdir())) == 1
    assert checkpoint_iteration(run / "checkpoints" / "last.ckpt") == 10
