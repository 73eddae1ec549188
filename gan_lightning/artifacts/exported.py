"""Exported generators: a folder with `model.safetensors`, `config.json` and a model card (`README.md`).

What people share instead of a 30 MB training checkpoint: only the generator they sample from (the moving
average when the run had one) and the config that builds it. Reading one never unpickles anything:
safetensors holds tensors only, config.json is JSON, and its `_target_` must be one of the project's
generators before anything is built.
"""

import json
from pathlib import Path

import torch
import yaml
from hydra.utils import instantiate
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gan_lightning.core.errors import describe
from gan_lightning.core.paths import CONF_DIR, CheckpointError

WEIGHTS, CONFIG = "model.safetensors", "config.json"
FORMAT = "gan_lightning.generator/1"
# The generators an export may name: those of the model group's options (conf/model/*.yaml).
GENERATOR_TARGETS = frozenset(
    yaml.safe_load(path.read_text())["generator"]["_target_"] for path in (CONF_DIR / "model").glob("*.yaml")
)


def is_export(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / WEIGHTS).is_file()


def write_export(folder: Path, generator: torch.nn.Module, description: dict) -> None:
    """The generator's tensors and `description` (its config under "generator", and what it was trained as)."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in generator.state_dict().items()}
    save_file(tensors, folder / WEIGHTS)
    (folder / CONFIG).write_text(json.dumps({"format": FORMAT, **description}, indent=2) + "\n")


def read_export(folder: str | Path) -> tuple[torch.nn.Module, dict]:
    """The exported generator in eval mode and its config.json, or a CheckpointError that says what is wrong."""
    folder = Path(folder)
    try:
        config = json.loads((folder / CONFIG).read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"export {folder} has no readable {CONFIG} ({describe(err)})") from err
    target = config.get("generator", {}).get("_target_") if isinstance(config, dict) else None
    if config.get("format") != FORMAT or target not in GENERATOR_TARGETS:
        raise CheckpointError(
            f"export {folder}: {CONFIG} is not a gan_lightning generator ({FORMAT} naming one of "
            f"{', '.join(sorted(GENERATOR_TARGETS))}); refused, nothing in it was built"
        )
    generator = instantiate(config["generator"])
    try:
        generator.load_state_dict(load_file(folder / WEIGHTS))
    except (SafetensorError, RuntimeError, OSError) as err:
        raise CheckpointError(f"export {folder}: {WEIGHTS} does not fit {CONFIG} ({describe(err)})") from err
    return generator.eval(), config
