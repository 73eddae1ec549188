"""Sample grids and PNG files, for every entry point (training's sample grids, `evaluate`, `sample`)."""

from pathlib import Path

import torch
from torch import nn
from torchvision.utils import make_grid, save_image

from gan_lightning.data.labels import conditioned


def image_grid(images: torch.Tensor, cols: int = 8) -> torch.Tensor:
    """Images (N, 1, 28, 28) in [0, 1] as one grid image, `cols` per row, with grey padding between them."""
    return make_grid(images, nrow=cols, padding=2, pad_value=0.5)


@torch.no_grad()
def generator_grid(generator: nn.Module, z: torch.Tensor, cols: int = 8, labels: torch.Tensor | None = None):
    """The grid of G's images for z (and the digits asked for, for a conditional G), drawn in eval mode
    (BatchNorm's running statistics, no dropout)."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    images = conditioned(generator, z.to(device), None if labels is None else labels.to(device)).cpu()
    generator.train(was_training)
    return image_grid(images, cols)


def fixed_noise(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """The same z for the same seed, on every machine: grids of different runs and iterations compare."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def save_png(grid: torch.Tensor, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(grid, path)
