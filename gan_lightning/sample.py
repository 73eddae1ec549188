"""Draw images from a trained generator: `python -m gan_lightning.sample ckpt_path=last n=10000`.

`ckpt_path` may also name a folder written by `python -m gan_lightning.export`: the same seed draws the same
images from it as from the checkpoint it was exported from.

Writes samples.npy and a grid of the first 64 (samples.png) into outputs/sample/runs/<date>_<time>/, or to
`out=` where that is an absolute path. The .npy file is read by other tools: float32, shape (n, 28, 28),
values in [0, 1]. Keep it so. A conditional generator draws `digit=7` (all sevens) or, with `digit=null`, a
uniform mix, and samples.labels.npy beside the images says which digit each was asked for. `truncation=0.7`
draws z from the normal truncated at that radius (any generator).

Examples:
    python -m gan_lightning.sample ckpt_path=last
    python -m gan_lightning.sample ckpt_path=best n=1000 seed=1
    python -m gan_lightning.sample ckpt_path=last n=64 out=/tmp/samples.npy
"""

import logging
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from gan_lightning.artifacts.loading import load_trained_generator
from gan_lightning.checks import check_config
from gan_lightning.cli.entry import entry_point
from gan_lightning.core.paths import output_path, train_runs
from gan_lightning.data.images import image_grid, save_png
from gan_lightning.gan.sampling import asked_digits, generate

log = logging.getLogger(__name__)


def sample(cfg: DictConfig) -> Path:
    check_config(cfg, "sample")
    out = output_path(cfg.out, cfg.paths.output_dir)
    trained = load_trained_generator(cfg.ckpt_path, train_runs(cfg.paths.log_dir))
    labels = asked_digits(trained, cfg.n, cfg.digit, cfg.seed)
    images = generate(
        trained.net,
        trained.latent_dim,
        cfg.n,
        cfg.seed,
        batch_size=cfg.batch_size,
        device=cfg.device,
        labels=labels,
        truncation=cfg.truncation,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, images)
    if labels is not None:
        np.save(labels_path(out), labels.numpy())
    save_png(image_grid(torch.from_numpy(images[:64]).unsqueeze(1)), out.with_suffix(".png"))
    log.info("Sampled %s (iteration %d)", trained.path, trained.iteration)
    log.info("Wrote %d samples to %s (grid: %s)", cfg.n, out, out.with_suffix(".png"))
    if labels is not None:
        log.info("The digit each was asked for: %s", labels_path(out))
    return out


def labels_path(out: Path) -> Path:
    """Where a conditional G's samples keep their digits: samples.npy -> samples.labels.npy (int64, (n,))."""
    return out.with_suffix(".labels.npy")


main = entry_point("sample")(sample)

if __name__ == "__main__":
    main()
