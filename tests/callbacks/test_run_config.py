"""StoreConfig: the run's resolved config in every checkpoint."""

from omegaconf import OmegaConf

from gan_lightning.artifacts.checkpoints import CONFIG_KEY
from gan_lightning.callbacks import StoreConfig


def test_the_resolved_config_is_stored_as_plain_containers():
    cfg = OmegaConf.create({"seed": 3, "model": {"width": "${seed}"}, "tags": [1, 2]})
    checkpoint = {}
    StoreConfig(cfg).on_save_checkpoint(None, None, checkpoint)
    assert checkpoint[CONFIG_KEY] == {"seed": 3, "model": {"width": 3}, "tags": [1, 2]}
    assert type(checkpoint[CONFIG_KEY]["tags"]) is list
