"""Draw images from a trained generator: `python -m gan_lightning.sample ckpt_path=last n=10000`.

`ckpt_path` may also name a folder written by `python -m gan_lightning.export`: the same seed draws the same
images from it as from the checkpoint it was exported from.

Writes samples.npy and a grid of the first 64 (samples.png) into outputs/sample/runs/<date>_<time>/, or to
`out=` where that is an absolute path. The .npy file is read by other tools: float32, shape (n, 28, 28),
values in [0, 1]. Keep it so.
"""

import logging
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from gan_lightning.checks import check_config
from gan_lightning.core.cli import entry_point
from gan_lightning.core.generators import load_trained_generator
from gan_lightning.core.images import image_grid, save_png
from gan_lightning.core.paths import output_path, train_runs
from gan_lightning.gan.sampling import generate

log = logging.getLogger(__name__)


def sample(cfg: DictConfig) -> Path:
    check_config(cfg)
    out = output_path(cfg.out, cfg.paths.output_dir)
    trained = load_trained_generator(cfg.ckpt_path, train_runs(cfg.paths.log_dir))
    images = generate(trained.net, trained.latent_dim, cfg.n, cfg.seed, cfg.batch_size, cfg.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, images)
    save_png(image_grid(torch.from_numpy(images[:64]).unsqueeze(1)), out.with_suffix(".png"))
    log.info("Sampled %s (iteration %d)", trained.path, trained.iteration)
    log.info("Wrote %d samples to %s (grid: %s)", cfg.n, out, out.with_suffix(".png"))
    return out


main = entry_point("sample")(sample)

if __name__ == "__main__":
    main()
