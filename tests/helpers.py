"""What the tests share: tiny MNIST IDX files written by the tests, configs composed the way Hydra does, entry
points run as users run them, and recorders of what a training run does."""

import os
import struct
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_lightning.artifacts.checkpoints import read_checkpoint
from gan_lightning.cli.resolvers import register_resolvers
from gan_lightning.core.iterations import completed_iterations
from gan_lightning.core.paths import CONF_DIR, PROJECT_ROOT

TRAIN_IMAGES, TEST_IMAGES, VAL_IMAGES = 320, 64, 64
# pyproject.toml's optional extras and the module each brings: the suite runs with .[dev] alone.
EXTRAS = {"wandb": "wandb", "mlflow": "mlflow", "dashboard": "optuna_dashboard"}


def needs_extra(*extras: str) -> pytest.MarkDecorator:
    """Skip a test whose packages come with an optional extra that is not installed, naming the extra."""
    missing = [name for name in extras if find_spec(EXTRAS[name]) is None]
    reason = f"needs the {' and '.join(missing)} extra: pip install -e '.[{','.join(missing)}]'"
    return pytest.mark.skipif(bool(missing), reason=reason)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in the IDX format of the MNIST files (magic 0x08 type, then the dims)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten stroke patterns with noise; pixels 0-1 of row 0 store the image's index so tests can track it."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 4 + 2 * label : 6 + 2 * label, 6:22] = 255  # one bar per class
        images[i, 6:22, 4 + 2 * label : 6 + 2 * label] = 200
    images[:, 0, 0], images[:, 0, 1] = np.arange(n) // 256, np.arange(n) % 256
    return images, labels


def write_mnist(root: Path, n_train: int = TRAIN_IMAGES, n_test: int = TEST_IMAGES) -> Path:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = synthetic_digits(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def checkpoint_iteration(path: Path) -> int:
    """The GAN iterations a checkpoint file has completed (read as users' tools read it: weights_only)."""
    checkpoint = read_checkpoint(path)
    return completed_iterations(checkpoint["global_step"], checkpoint["hyper_parameters"]["d_steps"])


def tiny_overrides(data_dir: Path, output_dir: Path) -> list[str]:
    """Overrides that make a training run take seconds on tiny data."""
    return [
        f"data.data_dir={data_dir}",
        "data.download=false",
        "data.batch_size=16",
        f"data.val_size={VAL_IMAGES}",
        "data.eval_batch_size=64",
        "iterations=6",
        "trainer.accelerator=cpu",
        "trainer.log_every_n_steps=1",
        "trainer.enable_model_summary=false",
        "callbacks.checkpoint.every_n_iterations=3",
        "callbacks.sample_grid.every_n_iterations=3",
        f"paths.output_dir={output_dir}",
    ]


def cli_overrides(data_dir: Path) -> list[str]:
    """tiny_overrides for the command line, where paths.output_dir stays Hydra's own run folder."""
    return [o for o in tiny_overrides(data_dir, Path("unused")) if not o.startswith("paths.output_dir")]


def subprocess_env(extra: dict | None = None) -> dict:
    return {**os.environ, "PYTHONWARNINGS": "ignore", **(extra or {})}


def run_module(module: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m module args...` from the project root, as a user runs it."""
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, env=subprocess_env(env)
    )


def compose_command(command: str, *overrides: str) -> DictConfig:
    """conf/<command>.yaml composed with overrides, as the command composes it (without Hydra's run folder)."""
    register_resolvers()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(command, overrides=list(overrides))


def compose_train(*overrides: str) -> DictConfig:
    return compose_command("train", *overrides)


def run_main_in_process(main, *args: str) -> object:
    """A Hydra entry point's `main()` with `args` as its command line, in this process.

    Returns what it exited with: None on success, else SystemExit's code (1, or the one-line
    "error: ..." message that `python -m` would print to stderr). Faster than a subprocess where the
    process boundary itself is not under test.
    """
    argv = sys.argv
    sys.argv = [main.__module__, *args]
    try:
        main()
    except SystemExit as exited:
        return exited.code
    finally:
        sys.argv = argv
    return None


def datamodule(root: Path, **overrides):
    """The data module as conf/data/mnist.yaml builds it, over `root`, with values overridden."""
    from hydra.utils import instantiate

    settings = {"download": "false", **{k: str(v).lower() if isinstance(v, bool) else v for k, v in overrides.items()}}
    return instantiate(compose_train(f"data.data_dir={root}", *(f"data.{k}={v}" for k, v in settings.items())).data)


class RecordWhatDSees(pl.Callback):
    """D's inputs in training, the real minibatches, and G's outputs."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.d_inputs, self.g_outputs, self.reals = [], [], []
        pl_module.discriminator.register_forward_hook(lambda m, args, out: self.d_inputs.append(args[0].clone()))
        pl_module.generator.register_forward_hook(lambda m, args, out: self.g_outputs.append(out.detach().clone()))

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.reals.append(batch.clone())


FIXTURES = Path(__file__).parent / "fixtures"
# Checkpoints written before the package had its wings, by `train` of that day; both must keep loading.
CHECKPOINT_V0_1 = FIXTURES / "checkpoint_v0_1.pt"  # version 0.1: MLP 16-16, ema 0.9, 4 iterations
CHECKPOINT_V0_2 = FIXTURES / "checkpoint_v0_2.pt"  # version 0.2: DCGAN width 4, latent 16, hinge, spectral norm,
# ema 0.9, ADA over translation, R1 1, 4 iterations (commit 0fcf9ab)


def tensorboard_events(run: Path) -> EventAccumulator:
    """Every scalar and image a run folder's TensorBoard files hold (none sampled away)."""
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events
