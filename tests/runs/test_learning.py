"""A learning check on the real MNIST (slow; needs GAN_DATA_DIR): 2,000 iterations make the samples better."""

import os
from pathlib import Path

import pytest
import pytorch_lightning as pl
from hydra.utils import instantiate

from gan_lightning.train import train
from tests.helpers import compose_train

DATA_DIR = os.environ.get("GAN_DATA_DIR", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(DATA_DIR) / "MNIST" / "raw").is_dir(),
        reason="set GAN_DATA_DIR to a folder holding the real MNIST/raw",
    ),
]


def test_default_gan_learns_on_real_mnist(tmp_path):
    cfg = compose_train(
        f"paths.output_dir={tmp_path}",
        "iterations=2000",
        "test=false",
        "trainer.accelerator=cpu",
        "trainer.limit_val_batches=2",  # 2,000 validation images vs 2,000 fakes
    )
    pl.seed_everything(cfg.seed)
    untrained = instantiate(cfg.gan)
    quality = instantiate(cfg.callbacks.sample_quality)
    trainer = pl.Trainer(
        accelerator="cpu", logger=False, callbacks=[quality], limit_val_batches=2, enable_progress_bar=False
    )
    before = trainer.validate(untrained, datamodule=instantiate(cfg.data), verbose=False)[0]
    after = train(cfg)
    assert after["val/fid"] < 0.75 * before["val/fid"], (before, after)
    assert after["val/confidence"] > before["val/confidence"] + 0.05, (before, after)
