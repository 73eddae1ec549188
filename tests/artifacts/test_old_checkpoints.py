"""Checkpoints written before the package had its wings load, sample and resume under today's class names."""

import numpy as np
import pytest

from gan_lightning.artifacts.checkpoints import load_gan, read_checkpoint
from gan_lightning.gan.sampling import generate
from gan_lightning.sample import main as sample_main
from gan_lightning.train import train
from tests.helpers import CHECKPOINT_V0_1, CHECKPOINT_V0_2, checkpoint_iteration, run_main_in_process

# The overrides that compose the model each fixture was trained with (4 iterations each).
WRITTEN_WITH = {
    CHECKPOINT_V0_1: [
        "model.generator.hidden=[16]", "model.generator.dropout=[0.0]",
        "model.discriminator.hidden=[16]", "model.discriminator.dropout=[0.0]", "ema=0.9",
    ],
    CHECKPOINT_V0_2: [
        "model=dcgan", "loss=hinge", "model.generator.channels=4", "model.generator.latent_dim=16",
        "model.discriminator.channels=4", "model.discriminator.spectral_norm=true", "ema=0.9",
        "augment=[translation]", "ada_target=0.6", "r1_gamma=1",
    ],
}  # fmt: skip


@pytest.mark.parametrize("checkpoint", WRITTEN_WITH, ids=["v0_1", "v0_2"])
def test_an_old_checkpoint_loads_and_samples(checkpoint, tmp_path):
    trained = load_gan(checkpoint)
    assert trained.iteration == 4 and type(trained.model).__module__ == "gan_lightning.gan.module"
    stored = read_checkpoint(checkpoint)["state_dict"]
    assert all((trained.model.state_dict()[name] == tensor).all() for name, tensor in stored.items())
    out = tmp_path / "samples.npy"
    assert run_main_in_process(sample_main, f"ckpt_path={checkpoint}", "n=8", f"out={out}") is None
    images = np.load(out)
    assert images.shape == (8, 28, 28) and images.dtype == np.float32
    model = trained.model
    np.testing.assert_array_equal(images, generate(model.eval_generator, model.latent_dim, 8, 0, 1000, "cpu"))


@pytest.mark.parametrize("checkpoint", WRITTEN_WITH, ids=["v0_1", "v0_2"])
def test_an_old_checkpoint_resumes_where_it_stopped(checkpoint, make_cfg, tmp_path):
    train(make_cfg(*WRITTEN_WITH[checkpoint], "iterations=6", f"ckpt_path={checkpoint}", "test=false"))
    last = read_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert checkpoint_iteration(tmp_path / "run" / "checkpoints" / "last.ckpt") == 6
    g_adam = last["optimizer_states"][0]["state"][0]
    assert int(g_adam["step"]) == 6  # G's Adam went on from the 4 steps it had taken, not from a fresh start
