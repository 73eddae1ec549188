"""Draw images from a trained generator: `python -m gan_lightning.sample ckpt_path=... n=10000 out=samples.npy`.

The .npy file is read by other tools: float32, shape (n, 28, 28), values in [0, 1]. Keep it so.
"""

import logging
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from gan_lightning.checks import check_config
from gan_lightning.core.checkpoints import load_gan
from gan_lightning.core.cli import entry_point
from gan_lightning.core.images import image_grid, save_png
from gan_lightning.gan.sampling import generate

log = logging.getLogger(__name__)


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
