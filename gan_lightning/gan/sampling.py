"""Images from a trained generator, reproducible from a seed: what `sample`, `evaluate` and the Python API draw."""

import numpy as np
import torch


@torch.no_grad()
def generate(
    generator: torch.nn.Module, latent_dim: int, n: int, seed: int, batch_size: int, device: str
) -> np.ndarray:
    """n images from G in eval mode, float32 (n, 28, 28) in [0, 1]; the same seed gives the same images (z is
    drawn on the CPU, so on any device)."""
    generator = generator.to(device).eval()
    stream = torch.Generator().manual_seed(seed)
    batches = []
    for start in range(0, n, batch_size):
        z = torch.randn(min(batch_size, n - start), latent_dim, generator=stream)
        batches.append(generator(z.to(device)).squeeze(1).float().cpu())
    return torch.cat(batches).numpy()
