"""Evaluate a trained generator: `python -m gan_lightning.evaluate ckpt_path=...`.

Runs the model's test step (D's accuracy on the real test images and on as many fakes) with the sample
quality metrics, and writes metrics.json and samples.png into the run folder. For a run trained with ema,
`use_ema=false` scores the raw generator instead of its moving average.
"""

import json
import logging
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

from gan_lightning.callbacks import SampleGrid
from gan_lightning.checkpoints import load_gan
from gan_lightning.config import CONF_DIR, check_config, exit_on_user_error

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict:
    check_config(cfg)
    trained = load_gan(cfg.ckpt_path)
    if not cfg.use_ema:
        trained.model.generator_ema = None  # `sampler` falls back to the raw G
    pl.seed_everything(cfg.seed)
    quality = instantiate(cfg.sample_quality)
    trainer = instantiate(cfg.trainer, callbacks=[quality])
    metrics = trainer.test(trained.model, datamodule=instantiate(cfg.data))[0]
    output_dir = Path(cfg.paths.output_dir)
    grid = SampleGrid(dirpath=str(output_dir)).grid(trained.model)
    SampleGrid.save(grid, output_dir / "samples.png")
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


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="evaluate")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    evaluate(cfg)


if __name__ == "__main__":
    main()
