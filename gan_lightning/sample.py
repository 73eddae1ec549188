"""Draw images from a trained generator: `python -m gan_lightning.sample ckpt_path=... n=10000 out=samples.npy`.

The .npy file is read by other tools: float32, shape (n, 28, 28), values in [0, 1]. Keep it so.
"""

import logging
from pathlib import Path

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from torchvision.utils import make_grid

from gan_lightning.callbacks import SampleGrid
from gan_lightning.checkpoints import load_gan
from gan_lightning.config import CONF_DIR, exit_on_user_error
from gan_lightning.errors import ConfigError

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
        batches.append(model.sampler(z.to(device)).squeeze(1).float().cpu())
    return torch.cat(batches).numpy()


def sample(cfg: DictConfig) -> Path:
    if not isinstance(cfg.n, int) or cfg.n <= 0:
        raise ConfigError(f"n must be a positive integer, got {cfg.n!r}")
    if not isinstance(cfg.batch_size, int) or cfg.batch_size <= 0:
        raise ConfigError(f"batch_size must be a positive integer, got {cfg.batch_size!r}")
    out = Path(cfg.out)
    if out.suffix != ".npy":
        raise ConfigError(f"out must name a .npy file, got {cfg.out!r}")
    trained = load_gan(cfg.ckpt_path)
    images = generate(trained.model, cfg.n, cfg.seed, cfg.batch_size, cfg.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, images)
    grid = make_grid(torch.from_numpy(images[:64]).unsqueeze(1), nrow=8, padding=2, pad_value=0.5)
    SampleGrid.save(grid, out.with_suffix(".png"))
    log.info(
        "Wrote %d samples of iteration %d to %s (grid: %s)", cfg.n, trained.iteration, out, out.with_suffix(".png")
    )
    return out


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="sample")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    sample(cfg)


if __name__ == "__main__":
    main()
