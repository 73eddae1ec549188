"""Runs survive kills and signals, resume exactly, stop on divergence, and refuse bad input early."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_lightning.checkpoints import CheckpointError
from gan_lightning.data import MNISTDataModule
from gan_lightning.errors import ConfigError, DataError, DivergenceError
from gan_lightning.train import train
from tests.conftest import ROOT, cli_overrides, run_module, subprocess_env, write_mnist


def start_training(mnist_dir: Path, run: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gan_lightning.train", *cli_overrides(mnist_dir), f"hydra.run.dir={run}", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # Hydra logs to stdout, Python and Lightning to stderr
        text=True,
        env=subprocess_env(),
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stdout.read()[-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def iteration_of(path: Path) -> int:
    return torch.load(path, map_location="cpu", weights_only=False)["global_step"] // 2


def scalar_steps(run: Path, tag: str = "train/d_loss") -> list[int]:
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    return [event.step for event in events.Scalars(tag)]


def test_sigkill_then_resume_ends_at_the_same_iteration(mnist_dir, tmp_path):
    killed, resumed = tmp_path / "killed", tmp_path / "resumed"
    budget = [
        "iterations=300",
        "callbacks.checkpoint.every_n_iterations=40",
        "callbacks.last_checkpoint.every_n_iterations=20",
    ]
    process = start_training(mnist_dir, killed, *budget, "test=false")
    wait_for(killed / "checkpoints" / "iteration_120.ckpt", process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    saved = iteration_of(killed / "checkpoints" / "last.ckpt")
    assert 100 <= saved < 300  # last.ckpt lags the periodic one by at most one interval

    process = start_training(mnist_dir, resumed, *budget, "test=false", f"ckpt_path={killed}")  # a run folder
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output[-3000:]
    state = torch.load(resumed / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert state["global_step"] // 2 == 300  # as an uninterrupted run
    assert all(opt["state"] for opt in state["optimizer_states"])  # both Adam states came along
    steps = scalar_steps(resumed)
    assert min(steps) >= saved and max(steps) == 299  # the curves continue where the checkpoint was


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
    assert iteration_of(last) > 40  # saved on the way out, not only the periodic one
    assert f"Resume with ckpt_path={last}" in output


def test_same_seed_same_losses(make_cfg, tmp_path):
    runs = []
    for name in ("a", "b"):
        train(make_cfg("iterations=5", "test=false", "trainer.deterministic=true", output_dir=tmp_path / name))
        events = EventAccumulator(str(tmp_path / name / "tensorboard"))
        events.Reload()
        runs.append([[e.value for e in events.Scalars(f"train/{t}")] for t in ("d_loss", "g_loss", "g_grad_norm")])
    assert runs[0] == runs[1]


def test_divergence_stops_with_iteration_and_keeps_good_checkpoints(make_cfg, tmp_path):
    cfg = make_cfg(
        "iterations=60", "loss.g_optimizer.lr=1e30", "loss.d_optimizer.lr=1e30", "trainer.log_every_n_steps=1"
    )
    with pytest.raises(DivergenceError, match=r"became (nan|inf|-inf) at iteration \d+"):
        train(cfg)
    run = tmp_path / "run"
    assert "DivergenceError" in (run / "FAILED").read_text()
    for path in (run / "checkpoints").glob("*.ckpt"):
        state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
        assert all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point()), path


def test_multirun_keeps_the_jobs_that_did_not_diverge(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    result = run_module(
        "gan_lightning.train", "-m", *cli_overrides(mnist_dir), "iterations=20", "test=false",
        "trainer.log_every_n_steps=1", "loss.d_optimizer.lr=1e30,1e-3", f"hydra.sweep.dir={sweep}",
    )  # fmt: skip
    assert result.returncode != 0  # the sweep reports its failure...
    assert (sweep / "0" / "FAILED").exists()
    assert (sweep / "1" / "checkpoints" / "last.ckpt").exists()  # ...after running the other job to the end
    assert not (sweep / "1" / "FAILED").exists()


def test_unwritable_output_folder_is_refused(make_cfg, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="paths.output_dir .* is not a writable folder"):
        train(make_cfg(output_dir=blocker / "run"))


def test_checkpoint_with_another_latent_size_is_refused(make_cfg, tmp_path):
    train(make_cfg("iterations=2", "test=false", output_dir=tmp_path / "first"))
    resume = make_cfg("model.latent_dim=64", f"ckpt_path={tmp_path / 'first'}", output_dir=tmp_path / "second")
    with pytest.raises(CheckpointError, match=r"latent_dim"):
        train(resume)


def test_ckpt_path_last_finds_the_newest_run(make_cfg, tmp_path):
    runs = tmp_path / "logs"
    train(make_cfg("iterations=2", "test=false", f"paths.log_dir={runs}", output_dir=runs / "train" / "runs" / "one"))
    train(
        make_cfg(
            "iterations=4",
            "test=false",
            "ckpt_path=last",
            f"paths.log_dir={runs}",
            output_dir=runs / "train" / "runs" / "two",
        )
    )
    assert iteration_of(runs / "train" / "runs" / "two" / "checkpoints" / "last.ckpt") == 4


def test_truncated_mnist_file_is_reported(tmp_path):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(DataError, match="corrupt"):
        MNISTDataModule(str(tmp_path), download=False).prepare_data()


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
    assert iteration_of(run / "checkpoints" / "last.ckpt") == 10


def test_checkpoints_carry_the_random_streams(make_cfg):
    from hydra.utils import instantiate

    model = instantiate(make_cfg().model)
    checkpoint: dict = {}
    model.on_save_checkpoint(checkpoint)
    expected = torch.randn(4)
    torch.randn(100)  # the stream moves on
    model.on_load_checkpoint(checkpoint)
    torch.testing.assert_close(torch.randn(4), expected, rtol=0, atol=0)
