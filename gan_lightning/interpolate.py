"""Latent walks: `python -m gan_lightning.interpolate ckpt_path=last n=8 steps=10`.

Each of the n rows walks from one Gaussian z to another along the sphere (slerp: Gaussian z's in 100
dimensions lie near a sphere, where a straight line would cut through the low-density middle). Under each
frame the feature classifier's digit and confidence show where G changes its mind. Writes `picture` (PNG)
and an animated GIF beside it, into outputs/interpolate/runs/<date>_<time>/ unless `picture=` is an
absolute path; the same seed gives the same pictures. A conditional generator walks each row at one digit
(`digit=7` for all, else row r at digit r mod 10), or, with `between=[3,8]`, keeps each row's z and walks
the class embedding from one digit to the other.

Examples:
    python -m gan_lightning.interpolate ckpt_path=last
    python -m gan_lightning.interpolate ckpt_path=best n=4 steps=16
    python -m gan_lightning.interpolate ckpt_path=last seed=3 picture=/tmp/walks.png
"""

import logging
from pathlib import Path

import matplotlib
import numpy as np
import torch
from omegaconf import DictConfig
from PIL import Image

from gan_lightning.artifacts.loading import TrainedGenerator, load_trained_generator
from gan_lightning.checks import check_config
from gan_lightning.cli.entry import entry_point
from gan_lightning.core.errors import ConfigError
from gan_lightning.core.paths import output_path, train_runs
from gan_lightning.data.labels import conditioned
from gan_lightning.quality.classifier import load_classifier

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

log = logging.getLogger(__name__)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of a and b at fractions t (shape (steps,)): (n, steps, dim)."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=1).clamp(-1, 1)[:, None, None]
    omega = torch.arccos(cos)
    t = t[None, :, None]
    straight = torch.sin(omega) < 1e-6  # (anti)parallel: the sphere's arc is the straight line
    sin = torch.where(straight, torch.ones_like(omega), torch.sin(omega))
    weights_a = torch.where(straight, 1 - t, torch.sin((1 - t) * omega) / sin)
    weights_b = torch.where(straight, t, torch.sin(t * omega) / sin)
    return weights_a * a[:, None] + weights_b * b[:, None]


def latent_walks(n: int, steps: int, latent_dim: int, seed: int) -> torch.Tensor:
    ends = torch.randn(2, n, latent_dim, generator=torch.Generator().manual_seed(seed))
    return slerp(ends[0], ends[1], torch.linspace(0, 1, steps))


def frame_labels(cfg: DictConfig, trained: TrainedGenerator) -> torch.Tensor | None:
    """The digit of every frame, for a conditional G: each walk at one digit (`digit`, else row r at digit
    r mod 10), or with `between=[a, b]` the class mixture going from a to b (the embeddings' straight line)."""
    asks = cfg.digit is not None or cfg.between is not None
    if not trained.num_classes:
        if asks:
            raise ConfigError(
                f"{trained.path} is an unconditional generator: digit= and between= need conditional=true"
            )
        return None
    if cfg.between is None:
        rows = torch.full((cfg.n,), cfg.digit) if cfg.digit is not None else torch.arange(cfg.n) % trained.num_classes
        return rows.repeat_interleave(cfg.steps)
    start, end = torch.eye(trained.num_classes)[list(cfg.between)]
    t = torch.linspace(0, 1, cfg.steps)[:, None]
    return ((1 - t) * start + t * end).repeat(cfg.n, 1)


@torch.no_grad()
def walk(cfg: DictConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The walks' images (n, steps, 28, 28), predicted digits and confidences (n, steps)."""
    trained = load_trained_generator(cfg.ckpt_path, train_runs(cfg.paths.log_dir))
    classifier, _ = load_classifier(cfg.classifier)
    labels = frame_labels(cfg, trained)
    z = latent_walks(cfg.n, cfg.steps, trained.latent_dim, cfg.seed)
    if cfg.between is not None:  # each row keeps its walk's first z
        z = z[:, :1].expand(-1, cfg.steps, -1)
    images = conditioned(trained.net, z.flatten(0, 1), labels)
    confidence, digit = classifier(images).softmax(dim=1).max(dim=1)
    shape = (cfg.n, cfg.steps)
    return images.view(*shape, 28, 28).numpy(), digit.view(shape).numpy(), confidence.view(shape).numpy()


def save_picture(images: np.ndarray, digits: np.ndarray, confidence: np.ndarray, path: Path) -> None:
    rows, cols = digits.shape
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.25 * rows), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(images[r, c], cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{digits[r, c]} ({confidence[r, c]:.2f})", fontsize=7, pad=2)
            ax.axis("off")
    fig.tight_layout(pad=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)


def save_animation(images: np.ndarray, path: Path, scale: int = 3) -> None:
    """One frame per step, the n walks side by side; forward then back, so that it loops smoothly."""
    frames = []
    for step in [*range(images.shape[1]), *range(images.shape[1] - 2, 0, -1)]:
        row = np.concatenate(list(images[:, step]), axis=1)
        pixels = (row * 255).round().astype(np.uint8).repeat(scale, axis=0).repeat(scale, axis=1)
        frames.append(Image.fromarray(pixels, mode="L"))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=120, loop=0)


def interpolate(cfg: DictConfig) -> Path:
    check_config(cfg, "interpolate")
    images, digits, confidence = walk(cfg)
    picture = output_path(cfg.picture, cfg.paths.output_dir)
    save_picture(images, digits, confidence, picture)
    save_animation(images, picture.with_suffix(".gif"))
    log.info("Wrote %s and %s", picture, picture.with_suffix(".gif"))
    return picture


main = entry_point("interpolate")(interpolate)

if __name__ == "__main__":
    main()
