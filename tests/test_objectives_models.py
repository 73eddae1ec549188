"""Every loss on every model trains; the generator's moving average is what gets scored and sampled."""

import math

import numpy as np
import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from gan_lightning.checkpoints import CheckpointError, check_compatible, load_gan
from gan_lightning.config import check_config, user_error
from gan_lightning.ema import EMAGenerator
from gan_lightning.errors import ConfigError
from gan_lightning.nets import MLPGenerator
from gan_lightning.sample import generate
from gan_lightning.train import train
from tests.conftest import compose_train, tiny_overrides

LOSSES = ["minimax", "nonsaturating", "lsgan", "hinge", "wgan_gp"]
MODELS = ["mlp", "dcgan"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_on_every_model_with_finite_metrics(make_cfg, tmp_path, loss, model):
    cfg = make_cfg(f"loss={loss}", f"model={model}", "iterations=4", "callbacks.checkpoint.every_n_iterations=4")
    metrics = train(cfg)
    for name in ("val/fid", "val/kid", "val/inception_score", "test/fid", "test/d_real_acc", "test/d_fake_acc"):
        assert math.isfinite(metrics[name]), name
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    # Each loss brings its own D:G step ratio: wgan_gp takes 5 critic steps per generator step.
    assert state["global_step"] == 4 * (cfg.loss.d_steps + 1)
    if loss == "wgan_gp":
        assert cfg.loss.d_steps == 5 and math.isfinite(metrics["train/d_gradient_penalty"])


def test_r1_penalty_is_added_and_logged(make_cfg):
    metrics = train(make_cfg("loss=hinge", "r1_gamma=10", "test=false"))
    assert metrics["train/d_r1_penalty"] > 0
    # D's loss is its two hinge terms plus the penalty.
    parts = metrics["train/d_real_loss"] + metrics["train/d_fake_loss"] + metrics["train/d_r1_penalty"]
    assert metrics["train/d_loss"] == pytest.approx(parts, rel=1e-5)


def test_ema_update_is_the_moving_average_with_warm_up():
    torch.manual_seed(0)
    generator = MLPGenerator(4, hidden=[8], dropout=[0.0])
    ema = EMAGenerator(generator, decay=0.9)
    before = [p.clone() for p in ema.module.parameters()]
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(1.0)
    ema.update(generator, iteration=1000)  # past the warm-up: weight 1 - 0.9
    for old, new, raw in zip(before, ema.module.parameters(), generator.parameters(), strict=True):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * raw)
    ema.update(generator, iteration=0)  # warm-up: decay (1 + 0) / (10 + 0) = 0.1 moves it most of the way
    first = next(ema.module.parameters())
    assert not first.requires_grad
    # The running BatchNorm statistics follow too (here G's are untouched, so they stay equal).
    torch.testing.assert_close(ema.module.net[1].running_mean, generator.net[1].running_mean)


@pytest.fixture(scope="module")
def ema_checkpoint(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("ema")
    train(compose_train(*tiny_overrides(mnist_dir, out), "ema=0.9", "iterations=8", "test=false"))
    return out / "checkpoints" / "last.ckpt"


def test_ema_weights_differ_from_the_raw_ones_after_training(ema_checkpoint):
    model = load_gan(ema_checkpoint).model
    raw, averaged = dict(model.generator.named_parameters()), dict(model.generator_ema.module.named_parameters())
    assert raw.keys() == averaged.keys()
    assert any(not torch.equal(raw[name], averaged[name]) for name in raw)
    assert model.sampler is model.generator_ema


def test_sample_draws_from_the_ema_generator(ema_checkpoint):
    model = load_gan(ema_checkpoint).model
    images = generate(model, 6, seed=3, batch_size=6, device="cpu")
    z = torch.randn(6, model.latent_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        from_ema = model.generator_ema(z).squeeze(1).numpy()
        from_raw = model.generator(z).squeeze(1).numpy()
    np.testing.assert_array_equal(images, from_ema)
    assert not np.allclose(images, from_raw)


def test_resuming_with_a_different_ema_setting_is_refused(ema_checkpoint, make_cfg):
    checkpoint = torch.load(ema_checkpoint, map_location="cpu", weights_only=False)
    without_ema = instantiate(make_cfg().model)
    with pytest.raises(CheckpointError, match="ema"):
        check_compatible(checkpoint, without_ema, ema_checkpoint)
    with_ema = instantiate(make_cfg("ema=0.99").model)
    del checkpoint["state_dict"]["generator_ema.module.net.0.weight"]
    with pytest.raises(CheckpointError, match="ema"):
        check_compatible(checkpoint, with_ema, ema_checkpoint)


@pytest.mark.parametrize(
    "override,key",
    [
        ("ema=1.0", "ema"),
        ("ema=-0.5", "ema"),
        ("r1_gamma=-1", "r1_gamma"),
        ("loss.objective.gp_weight=-1", "gp_weight"),
    ],
)
def test_invalid_penalty_and_ema_values_are_refused(make_cfg, override, key):
    overrides = [override, "loss=wgan_gp"] if "gp_weight" in override else [override]
    with pytest.raises(ConfigError, match=key):
        check_config(make_cfg(*overrides))


@pytest.mark.parametrize("override", ["loss=wgan_gp", "r1_gamma=1"])
def test_compile_with_a_gradient_penalty_is_refused(make_cfg, override):
    with pytest.raises(InstantiationException) as raised:
        instantiate(make_cfg(override, "compile=true").model)
    # What the command line prints (see exit_on_user_error): the module's own message.
    assert isinstance(user_error(raised.value), ConfigError)
    assert "double backward" in str(user_error(raised.value))


@pytest.mark.parametrize("use_ema", [True, False])
def test_evaluate_scores_the_ema_generator_unless_told_otherwise(ema_checkpoint, mnist_dir, tmp_path, use_ema):
    from hydra import compose, initialize_config_dir

    from gan_lightning.evaluate import evaluate
    from tests.conftest import CONF_DIR

    overrides = [
        f"ckpt_path={ema_checkpoint}",
        f"data.data_dir={mnist_dir}",
        "data.download=false",
        "data.val_size=64",
        f"paths.output_dir={tmp_path}",
        f"use_ema={use_ema}",
    ]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        report = evaluate(compose("evaluate", overrides=overrides))
    assert report["generator"] == ("ema" if use_ema else "raw")
    assert math.isfinite(report["metrics"]["test/fid"])
