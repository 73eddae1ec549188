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

import pytorch_lightning as pl
import torch
import yaml
from hydra.utils import instantiate

from gan_lightning.artifacts.exported import is_export
from gan_lightning.core.errors import describe
from gan_lightning.core.iterations import completed_iterations
from gan_lightning.core.paths import CONF_DIR, PROJECT_ROOT, CheckpointError, resolve_ckpt_path

CONFIG_KEY = "gan_lightning_config"

# What a stored config may name: every class the project's own configs name (conf/, less Hydra's settings and the
# search samplers, which no checkpoint holds), and the optimizers it supports. Anything else (os.system,
# subprocess.run, builtins.exec, ...) is refused.
OPTIMIZERS = frozenset({"torch.optim.Adam", "torch.optim.AdamW", "torch.optim.SGD", "torch.optim.RMSprop"})
NOT_STORED = ("hydra", "hparams_search")


def configured_targets(conf_dir: Path = CONF_DIR) -> frozenset[str]:
    """Every `_target_` in the project's config files, less those of NOT_STORED."""
    targets = set()
    for path in conf_dir.rglob("*.yaml"):
        if path.relative_to(conf_dir).parts[0] not in NOT_STORED:
            targets.update(config_targets(yaml.safe_load(path.read_text()) or {}))
    return frozenset(targets)


# The one table of renamed classes: what checkpoints written before the package had its wings (versions 0.1
# and 0.2) name, and what those classes are called now. Stored configs are read through it, then checked.
RENAMED_TARGETS = {
    **{f"gan_lightning.{module}.{name}": f"gan_lightning.gan.{module}.{name}" for module, names in {
        "module": ["GAN"],
        "nets": ["MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator"],
        "losses": ["Minimax", "NonSaturating", "LeastSquares", "Hinge", "Wasserstein"],
    }.items() for name in names},
    "gan_lightning.data.MNISTDataModule": "gan_lightning.data.mnist.MNISTDataModule",
    "gan_lightning.core.data.MNISTDataModule": "gan_lightning.data.mnist.MNISTDataModule",  # before core/ split
    # Lightning's own W&B and MLflow loggers, before the project's continued runs
    "pytorch_lightning.loggers.WandbLogger": "gan_lightning.loggers.continued.WandbLogger",
    "pytorch_lightning.loggers.MLFlowLogger": "gan_lightning.loggers.continued.MLFlowLogger",
}  # fmt: skip


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


ALLOWED_TARGETS = configured_targets() | OPTIMIZERS


def check_targets(config: dict, path: str | Path) -> None:
    """Refuse a stored config that names anything outside ALLOWED_TARGETS, before anything is built."""
    for target in config_targets(config):
        if target not in ALLOWED_TARGETS:
            raise CheckpointError(
                f"checkpoint {path} names _target_ {target!r} in its config, which is not one of gan_lightning's "
                f"own classes or optimizers; refused, nothing in it was built"
            )


def check_compatible(checkpoint: dict, model: pl.LightningModule, path: str | Path) -> None:
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


def _latent_hint(name: str, theirs: torch.Size, ours: torch.Size, model: pl.LightningModule) -> str:
    """Name the likely cause when a generator tensor differs exactly where the latent size enters."""
    if not name.startswith("generator.") or len(theirs) != len(ours):
        return ""
    differs = [i for i in range(len(ours)) if theirs[i] != ours[i]]
    if all(ours[i] == model.latent_dim for i in differs):
        return f" (model.generator.latent_dim differs: {theirs[differs[0]]} there, {model.latent_dim} here)"
    return ""


def renamed(node: object) -> object:
    """A copy of a stored (nested) config with every renamed `_target_` under its current name."""
    if isinstance(node, dict):
        return {k: RENAMED_TARGETS.get(v, v) if k == "_target_" else renamed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [renamed(item) for item in node]
    return node


def upgrade_legacy_config(config: dict) -> dict:
    """A stored config in today's shape: current class names, and the GAN node under `gan`.

    Up to version 0.2 the `model` node was the whole GAN (version 0.1's also had the speed switches and
    latent_dim, which the module no longer takes); the stored config itself is left alone.
    """
    config = renamed(config)
    if "gan" not in config:
        gan = {k: v for k, v in config["model"].items() if k not in ("compile", "compile_mode", "fused_optimizer")}
        gan.pop("latent_dim", None)
        config = {**config, "gan": gan}
    return config


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint file without running code, or raise a CheckpointError that says what is wrong.

    The stored run config comes back in today's shape (upgrade_legacy_config), its targets checked.
    """
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
        checkpoint[CONFIG_KEY] = upgrade_legacy_config(checkpoint[CONFIG_KEY])
        check_targets(checkpoint[CONFIG_KEY], path)
    return checkpoint


@dataclass
class TrainedGAN:
    model: pl.LightningModule  # gan_lightning.gan.module.GAN, built from the stored config
    config: dict
    iteration: int
    path: Path


def load_gan(path: str | Path, runs_dir: Path = PROJECT_ROOT / "outputs" / "train") -> TrainedGAN:
    """The trained GAN (in eval mode) in a checkpoint written by `train`, with its run config.

    `path` may also be `last`, `best` or a run folder (see resolve_ckpt_path), looked up under runs_dir.
    """
    path = resolve_ckpt_path(str(path), runs_dir)
    if is_export(path):
        raise CheckpointError(
            f"{path} is an exported generator (G only): this needs the training checkpoint it was exported from; "
            f"sample, interpolate and evaluate read exports"
        )
    checkpoint = read_checkpoint(path)
    if CONFIG_KEY not in checkpoint:
        raise CheckpointError(f"checkpoint {path} was not written by gan_lightning.train (it stores no run config)")
    config = checkpoint[CONFIG_KEY]
    model = instantiate(config["gan"])
    check_compatible(checkpoint, model, path)
    model.load_state_dict(checkpoint["state_dict"])
    iteration = completed_iterations(checkpoint["global_step"], model.d_steps)
    return TrainedGAN(model.eval(), config, iteration, path.resolve())
