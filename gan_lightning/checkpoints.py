"""Training checkpoints that describe themselves: they carry the run's composed config.

A checkpoint may come from someone else, so reading one never runs code: files are read with
`torch.load(weights_only=True)` (tensors, plain containers, numbers, strings) and every `_target_` of the
stored config must be one of ALLOWED_TARGETS before anything is instantiated from it.
"""

import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from hydra.utils import instantiate

from gan_lightning.config import PROJECT_ROOT
from gan_lightning.errors import GANError, describe
from gan_lightning.iterations import completed_iterations
from gan_lightning.module import GAN

CONFIG_KEY = "gan_lightning_config"

# What a stored config may name: the project's own pieces, the optimizers it supports, and the Lightning
# classes its configs use. Anything else (os.system, subprocess.run, builtins.exec, ...) is refused.
ALLOWED_TARGETS = frozenset(
    {
        "gan_lightning.module.GAN",
        "gan_lightning.nets.MLPGenerator",
        "gan_lightning.nets.MLPDiscriminator",
        "gan_lightning.nets.DCGANGenerator",
        "gan_lightning.nets.DCGANDiscriminator",
        "gan_lightning.losses.Minimax",
        "gan_lightning.losses.NonSaturating",
        "gan_lightning.losses.LeastSquares",
        "gan_lightning.losses.Hinge",
        "gan_lightning.losses.Wasserstein",
        "gan_lightning.data.MNISTDataModule",
        "gan_lightning.callbacks.IterationCheckpoint",
        "gan_lightning.callbacks.IterationProgressBar",
        "gan_lightning.callbacks.SampleGrid",
        "gan_lightning.callbacks.SampleQuality",
        "gan_lightning.callbacks.RandomStreams",
        "gan_lightning.callbacks.FiniteLossGuard",
        "gan_lightning.callbacks.TensorBoardLayout",
        "gan_lightning.callbacks.ComputeClock",
        "gan_lightning.callbacks.LearningRateDecay",
        "torch.optim.Adam",
        "torch.optim.AdamW",
        "torch.optim.SGD",
        "torch.optim.RMSprop",
        "pytorch_lightning.Trainer",
        "pytorch_lightning.loggers.TensorBoardLogger",
        "pytorch_lightning.loggers.CSVLogger",
    }
)


class CheckpointError(GANError):
    """A checkpoint is missing, unreadable or not one of ours."""


def resolve_ckpt_path(value: str, runs_dir: str | Path) -> Path:
    """`last`: the newest last.ckpt under runs_dir; a run folder: its checkpoints/last.ckpt; else the file."""
    if value == "last":
        candidates = sorted(Path(runs_dir).glob("**/checkpoints/last.ckpt"), key=lambda p: p.stat().st_mtime)
        if not candidates:
            raise CheckpointError(f"ckpt_path=last: no run under {runs_dir} has a checkpoints/last.ckpt yet")
        return candidates[-1]
    path = Path(value)
    if path.is_dir():
        for inside in (path / "checkpoints" / "last.ckpt", path / "last.ckpt"):
            if inside.is_file():
                return inside
        raise CheckpointError(f"run folder {path} holds no checkpoints/last.ckpt")
    return path


def config_targets(node: object) -> Iterator[str]:
    """Every `_target_` value in a (nested) config of dicts and lists."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_target_":
                yield str(value)
            else:
                yield from config_targets(value)
    elif isinstance(node, list):
        for item in node:
            yield from config_targets(item)


def check_targets(config: dict, path: str | Path) -> None:
    """Refuse a stored config that names anything outside ALLOWED_TARGETS, before anything is built."""
    for target in config_targets(config):
        if target not in ALLOWED_TARGETS:
            raise CheckpointError(
                f"checkpoint {path} names _target_ {target!r} in its config, which is not one of gan_lightning's "
                f"own classes or optimizers; refused, nothing in it was built"
            )


def check_compatible(checkpoint: dict, model: GAN, path: str | Path) -> None:
    """Refuse a checkpoint whose tensors do not fit the configured model, naming the first mismatch."""
    expected = model.state_dict()
    for name, tensor in checkpoint["state_dict"].items():
        if name in expected and tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"checkpoint {path} does not fit this config: {name} has shape {tuple(tensor.shape)} there and "
                f"{tuple(expected[name].shape)} here{_latent_hint(name, tensor.shape, expected[name].shape, model)}"
            )
    missing = sorted(set(expected) - set(checkpoint["state_dict"]))
    unexpected = sorted(set(checkpoint["state_dict"]) - set(expected))
    if any(name.startswith("generator_ema.") for name in missing):
        raise CheckpointError(f"checkpoint {path} was trained without ema (no averaged generator in it); use ema=null")
    if any(name.startswith("generator_ema.") for name in unexpected):
        raise CheckpointError(
            f"checkpoint {path} was trained with ema (it holds an averaged generator); use ema=<decay>"
        )
    if missing:
        raise CheckpointError(f"checkpoint {path} does not fit this config: it lacks {missing[0]} (another model?)")
    if unexpected:
        raise CheckpointError(
            f"checkpoint {path} does not fit this config: it has {unexpected[0]}, which this model lacks"
        )


def _latent_hint(name: str, theirs: torch.Size, ours: torch.Size, model: GAN) -> str:
    """Name the likely cause when a generator tensor differs exactly where the latent size enters."""
    if not name.startswith("generator.") or len(theirs) != len(ours):
        return ""
    differs = [i for i in range(len(ours)) if theirs[i] != ours[i]]
    if all(ours[i] == model.latent_dim for i in differs):
        return f" (model.generator.latent_dim differs: {theirs[differs[0]]} there, {model.latent_dim} here)"
    return ""


def upgrade_legacy_config(config: dict) -> dict:
    """A stored config of version 0.1 in today's shape (its model node had the speed switches and latent_dim)."""
    model = dict(config["model"])
    for key in ("compile", "compile_mode", "fused_optimizer", "latent_dim"):
        model.pop(key, None)
    return {**config, "model": model}


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint file without running code, or raise a CheckpointError that says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; pass ckpt_path=<run folder>/checkpoints/last.ckpt")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        blocked = re.search(r"GLOBAL ([\w.]+)", str(err))  # weights_only names the class it refused to build
        if blocked is None:
            raise CheckpointError(f"checkpoint {path} is corrupt or not a PyTorch file (it does not unpickle)") from err
        raise CheckpointError(
            f"checkpoint {path} holds a {blocked.group(1)} object, which a checkpoint written by gan_lightning never "
            f"does; refused, nothing in it was run (only open files from people you trust with your account)"
        ) from err
    except Exception as err:  # torch raises many types for truncated or foreign files
        raise CheckpointError(f"checkpoint {path} is corrupt or not a PyTorch file ({describe(err)})") from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"checkpoint {path} is not a Lightning checkpoint (no state_dict)")
    if CONFIG_KEY in checkpoint:
        check_targets(checkpoint[CONFIG_KEY], path)
    return checkpoint


@dataclass
class TrainedGAN:
    model: GAN
    config: dict
    iteration: int
    path: Path


def load_gan(path: str | Path, runs_dir: Path = PROJECT_ROOT / "outputs" / "train") -> TrainedGAN:
    """The trained GAN (in eval mode) in a checkpoint written by `train`, with its run config.

    `path` may also be `last` or a run folder (see resolve_ckpt_path).
    """
    path = resolve_ckpt_path(str(path), runs_dir)
    checkpoint = read_checkpoint(path)
    if CONFIG_KEY not in checkpoint:
        raise CheckpointError(f"checkpoint {path} was not written by gan_lightning.train (it stores no run config)")
    config = upgrade_legacy_config(checkpoint[CONFIG_KEY])
    model: GAN = instantiate(config["model"])
    check_compatible(checkpoint, model, path)
    model.load_state_dict(checkpoint["state_dict"])
    iteration = completed_iterations(checkpoint["global_step"], model.d_steps)
    return TrainedGAN(model.eval(), config, iteration, path.resolve())
