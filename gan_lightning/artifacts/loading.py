"""The generator people sample from, out of a training checkpoint or an exported folder alike."""

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from gan_lightning.artifacts.checkpoints import load_gan
from gan_lightning.artifacts.exported import is_export, read_export
from gan_lightning.core.paths import resolve_ckpt_path


@dataclass
class TrainedGenerator:
    net: nn.Module  # in eval mode: the moving average of G when the run had one
    latent_dim: int
    iteration: int
    path: Path
    config: dict  # the run's config (a checkpoint) or config.json (an export)
    num_classes: int | None = None  # a conditional G's classes (10 digits); None: unconditional


def load_trained_generator(path: str | Path, runs_dir: str | Path) -> TrainedGenerator:
    """`path`: a checkpoint, a run folder, `last` / `best` (looked up under runs_dir) or an exported folder."""
    resolved = resolve_ckpt_path(str(path), runs_dir)
    if is_export(resolved):
        net, config = read_export(resolved)
        return TrainedGenerator(
            net, config["latent_dim"], config["iteration"], resolved.resolve(), config, net.num_classes
        )
    trained = load_gan(resolved, Path(runs_dir))
    net, model = trained.model.eval_generator.eval(), trained.model
    return TrainedGenerator(net, model.latent_dim, trained.iteration, trained.path, trained.config, model.num_classes)
