"""Differentiable augmentation of everything D sees (DiffAugment, Zhao et al. 2020): `augment=[translation,cutout]`.

D is trained on augmented reals and augmented fakes, and G is trained through the same augmentation, so D
cannot memorize the training images and G is never pushed to produce augmented-looking digits. Every
operation is differentiable in the images (G's gradients flow through it) and draws its randomness from
torch's generator on the images' device, one draw per image, so a seed fixes it. Pixels are in [0, 1].
"""

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn


def translation(images: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size (28 -> 4 pixels) in each direction; zeros move in."""
    n, _, height, width = images.shape
    shift = round(height * ratio)
    offsets = torch.randint(-shift, shift + 1, (2, n, 1), device=images.device)
    rows = torch.arange(height, device=images.device) + shift + offsets[0]  # (n, height) into the padded image
    cols = torch.arange(width, device=images.device) + shift + offsets[1]
    padded = F.pad(images, (shift, shift, shift, shift))
    batch = torch.arange(n, device=images.device)[:, None, None]
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (n, h, w, c) -> (n, c, h, w)


def cutout(images: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero a square of `ratio` of the image size (14x14) centred anywhere in the image (clipped at the edges)."""
    n, _, height, width = images.shape
    size = round(height * ratio)
    centres = torch.stack(
        [torch.randint(0, height, (n,), device=images.device), torch.randint(0, width, (n,), device=images.device)]
    )
    rows = torch.arange(height, device=images.device) - (centres[0, :, None] - size // 2)  # (n, height)
    cols = torch.arange(width, device=images.device) - (centres[1, :, None] - size // 2)
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    return images * (~inside)[:, None].to(images.dtype)


def brightness(images: torch.Tensor) -> torch.Tensor:
    """Add one uniform offset in [-0.5, 0.5) per image."""
    return images + (torch.rand(len(images), 1, 1, 1, device=images.device, dtype=images.dtype) - 0.5)


def contrast(images: torch.Tensor) -> torch.Tensor:
    """Scale each image's deviations from its mean by a factor in [0.5, 1.5)."""
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    factor = torch.rand(len(images), 1, 1, 1, device=images.device, dtype=images.dtype) + 0.5
    return (images - mean) * factor + mean


OPERATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "translation": translation,
    "cutout": cutout,
    "brightness": brightness,
    "contrast": contrast,
}


class DiffAugment(nn.Module):
    """The policy's operations in the policy's order, each with fresh randomness per image and call."""

    def __init__(self, policy: Sequence[str]) -> None:
        super().__init__()
        unknown = [name for name in policy if name not in OPERATIONS]
        if unknown:
            raise ValueError(f"unknown augmentation {unknown[0]!r}; choose from {', '.join(OPERATIONS)}")
        self.policy = list(policy)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        for name in self.policy:
            images = OPERATIONS[name](images)
        return images

    def extra_repr(self) -> str:
        return f"policy={self.policy}"
