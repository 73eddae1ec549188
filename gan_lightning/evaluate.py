"""Evaluate a trained generator: `python -m gan_lightning.evaluate ckpt_path=...`.

Runs the model's test step (D's accuracy on the real test images and on as many fakes) with the sample
quality metrics, and writes metrics.json and samples.png into the run folder. For a run trained with ema,
`use_ema=false` scores the raw generator instead of its moving average.
"""

import json
import logging
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

from gan_lightning.checkpoints import load_gan
from gan_lightning.config import check_config, entry_point
from gan_lightning.images import fixed_noise, generator_grid, save_png

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict:
    check_config(cfg)
    trained = load_gan(cfg.ckpt_path)
    if not cfg.use_ema:
        trained.model.generator_ema = None  # `eval_generator` falls back to the raw G
    pl.seed_everything(cfg.seed)
    quality = instantiate(cfg.callbacks.sample_quality)
    trainer = instantiate(cfg.trainer, callbacks=[quality])
    metrics = trainer.test(trained.model, datamodule=instantiate(cfg.data))[0]
    output_dir = Path(cfg.paths.output_dir)
    z = fixed_noise(64, trained.model.latent_dim)
    save_png(generator_grid(trained.model.eval_generator, z), output_dir / "samples.png")
    report = {
        "ckpt_path": str(trained.path),
        "iteration": trained.iteration,
        "generator": "ema" if trained.model.generator_ema is not None else "raw",
        "classifier_hash": quality.classifier_hash,
        "metrics": {name: float(value) for name, value in metrics.items()},
    }
    (output_dir / "metrics.json").write_text(json.dumps(report, indent=2))
    log.info("Wrote %s and %s", output_dir / "metrics.json", output_dir / "samples.png")
    return report


main = entry_point("evaluate")(evaluate)

if __name__ == "__main__":
    main()
