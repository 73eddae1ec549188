"""Training checkpoints that describe themselves: they carry the run's composed config."""

from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gan_lightning.config import PROJECT_ROOT
from gan_lightning.errors import GANError
from gan_lightning.module import GAN

CONFIG_KEY = "gan_lightning_config"


class CheckpointError(GANError):
    """A checkpoint is missing, unreadable or not one of ours."""


class StoreConfig(pl.Callback):
    """Writes the run's resolved config into every checkpoint, so `evaluate` and `sample` need nothing else."""

    def __init__(self, cfg: DictConfig) -> None:
        self.config = OmegaConf.to_container(cfg, resolve=True)

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        checkpoint[CONFIG_KEY] = self.config


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


def check_compatible(checkpoint: dict, model: torch.nn.Module, path: str | Path) -> None:
    """Refuse a checkpoint whose tensors do not fit the configured model, naming the first mismatch."""
    expected = model.state_dict()
    for name, tensor in checkpoint["state_dict"].items():
        if name in expected and tensor.shape != expected[name].shape:
            hint = (
                " (model.latent_dim differs from the run that wrote it)" if name.startswith("generator.net.0.") else ""
            )
            raise CheckpointError(
                f"{path} does not fit this config: {name} has shape {tuple(tensor.shape)} there and "
                f"{tuple(expected[name].shape)} here{hint}"
            )
    missing = sorted(set(expected) - set(checkpoint["state_dict"]))
    unexpected = sorted(set(checkpoint["state_dict"]) - set(expected))
    if any(name.startswith("generator_ema.") for name in missing):
        raise CheckpointError(f"{path} was trained without ema (no averaged generator in it); resume with ema=null")
    if any(name.startswith("generator_ema.") for name in unexpected):
        raise CheckpointError(f"{path} was trained with ema (it holds an averaged generator); resume with ema=<decay>")
    if missing:
        raise CheckpointError(f"{path} does not fit this config: it lacks {missing[0]} (another model?)")
    if unexpected:
        raise CheckpointError(f"{path} does not fit this config: it has {unexpected[0]}, which this model lacks")


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint file, or raise a CheckpointError that says what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; pass ckpt_path=<run folder>/checkpoints/last.ckpt")
    try:
        # Our own files hold Lightning's loop state and hyperparameters, which weights_only cannot read.
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # torch raises many types for truncated or foreign files
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a PyTorch file ({type(err).__name__}: {err})"
        ) from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict)")
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
        raise CheckpointError(f"{path} was not written by gan_lightning.train (it stores no run config)")
    config = checkpoint[CONFIG_KEY]
    model: GAN = instantiate(config["model"])
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not fit the model of its own config: {err}") from err
    iteration = checkpoint.get("global_step", 0) // model.optimizer_steps_per_iteration
    return TrainedGAN(model.eval(), config, iteration, path.resolve())
