"""Conditional training end to end (labels travel with their images, every objective and regularizer), its
commands (`sample digit=`, `evaluate`), and unconditional runs logging exactly what they logged before."""

import json
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

from gan_lightning import load_generator
from gan_lightning.core.curves import tag as curve
from gan_lightning.data.mnist import load_mnist
from gan_lightning.evaluate import main as evaluate_main
from gan_lightning.interpolate import latent_walks, walk
from gan_lightning.interpolate import main as interpolate_main
from gan_lightning.sample import main as sample_main
from gan_lightning.train import train
from tests.helpers import FIXTURES, compose_command, run_main_in_process, tensorboard_events

RECORDED = FIXTURES / "unconditional_losses.json"
# The settings of RECORDED: the losses the unconditional nets logged before conditional GANs existed.
RECORDED_RUNS = {
    "mlp": [],
    "dcgan_wgan_gp_r1_ema": ["model=dcgan", "loss=wgan_gp", "r1_gamma=1.0", "ema=0.9", "augment=[translation]"],
}
EXACT = ["test=false", "trainer.limit_val_batches=0", "trainer.deterministic=true"]


class LabelSpy(pl.Callback):
    """Records what D is given in training, (images, labels) of every judgment, and what G drew: (images, labels).

    Whichever of D's methods judges, the images enter its first layer and the labels its projection head."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.calls, self.drawn, entering = [], [], {}

        def images(module, args):
            entering["images"] = args[0].detach().clone()

        def judged(module, args):
            if module.training:
                self.calls.append((entering["images"], args[1].clone()))

        def drew(module, args, output):
            if module.training:
                self.drawn.append((output.detach().clone(), args[1].clone()))

        pl_module.discriminator.net[0].register_forward_pre_hook(images)
        pl_module.discriminator.projection.register_forward_pre_hook(judged)
        pl_module.generator.register_forward_hook(drew)


class ClassLossSpy(pl.Callback):
    """Records each training pass of D through both heads, (logits, class logits, labels), and the losses logged
    after each iteration. D's logits are psi(phi) plus the projection's term, the class logits come after them."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.passes, self.logged, heads = [], [], {}
        discriminator = pl_module.discriminator

        def psi(module, args, output):
            heads["psi"] = output.detach().squeeze(1)

        def projection(module, args, output):
            heads["projection"], heads["labels"] = output.detach(), args[1].clone()

        def classified(module, args, output):
            if module.training:
                logits = heads["psi"] + heads["projection"]
                self.passes.append((logits.clone(), output.detach().clone(), heads["labels"]))

        discriminator.net[-1].register_forward_hook(psi)
        discriminator.projection.register_forward_hook(projection)
        discriminator.classifier.register_forward_hook(classified)

    def on_train_batch_end(self, trainer, *args) -> None:
        self.logged.append({k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("1_losses")})


def index_of(images: torch.Tensor) -> torch.Tensor:
    """The synthetic images' own index, written into their first two pixels (tests/helpers.py)."""
    pixels = (images[:, 0, 0, :2] * 255).round().long()
    return pixels[:, 0] * 256 + pixels[:, 1]


@pytest.mark.parametrize(
    "extra",
    [
        ["loss=minimax"],
        ["loss=nonsaturating", "ema=0.9", "d_steps=2"],
        ["loss=lsgan", "model=dcgan"],
        ["loss=hinge", "model=dcgan", "model.discriminator.spectral_norm=true", "r1_gamma=1.0", "r1_every=2"],
        ["loss=wgan_gp", "model=dcgan", "aux_classifier_weight=1.0"],
    ],
    ids=["minimax", "nonsaturating_ema_dsteps", "lsgan_dcgan", "hinge_sn_lazy_r1", "wgan_gp_aux_classifier"],
)
def test_labels_travel_with_their_images_through_every_d_step_and_the_fakes_get_the_same_digits(
    make_cfg, mnist_dir, extra
):
    spy = LabelSpy()
    cfg = make_cfg("conditional=true", "iterations=4", "test=false", *extra)
    train(cfg, extra_callbacks=[spy])
    truth = load_mnist(mnist_dir, train=True).targets
    d_steps = cfg.d_steps  # 5 for wgan_gp
    d_passes = [(images, labels) for images, labels in spy.calls if len(labels) == 2 * 16]  # reals + fakes
    assert len(d_passes) == 4 * d_steps  # one joint pass per D step
    for images, labels in d_passes:
        real, real_labels, fakes, fake_labels = images[:16], labels[:16], images[16:], labels[16:]
        assert torch.equal(real_labels, truth[index_of(real)])  # each real image with its own digit
        assert torch.equal(fake_labels, real_labels)  # D is told the fakes show the real minibatch's digits
        (asked,) = [asked for drawn, asked in spy.drawn if torch.equal(drawn, fakes)]  # G drew these fakes
        assert torch.equal(asked, fake_labels)  # for exactly the digits D is told they show
    # G's steps: D judges G's fakes with the digits G was asked for.
    g_passes = [(images, labels) for images, labels in spy.calls if len(labels) == 16]
    judged_fakes = 0
    for fakes, asked in spy.drawn:
        for images, labels in g_passes:
            if torch.equal(images, fakes):
                assert torch.equal(labels, asked)
                judged_fakes += 1
    assert judged_fakes == 4  # one G step per iteration


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_the_auxiliary_classifier_learns_real_digits_and_pulls_g_towards_the_asked_ones(make_cfg, model):
    """D's loss adds weight x the cross-entropy of its class logits on the reals (not the fakes) against their
    digits; G's loss adds weight x that of its fakes against the digits G was asked for."""
    spy, weight = ClassLossSpy(), 0.5
    train(
        make_cfg("conditional=true", f"model={model}", f"aux_classifier_weight={weight}", "iterations=3", "test=false"),
        extra_callbacks=[spy],
    )
    assert len(spy.passes) == 2 * 3 and len(spy.logged) == 3  # a D pass (reals + fakes) and a G pass per iteration
    ce = torch.nn.functional.cross_entropy
    for iteration, logged in enumerate(spy.logged):
        (_, d_classes, d_labels), (g_logits, g_classes, g_labels) = spy.passes[2 * iteration : 2 * iteration + 2]
        real_term = weight * ce(d_classes[:16], d_labels[:16])
        assert logged[curve("d_class_loss")] == pytest.approx(float(real_term), rel=1e-5)
        assert float(real_term) != pytest.approx(float(weight * ce(d_classes[16:], d_labels[16:])), rel=1e-5)
        g_term = weight * ce(g_classes, g_labels)
        assert logged[curve("g_class_loss")] == pytest.approx(float(g_term), rel=1e-5)
        adversarial = torch.nn.functional.softplus(-g_logits).mean()  # the non-saturating G loss
        assert logged[curve("g_loss")] == pytest.approx(float(adversarial + g_term), rel=1e-5)


def test_a_conditional_run_logs_asked_digit_accuracy_and_draws_one_row_per_digit(make_cfg, tmp_path):
    metrics = train(make_cfg("conditional=true", "iterations=3"))
    assert 0 <= metrics["val/asked_digit_acc"] <= 1 and 0 <= metrics["test/asked_digit_acc"] <= 1
    assert metrics[curve("images_seen")] == 3 * 16  # images, not (images, labels) pairs
    width, height = Image.open(tmp_path / "run" / "samples" / "final.png").size
    assert (width, height) == (8 * 30 + 2, 10 * 30 + 2)  # 8 columns, 10 rows of 28 pixels and 2 of padding
    unconditional = train(make_cfg("iterations=3", output_dir=tmp_path / "plain"))
    assert "val/asked_digit_acc" not in unconditional


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory, mnist_dir) -> Path:
    from tests.helpers import compose_train, tiny_overrides

    out = tmp_path_factory.mktemp("conditional")
    train(compose_train(*tiny_overrides(mnist_dir, out), "conditional=true", "model=dcgan", "iterations=6"))
    return out


def test_sample_digit_draws_that_digit_and_saves_the_digits_beside_the_images(conditional_run, tmp_path):
    sevens = tmp_path / "sevens.npy"
    assert run_main_in_process(sample_main, f"ckpt_path={conditional_run}", "n=30", "digit=7", f"out={sevens}") is None
    assert np.load(sevens).shape == (30, 28, 28) and np.all(np.load(tmp_path / "sevens.labels.npy") == 7)
    mixed = tmp_path / "mixed.npy"
    assert run_main_in_process(sample_main, f"ckpt_path={conditional_run}", "n=300", f"out={mixed}") is None
    assert set(np.load(tmp_path / "mixed.labels.npy").tolist()) == set(range(10))
    assert not np.array_equal(np.load(sevens)[:5], np.load(mixed)[:5])
    truncated = tmp_path / "truncated.npy"
    args = (f"ckpt_path={conditional_run}", "n=30", "digit=7")
    assert run_main_in_process(sample_main, *args, "truncation=0.5", f"out={truncated}") is None
    assert not np.array_equal(np.load(truncated), np.load(sevens))


def test_digit_is_refused_in_one_line_outside_0_to_9_and_on_an_unconditional_checkpoint(conditional_run, make_cfg):
    exited = run_main_in_process(sample_main, f"ckpt_path={conditional_run}", "digit=10")
    assert exited == "error: digit must be null (a mix) or a digit from 0 to 9, got 10"
    train(make_cfg("iterations=2", "test=false"))
    plain = make_cfg().paths.output_dir
    exited = run_main_in_process(sample_main, f"ckpt_path={plain}", "digit=7")
    assert exited.startswith("error: digit=7: ") and "is an unconditional generator" in exited and "\n" not in exited


def test_evaluate_reports_per_class_quality_of_a_conditional_checkpoint(conditional_run, mnist_dir, tmp_path):
    data = [f"data.data_dir={mnist_dir}", "data.download=false", "data.val_size=64", "trainer.accelerator=cpu"]
    folder = tmp_path / "evaluate"
    assert run_main_in_process(evaluate_main, f"ckpt_path={conditional_run}", *data, f"hydra.run.dir={folder}") is None
    report = json.loads((folder / "metrics.json").read_text())
    assert 0 <= report["metrics"]["test/asked_digit_acc"] <= 1
    per_class = report["per_class"]
    assert set(per_class["digits"]) == {str(d) for d in range(10)} and 0 <= per_class["accuracy"] <= 1
    assert sum(d["asked"] for d in per_class["digits"].values()) == 64  # as many fakes as test images
    assert Image.open(folder / "samples.png").size == (8 * 30 + 2, 10 * 30 + 2)


@pytest.mark.parametrize("name", list(RECORDED_RUNS))
def test_unconditional_runs_log_exactly_the_losses_they_logged_before_conditioning_existed(make_cfg, tmp_path, name):
    train(make_cfg("iterations=8", *EXACT, *RECORDED_RUNS[name]))
    events = tensorboard_events(tmp_path / "run")
    logged = {t: [e.value for e in events.Scalars(curve(t))] for t in ("d_loss", "g_loss", "g_grad_norm")}
    recorded = json.loads(RECORDED.read_text())[name]
    for tag, values in recorded.items():
        assert logged[tag] == pytest.approx(values, rel=1e-4), tag  # float sums may differ across CPUs


def test_interpolate_walks_a_conditional_generator_at_a_digit_or_between_two_at_fixed_z(conditional_run, tmp_path):
    base = (f"ckpt_path={conditional_run}", "n=2", "steps=4")
    for extra in ("digit=3", "between=[3,8]"):
        picture = tmp_path / f"{extra[:5]}.png"
        assert run_main_in_process(interpolate_main, *base, extra, f"picture={picture}") is None
        assert picture.with_suffix(".gif").stat().st_size > 0
    images, _, _ = walk(compose_command("interpolate", *base, "between=[3,8]"))
    sample = load_generator(conditional_run)
    z = latent_walks(2, 4, sample.latent_dim, seed=0)[:, 0]  # each row's fixed z
    with torch.no_grad():
        ends = [sample.net(z, torch.tensor([digit, digit])).squeeze(1).numpy() for digit in (3, 8)]
    np.testing.assert_allclose(images[:, 0], ends[0], atol=1e-6)  # from a 3 ...
    np.testing.assert_allclose(images[:, -1], ends[1], atol=1e-6)  # ... to an 8, at the same z
    both = run_main_in_process(interpolate_main, *base, "digit=3", "between=[3,8]")
    assert both == "error: set digit= (walk z at a digit) or between= (walk the digit at fixed z), not both"
    wrong = run_main_in_process(interpolate_main, *base, "between=[3,12]")
    assert wrong == "error: between must be null or two digits from 0 to 9, e.g. [3,8], got [3, 12]"
