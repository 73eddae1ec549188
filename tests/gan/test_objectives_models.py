"""Every loss on every model trains; the generator's moving average is what gets scored and sampled."""

import copy
import functools
import math
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch import nn

from gan_lightning.artifacts.checkpoints import CheckpointError, check_compatible, load_gan, read_checkpoint
from gan_lightning.checks import check_config
from gan_lightning.core.curves import tag as curve
from gan_lightning.core.errors import ConfigError
from gan_lightning.gan.losses import Hinge, LeastSquares, Minimax, NonSaturating, Wasserstein
from gan_lightning.gan.module import GAN
from gan_lightning.gan.penalties import r1_penalty
from gan_lightning.gan.sampling import generate
from gan_lightning.train import train
from tests.helpers import (
    RecordWhatDSees,
    checkpoint_iteration,
    compose_train,
    datamodule,
    tensorboard_events,
    tiny_overrides,
)

LOSSES = ["minimax", "nonsaturating", "lsgan", "hinge", "wgan_gp"]
MODELS = ["mlp", "dcgan"]


def tensorboard_scalars(run: Path) -> dict[str, list[float]]:
    events = tensorboard_events(run)
    return {tag: [e.value for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_on_every_model_with_finite_metrics(make_cfg, tmp_path, loss, model):
    cfg = make_cfg(f"loss={loss}", f"model={model}", "iterations=4", "callbacks.checkpoint.every_n_iterations=4")
    metrics = train(cfg)
    for name in ("val/fid", "val/kid", "val/inception_score", "test/fid", "test/d_real_acc", "test/d_fake_acc"):
        assert math.isfinite(metrics[name]), name
    state = read_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    # Each loss brings its own D:G step ratio (wgan_gp: 5 critic steps per generator step), counted by Adam.
    d_steps = {"wgan_gp": 5}.get(loss, 1)
    g_adam, d_adam = (opt["state"][0]["step"] for opt in state["optimizer_states"])
    assert (int(g_adam), int(d_adam)) == (4, 4 * d_steps)
    assert checkpoint_iteration(tmp_path / "run" / "checkpoints" / "last.ckpt") == 4
    if loss == "wgan_gp":
        assert math.isfinite(metrics[curve("d_gradient_penalty")])


class CaptureFirstIteration(pl.Callback):
    """Keeps the first training batch (as the module sees it) and a copy of D before its first update."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if not hasattr(self, "batch"):
            self.batch, self.discriminator = batch.clone(), copy.deepcopy(pl_module.discriminator)


def test_logged_r1_term_is_gamma_over_two_times_the_penalty(make_cfg, tmp_path):
    """The logged (and added) R1 term is r1_gamma / 2 * E|grad D(x)|^2 on the iteration's real batch."""
    capture = CaptureFirstIteration()
    train(make_cfg("model=dcgan", "loss=hinge", "r1_gamma=10", "iterations=1", "test=false"), [capture])
    logged = tensorboard_scalars(tmp_path / "run")
    expected = 10 / 2 * r1_penalty(capture.discriminator, capture.batch)
    assert logged[curve("d_r1_penalty")][0] == pytest.approx(expected.item(), rel=1e-5)
    # D's loss is its two hinge terms plus that penalty.
    parts = logged[curve("d_real_loss")][0] + logged[curve("d_fake_loss")][0] + logged[curve("d_r1_penalty")][0]
    assert logged[curve("d_loss")][0] == pytest.approx(parts, rel=1e-5)


def test_lazy_r1_runs_its_own_pass_only_on_every_r1_every_th_d_step(make_cfg):
    """d_steps=2, r1_every=3, 3 iterations: D steps 1-6, R1 on steps 3 and 6 (iteration 1's first, 2's second)."""
    record = RecordWhatDSees()
    overrides = ["r1_gamma=1", "r1_every=3", "d_steps=2", "iterations=3", "test=false"]
    train(make_cfg(*overrides, "trainer.limit_val_batches=0"), [record])
    # Each pass is a D step (reals and fakes), R1's own pass (the reals of the D step just before) or G's.
    kinds = []
    for i, images in enumerate(record.d_inputs):
        previous = record.d_inputs[i - 1] if i else None
        if previous is not None and len(previous) == 2 * len(images) and torch.equal(images, previous[: len(images)]):
            kinds.append("r1")
        else:
            kinds.append("d" if len(images) == 2 * len(record.d_inputs[-1]) else "g")
    assert kinds == ["d", "d", "g", "d", "r1", "d", "g", "d", "d", "r1", "g"]


class RecordGenerators(pl.Callback):
    """The averaged G before training and the raw G after every iteration."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.initial = copy.deepcopy(pl_module.generator_ema.module.state_dict())
        self.after: list[dict] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.after.append(copy.deepcopy(pl_module.generator.state_dict()))


@pytest.fixture(scope="module")
def ema_run(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("ema")
    record = RecordGenerators()
    train(compose_train(*tiny_overrides(mnist_dir, out), "ema=0.9", "iterations=8", "test=false"), [record])
    return out / "checkpoints" / "last.ckpt", record


@pytest.fixture(scope="module")
def ema_checkpoint(ema_run):
    return ema_run[0]


def test_ema_after_training_is_the_moving_average_of_every_iteration(ema_run):
    checkpoint, record = ema_run
    model = load_gan(checkpoint).model
    averaged = model.generator_ema.module.state_dict()
    expected = dict(record.initial)
    assert len(record.after) == 8
    for i, raw in enumerate(record.after):  # replay the rule over the 8 iterations
        weight = 1 - min(0.9, (1 + i) / (10 + i))
        expected = {
            name: value + weight * (raw[name] - value) if value.is_floating_point() else raw[name]
            for name, value in expected.items()
        }
    for name, value in averaged.items():
        torch.testing.assert_close(value, expected[name], msg=name)
    moved = [name for name, value in averaged.items() if not torch.equal(value, record.initial[name])]
    assert "net.0.weight" in moved and "net.1.running_mean" in moved  # it left the initial weights
    raw = model.generator.state_dict()
    assert any(not torch.equal(raw[name], averaged[name]) for name in raw)
    assert model.eval_generator is model.generator_ema


def test_sample_draws_from_the_ema_generator(ema_checkpoint):
    model = load_gan(ema_checkpoint).model
    images = generate(model.eval_generator, model.latent_dim, 6, seed=3, batch_size=6, device="cpu")
    z = torch.randn(6, model.latent_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        from_ema = model.generator_ema(z).squeeze(1).numpy()
        from_raw = model.generator(z).squeeze(1).numpy()
    np.testing.assert_array_equal(images, from_ema)
    assert not np.allclose(images, from_raw)


def test_resuming_with_a_different_ema_setting_is_refused(ema_checkpoint, make_cfg):
    checkpoint = read_checkpoint(ema_checkpoint)
    without_ema = instantiate(make_cfg().gan)
    with pytest.raises(CheckpointError, match="ema"):
        check_compatible(checkpoint, without_ema, ema_checkpoint)
    with_ema = instantiate(make_cfg("ema=0.99").gan)
    del checkpoint["state_dict"]["generator_ema.module.net.0.weight"]
    with pytest.raises(CheckpointError, match="ema"):
        check_compatible(checkpoint, with_ema, ema_checkpoint)


@pytest.mark.parametrize(
    "override,key",
    [
        ("ema=1.0", "ema"),
        ("ema=-0.5", "ema"),
        ("r1_gamma=-1", "r1_gamma"),
        ("loss.gp_weight=-1", "gp_weight"),
    ],
)
def test_invalid_penalty_and_ema_values_are_refused(make_cfg, override, key):
    overrides = [override, "loss=wgan_gp"] if "gp_weight" in override else [override]
    with pytest.raises(ConfigError, match=key):
        check_config(make_cfg(*overrides))


@pytest.mark.parametrize("override", ["loss=wgan_gp", "r1_gamma=1"])
def test_compile_with_a_gradient_penalty_is_refused(make_cfg, override):
    with pytest.raises(ConfigError, match="compile=true does not work with gradient penalties .* double backward"):
        check_config(make_cfg(override, "compile=true"))


@pytest.mark.parametrize("use_ema", [True, False])
def test_evaluate_scores_the_ema_generator_unless_told_otherwise(ema_checkpoint, mnist_dir, tmp_path, use_ema):
    from hydra import compose, initialize_config_dir

    from gan_lightning.evaluate import evaluate
    from tests.helpers import CONF_DIR

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


class GreyGenerator(nn.Module):
    """A stub G: every fake is the same flat grey image (the synthetic reals have bright strokes)."""

    latent_dim = 4

    def __init__(self) -> None:
        super().__init__()
        self.level = nn.Parameter(torch.tensor(0.25))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.level.expand(len(z), 1, 28, 28)


class StrokeDetector(nn.Module):
    """A stub D that gives `real` to images with a stroke (a pixel above 0.5) and `fake` to the others."""

    def __init__(self, real: float, fake: float) -> None:
        super().__init__()
        self.real, self.fake = real, fake
        self.unused = nn.Parameter(torch.zeros(()))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        has_stroke = images.flatten(1).amax(1) > 0.5
        return torch.where(has_stroke, self.real, self.fake) + self.unused


def d_accuracy(mnist_dir, objective, real: float, fake: float) -> tuple[float, float]:
    """D's test accuracy on the real test images and on as many fakes, through the real test step."""
    adam = functools.partial(torch.optim.Adam, lr=1e-3)
    model = GAN(GreyGenerator(), StrokeDetector(real, fake), objective, adam, adam)
    data = datamodule(mnist_dir, batch_size=16, val_size=64, eval_batch_size=32)
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    metrics = trainer.test(model, datamodule=data, verbose=False)[0]
    return metrics["test/d_real_acc"], metrics["test/d_fake_acc"]


@pytest.mark.parametrize("objective", [Minimax(), NonSaturating(), LeastSquares(), Hinge(), Wasserstein()])
def test_a_d_that_scores_reals_high_and_fakes_low_is_always_right(mnist_dir, objective):
    assert d_accuracy(mnist_dir, objective, real=5.0, fake=-5.0) == (1.0, 1.0)
    assert d_accuracy(mnist_dir, objective, real=-5.0, fake=5.0) == (0.0, 0.0)  # and always wrong reversed


@pytest.mark.parametrize(
    "objective,real,fake",
    [
        (NonSaturating(), 0.2, -0.2),  # logits: "real" above 0, i.e. sigmoid above 1/2
        (Hinge(), 0.2, -0.2),  # hinge and Wasserstein scores: above 0
        (LeastSquares(), 0.9, 0.1),  # LSGAN regresses to 1 (real) and 0 (fake): above 0.5
    ],
)
def test_d_accuracy_uses_each_objectives_decision_threshold(mnist_dir, objective, real, fake):
    assert d_accuracy(mnist_dir, objective, real, fake) == (1.0, 1.0)


class RecordsModeG(GreyGenerator):
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.modes = [*getattr(self, "modes", []), self.training]
        return super().forward(z)


class RecordsModeD(StrokeDetector):
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.modes = [*getattr(self, "modes", []), self.training]
        return super().forward(images)


def test_the_test_step_scores_with_g_and_d_in_eval_mode(mnist_dir):
    """BatchNorm's running statistics and no dropout: the tutorial's evaluation kept dropout on."""
    adam = functools.partial(torch.optim.Adam, lr=1e-3)
    generator, discriminator = RecordsModeG(), RecordsModeD(5.0, -5.0)
    model = GAN(generator, discriminator, NonSaturating(), adam, adam)
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.test(model, datamodule=datamodule(mnist_dir, batch_size=16, val_size=64, eval_batch_size=32), verbose=False)
    assert generator.modes and discriminator.modes and not any(generator.modes + discriminator.modes)
