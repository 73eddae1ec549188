"""Draw images from a trained generator: `python -m gan_lightning.sample ckpt_path=... n=10000 out=samples.npy`.

The .npy file is read by other tools: float32, shape (n, 28, 28), values in [0, 1]. Keep it so.
"""

import logging
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from gan_lightning.checkpoints import load_gan
from gan_lightning.config import check_config, entry_point
from gan_lightning.images import image_grid, save_png

log = logging.getLogger(__name__)


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


def sample(cfg: DictConfig) -> Path:
    check_config(cfg)
    out = Path(cfg.out)
    trained = load_gan(cfg.ckpt_path)
    images = generate(trained.model, cfg.n, cfg.seed, cfg.batch_size, cfg.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, images)
    save_png(image_grid(torch.from_numpy(images[:64]).unsqueeze(1)), out.with_suffix(".png"))
    log.info(
        "Wrote %d samples of iteration %d to %s (grid: %s)", cfg.n, trained.iteration, out, out.with_suffix(".png")
    )
    return out


main = entry_point("sample")(sample)

if __name__ == "__main__":
    main()
