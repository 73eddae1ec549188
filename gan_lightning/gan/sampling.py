"""Images from a trained generator, reproducible from a seed: what `sample`, `evaluate` and the Python API draw."""

import numpy as np
import torch

from gan_lightning.artifacts.loading import TrainedGenerator
from gan_lightning.core.errors import ConfigError
from gan_lightning.data.labels import DIGITS, conditioned


def truncated_normal(n: int, latent_dim: int, stream: torch.Generator, truncation: float | None) -> torch.Tensor:
    """z ~ N(0, I); with `truncation`, every component beyond that radius drawn again until none is (BigGAN's
    truncation trick: fewer, better images; lower values trade variety for fidelity)."""
    z = torch.randn(n, latent_dim, generator=stream)
    if truncation is None:
        return z
    while (outside := z.abs() > truncation).any():
        z[outside] = torch.randn(int(outside.sum()), generator=stream)
    return z


def digit_labels(n: int, digit: int | None, seed: int) -> torch.Tensor:
    """The digits a conditional G is asked for: all `digit`, or (None) each drawn uniformly, from the seed."""
    if digit is not None:
        return torch.full((n,), digit, dtype=torch.int64)
    return torch.randint(DIGITS, (n,), generator=torch.Generator().manual_seed(seed))


def asked_digits(trained: TrainedGenerator, n: int, digit: int | None, seed: int) -> torch.Tensor | None:
    """The digit of each image for a conditional G (all `digit`, or a uniform mix); None for an unconditional one,
    which cannot be asked for a digit."""
    if trained.num_classes is None:
        if digit is not None:
            raise ConfigError(
                f"digit={digit}: {trained.path} is an unconditional generator, it draws whatever digit comes out; "
                "train with conditional=true to ask for one"
            )
        return None
    return digit_labels(n, digit, seed)


@torch.no_grad()
def generate(
    generator: torch.nn.Module,
    latent_dim: int,
    n: int,
    seed: int,
    batch_size: int,
    device: str,
    labels: torch.Tensor | None = None,
    truncation: float | None = None,
) -> np.ndarray:
    """n images from G in eval mode, float32 (n, 28, 28) in [0, 1]; the same seed gives the same images (z is
    drawn on the CPU, so on any device). `labels`: the digit of each image, for a conditional G."""
    generator = generator.to(device).eval()
    stream = torch.Generator().manual_seed(seed)
    batches = []
    for start in range(0, n, batch_size):
        z = truncated_normal(min(batch_size, n - start), latent_dim, stream, truncation)
        asked = None if labels is None else labels[start : start + len(z)].to(device)
        batches.append(conditioned(generator, z.to(device), asked).squeeze(1).float().cpu())
    return torch.cat(batches).numpy()
