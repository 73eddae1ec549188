"""The run's composed config in every checkpoint, so that `evaluate` and `sample` need nothing else."""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from gan_lightning.artifacts.checkpoints import CONFIG_KEY


class StoreConfig(pl.Callback):
    """Writes the run's resolved config (plain dicts and lists) into every checkpoint."""

    def __init__(self, cfg: DictConfig) -> None:
        self.config = OmegaConf.to_container(cfg, resolve=True)

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        checkpoint[CONFIG_KEY] = self.config
