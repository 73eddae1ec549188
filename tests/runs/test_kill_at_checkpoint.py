"""A kill loses nothing: whatever a checkpoint records as done is in every logger before the checkpoint exists.

Each run SIGKILLs itself right after one kind of checkpoint is written (tests/runs/kill_switch.py), the worst
moment whatever the machine's load; the resume from that checkpoint, or from an older one (the loggers then
hold iterations after it), must leave each logger one unbroken curve with every iteration exactly once.
"""

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gan_lightning.core.curves import tag as curve
from tests.helpers import (
    PROJECT_ROOT,
    checkpoint_iteration,
    cli_overrides,
    needs_extra,
    subprocess_env,
    tensorboard_events,
)
from tests.runs.tracking_records import mlflow_runs, wandb_runs

ITERATIONS = 24  # 16 a tiny epoch, validated at its end
LOGGERS = "logger=[tensorboard,csv,wandb,mlflow]"
CURVES = [curve("d_loss"), curve("g_lr"), curve("wall_clock_s")]  # the module's, and two callbacks'
BUDGET = [
    f"iterations={ITERATIONS}",
    "callbacks.checkpoint.every_n_iterations=8",
    "callbacks.last_checkpoint.every_n_iterations=4",
    "test=false",
]

# kind: (the checkpoint written, the hook that writes it, the iteration it records, resume from, SIGTERM at)
KINDS = {
    "periodic": ("iteration_8.ckpt", "on_train_batch_end", 8, "iteration_8.ckpt", None),
    "last": ("last.ckpt", "on_train_batch_end", 12, "", None),  # ckpt_path=<run folder> picks last.ckpt
    "best": ("best.ckpt", "on_train_epoch_end", 16, "best.ckpt", None),
    "signal": ("interrupted_11.ckpt", "on_exception", 11, "interrupted_11.ckpt", 10),
    # iterations 8-11 were logged after the checkpoint it resumes from: each logger must hold them once
    "older": ("last.ckpt", "on_train_batch_end", 12, "iteration_8.ckpt", None),
}


def train(mnist_dir: Path, tmp_path: Path, *args: str, kill: dict | None = None) -> subprocess.CompletedProcess:
    env = subprocess_env({"WANDB_MODE": "offline", "WANDB_SILENT": "true", "KILL_SWITCH": json.dumps(kill)})
    env.update({name: str(tmp_path / "wandb_home") for name in ("WANDB_DIR", "WANDB_CONFIG_DIR", "WANDB_CACHE_DIR")})
    module = "tests.runs.kill_switch" if kill else "gan_lightning.train"
    command = [sys.executable, "-m", module, *cli_overrides(mnist_dir), LOGGERS, *BUDGET, *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, env=env)


def tensorboard_steps(run: Path, tag: str) -> list[int]:
    events = tensorboard_events(run)
    return [event.step for event in events.Scalars(tag)]


def csv_steps(run: Path, tag: str) -> list[int]:
    with (run / "csv" / "metrics.csv").open(newline="") as file:
        return [int(row["step"]) for row in csv.DictReader(file) if row.get(tag)]


def wandb_steps(run: Path, tag: str) -> list[int]:
    return [step for part in wandb_runs(run) for step, _ in part.curve(tag)]  # the killed process's, then the resume's


def mlflow_steps(store: Path, tag: str) -> list[int]:
    (only,) = mlflow_runs(store).values()  # one MLflow run, continued
    return [step for step, _ in only["curves"][tag]]


@needs_extra("wandb", "mlflow")
@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_right_after_a_checkpoint_leaves_every_logger_one_unbroken_curve(
    mnist_dir, tmp_path, runs_in_tmp_path, kind
):
    name, hook, iteration, resume_from, signal_at = KINDS[kind]
    run = tmp_path / "run"
    kill = {"checkpoint": str(run / "checkpoints" / name), "hook": hook, "iteration": iteration, "signal_at": signal_at}
    killed = train(mnist_dir, tmp_path, f"hydra.run.dir={run}", kill=kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert checkpoint_iteration(run / "checkpoints" / name) == iteration

    resumed = train(mnist_dir, tmp_path, f"ckpt_path={run / 'checkpoints' / resume_from}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert checkpoint_iteration(run / "checkpoints" / "last.ckpt") == ITERATIONS
    every_iteration = list(range(ITERATIONS))
    for tag in CURVES:
        assert tensorboard_steps(run, tag) == every_iteration, ("TensorBoard", tag)
        assert csv_steps(run, tag) == every_iteration, ("CSV", tag)
        assert wandb_steps(run, tag) == every_iteration, ("W&B", tag)
        assert mlflow_steps(runs_in_tmp_path / "mlflow.db", tag) == every_iteration, ("MLflow", tag)
