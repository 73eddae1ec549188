"""Hydra entry point: compose -> instantiate -> fit -> test -> return the optimized metric.

python -m gan_lightning.train loss=nonsaturating
python -m gan_lightning.train -m loss=minimax,nonsaturating seed=1,2
"""

import logging

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gan_lightning.config import check_config, exit_on_user_error

log = logging.getLogger(__name__)


def instantiate_group(group: DictConfig | None) -> list:
    """Instantiate each entry of a group such as `callbacks` or `logger` (null entries switch one off)."""
    return [instantiate(node) for node in (group or {}).values() if node is not None]


def train(cfg: DictConfig) -> dict[str, float]:
    """Train (and by default test) the configured GAN; return the final metrics."""
    check_config(cfg)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    model = instantiate(cfg.model)
    budget = {}
    if cfg.get("iterations"):
        # Users count iterations; Lightning's max_steps counts every optimizer step.
        budget = {"max_steps": cfg.iterations * model.optimizer_steps_per_iteration, "max_epochs": -1}
    trainer = instantiate(
        cfg.trainer,
        callbacks=instantiate_group(cfg.get("callbacks")),
        logger=instantiate_group(cfg.get("logger")),
        **budget,
    )
    for logger in trainer.loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    log.info("Trained %d iterations in %d epochs", model.iteration, trainer.current_epoch)
    if cfg.get("test"):
        trainer.test(model, datamodule=datamodule)
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    log.info("Final metrics: %s", {name: round(value, 4) for name, value in sorted(metrics.items())})
    log.info("Run folder: %s", cfg.paths.output_dir)
    return metrics


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
@exit_on_user_error
def main(cfg: DictConfig) -> float | None:
    metrics = train(cfg)
    return metrics.get(cfg.get("optimized_metric"))


if __name__ == "__main__":
    main()
