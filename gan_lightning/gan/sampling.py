"""Images from a trained generator, reproducible from a seed: what `sample`, `evaluate` and the Python API draw."""

import numpy as np
import torch


@torch.no_grad()
def generate(model: torch.nn.Module, n: int, seed: int, batch_size: int, device: str) -> np.ndarray:
    """n images from G in eval mode, float32 (n, 28, 28) in [0, 1]; the same seed gives the same images.

    G is the moving average of its weights when the run was trained with ema.
    """
    model = model.to(device).eval()
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for start in range(0, n, batch_size):
        z = torch.randn(min(batch_size, n - start), model.latent_dim, generator=generator)
        batches.append(model.eval_generator(z.to(device)).squeeze(1).float().cpu())
    return torch.cat(batches).numpy()
