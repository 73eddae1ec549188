"""Spectral normalization of D and differentiable augmentation (DiffAugment, adaptive: ADA) of what D sees."""

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch import nn

from gan_lightning.artifacts.checkpoints import read_checkpoint
from gan_lightning.checks import check_config
from gan_lightning.core.curves import tag as curve
from gan_lightning.core.errors import ConfigError
from gan_lightning.gan.augment import AdaptiveAugment, DiffAugment, brightness, contrast, cutout, translation
from gan_lightning.gan.nets import DCGANDiscriminator, MLPDiscriminator
from gan_lightning.train import train
from tests.helpers import RecordWhatDSees, checkpoint_iteration, tensorboard_events


def digits(n: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_translation_shifts_each_image_by_at_most_four_pixels_with_zeros_moving_in():
    torch.manual_seed(0)
    images = digits() + 0.1  # no zero pixels of their own
    moved = translation(images)
    shifts = []
    for image, out in zip(images, moved, strict=True):
        padded = nn.functional.pad(image, (4, 4, 4, 4))
        found = [
            (dy, dx)
            for dy in range(-4, 5)
            for dx in range(-4, 5)
            if torch.equal(out, padded[:, 4 + dy : 4 + dy + 28, 4 + dx : 4 + dx + 28])
        ]
        assert len(found) == 1
        shifts.append(found[0])
    assert len(set(shifts)) > 1  # one shift per image, not one per batch


def test_cutout_zeroes_one_square_of_up_to_14x14_per_image():
    torch.manual_seed(0)
    ones = torch.ones(64, 1, 28, 28)
    out = cutout(ones)
    for image in out[:, 0]:
        rows, cols = (image == 0).nonzero(as_tuple=True)
        assert len(rows) > 0
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert height <= 14 and width <= 14 and len(rows) == height * width  # one filled rectangle
    assert ((out == 0).flatten(1).sum(1) == 196).any()  # a square that lies wholly inside is 14x14


def test_translation_draws_every_shift_from_minus_four_to_four_independently_per_axis():
    torch.manual_seed(0)
    marker = torch.zeros(2000, 1, 28, 28)
    marker[:, :, 14, 14] = 1  # one lit pixel: where it lands is the shift
    lit = (translation(marker)[:, 0] == 1).nonzero()  # (image, row, col) of each landed pixel
    dy, dx = lit[:, 1] - 14, lit[:, 2] - 14
    assert len(lit) == 2000
    assert set(dy.tolist()) == set(range(-4, 5)) and set(dx.tolist()) == set(range(-4, 5))
    assert (dy != dx).float().mean() > 0.8  # the two axes are drawn separately


def square_of(image: torch.Tensor) -> tuple[int, int, int, int]:
    rows, cols = (image == 0).nonzero(as_tuple=True)
    return rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()


def centre(first: int, last: int) -> int | None:
    """The centre c in 0..27 whose square, rows c-7 .. c+6 clipped to the image, spans first..last."""
    fits = [c for c in range(28) if (max(0, c - 7), min(27, c + 6)) == (first, last)]
    return fits[0] if fits else None


def test_cutout_centres_its_square_anywhere_in_the_image_independently_per_axis():
    torch.manual_seed(0)
    squares = [square_of(image) for image in cutout(torch.ones(3000, 1, 28, 28))[:, 0]]
    row_centres = [centre(top, bottom) for top, bottom, _, _ in squares]
    col_centres = [centre(left, right) for _, _, left, right in squares]
    assert None not in row_centres and None not in col_centres
    assert set(row_centres) == set(range(28)) and set(col_centres) == set(range(28))
    assert sum(r != c for r, c in zip(row_centres, col_centres, strict=True)) > 2500


def test_brightness_adds_one_offset_per_image_spread_over_minus_a_half_to_a_half():
    torch.manual_seed(0)
    assert brightness(digits(8)).shape == (8, 1, 28, 28)  # on a small batch first: a wrong broadcast is n x n
    images = digits(2000)
    out = brightness(images)
    offsets = (out - images).flatten(1)
    torch.testing.assert_close(offsets, offsets[:, :1].expand_as(offsets))  # one offset per image
    first = offsets[:, 0]
    assert first.min() >= -0.5 and first.max() < 0.5 and first.min() < -0.45 and first.max() > 0.45
    assert brightness(images.bfloat16()).dtype == torch.bfloat16


def test_contrast_scales_each_images_deviations_by_a_factor_between_a_half_and_one_and_a_half():
    torch.manual_seed(0)
    assert contrast(digits(8)).shape == (8, 1, 28, 28)  # on a small batch first: a wrong broadcast is n x n
    images = digits(2000).double()
    out = contrast(images)
    torch.testing.assert_close(out.mean(dim=(1, 2, 3)), images.mean(dim=(1, 2, 3)))  # each mean kept
    deviations = images - images.mean(dim=(1, 2, 3), keepdim=True)
    factors = (out - images.mean(dim=(1, 2, 3), keepdim=True)) / deviations
    torch.testing.assert_close(factors.flatten(1), factors.flatten(1)[:, :1].expand(2000, 784))
    first = factors.flatten(1)[:, 0]
    assert first.min() >= 0.5 and first.max() < 1.5 and first.min() < 0.55 and first.max() > 1.45
    assert contrast(images.bfloat16()).dtype == torch.bfloat16


def test_augmentation_is_differentiable_and_reproducible():
    policy = DiffAugment(["translation", "cutout", "brightness", "contrast"])
    images = digits().requires_grad_(True)
    torch.manual_seed(5)
    out = policy(images)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0 and torch.isfinite(images.grad).all()
    torch.manual_seed(5)
    assert torch.equal(policy(images), out)
    torch.manual_seed(6)
    assert not torch.equal(policy(images), out)


def test_translation_gradient_is_the_shifted_output_gradient():
    images = digits(4).requires_grad_(True)
    torch.manual_seed(1)
    out = translation(images)
    out.sum().backward()
    # Each kept pixel reaches the output once, pixels shifted out reach it not at all.
    assert set(images.grad.unique().tolist()) <= {0.0, 1.0}
    assert images.grad.sum() == (out != 0).sum()


def test_unknown_augmentation_is_refused_where_the_config_enters(make_cfg):
    with pytest.raises(ConfigError, match=r"augment must be null or a list from translation, cutout, brightness, con"):
        check_config(make_cfg("augment=[translation,flip]"))


def adaptive(p: float, policy=("brightness",), **kwargs) -> AdaptiveAugment:
    ada = AdaptiveAugment(list(policy), target=0.6, threshold=0.0, **kwargs)
    ada.p.fill_(p)
    return ada


def test_adaptive_augmentation_touches_each_image_with_probability_p():
    images = digits(4000)
    torch.manual_seed(0)
    assert torch.equal(adaptive(0.0)(images), images)  # p starts at 0: D sees the images themselves
    assert (adaptive(1.0)(images) != images).flatten(1).any(1).all()
    touched = [(adaptive(p)(images) != images).flatten(1).any(1).float().mean().item() for p in (0.1, 0.3)]
    assert touched == pytest.approx([0.1, 0.3], abs=0.02)
    # Each operation decides for itself: with two of them, an image is left alone with (1 - p)^2.
    untouched = (adaptive(0.3, ("brightness", "contrast"))(images) == images).flatten(1).all(1).float().mean()
    assert untouched.item() == pytest.approx(0.7**2, abs=0.02)


def test_adaptive_augmentation_is_differentiable_in_the_images():
    images = digits().requires_grad_(True)
    torch.manual_seed(3)
    adaptive(0.5, ("translation", "cutout"))(images).sum().backward()
    assert images.grad is not None and torch.isfinite(images.grad).all() and images.grad.abs().sum() > 0


def test_p_rises_when_d_is_surer_of_the_reals_than_the_target_and_falls_back_to_zero_when_not():
    ada = adaptive(0.0, interval=4, images_to_full=1000)
    sure, unsure = torch.full((10,), 3.0), torch.tensor([1.0] * 7 + [-1.0] * 3)  # sign means 1 and 0.4
    for _ in range(3):
        ada.observe(sure)
    assert ada.p.item() == 0.0  # moves only every `interval` D steps
    ada.observe(sure)
    assert ada.p.item() == pytest.approx(40 / 1000)  # the 40 reals seen, out of 1000 from 0 to 1
    for _ in range(4):
        ada.observe(sure)
    assert ada.p.item() == pytest.approx(80 / 1000)
    for _ in range(12):
        ada.observe(unsure)
    assert ada.p.item() == 0.0  # down by 40/1000 twice, then held at 0
    ada.threshold = 0.5  # lsgan's D says "real" above 0.5: outputs of 0.4 are on the fake side
    for _ in range(4):
        ada.observe(torch.full((10,), 0.4))
    assert ada.p.item() == 0.0


@pytest.mark.parametrize(("loss", "threshold"), [("hinge", 0.0), ("nonsaturating", 0.0), ("lsgan", 0.5)])
def test_ada_counts_ds_verdicts_at_the_losss_own_decision_threshold(make_cfg, loss, threshold):
    model = instantiate(make_cfg(f"loss={loss}", "augment=[cutout]", "ada_target=0.6").gan)
    assert isinstance(model.augment, AdaptiveAugment)
    assert (model.augment.threshold, model.augment.target) == (threshold, 0.6)
    assert type(instantiate(make_cfg(f"loss={loss}", "augment=[cutout]").gan).augment) is DiffAugment


def test_the_adaptive_probability_moves_in_training_is_logged_and_resumes_with_the_run(make_cfg, tmp_path):
    # hinge's D on the tiny data calls nearly all reals real in its first 8 steps (sign means 0.875-1)
    ada = ["loss=hinge", "augment=[translation,cutout]", "ada_target=0.5", "test=false", "trainer.limit_val_batches=0"]
    train(make_cfg("iterations=4", *ada))
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    step = 4 * 16 / 500_000  # every 4 D steps of 16 reals
    assert read_checkpoint(last)["state_dict"]["augment.p"].item() == pytest.approx(step)
    logged = tensorboard_events(tmp_path / "run").Scalars(curve("augment_p"))
    assert (logged[-1].step, logged[-1].value) == (3, pytest.approx(step))  # the last iteration's p
    train(make_cfg("iterations=8", *ada, f"ckpt_path={last}"))
    assert read_checkpoint(last)["state_dict"]["augment.p"].item() == pytest.approx(2 * step)  # on from step, not 0


@pytest.mark.parametrize("augment", ["null", "[translation,cutout]"])
def test_d_sees_augmented_reals_and_fakes_in_both_steps_and_untouched_images_when_off(make_cfg, augment):
    record = RecordWhatDSees()
    train(make_cfg(f"augment={augment}", "iterations=2", "test=false", "trainer.limit_val_batches=0"), [record])
    for i, real in enumerate(record.reals):
        d_step, g_step = record.d_inputs[2 * i], record.d_inputs[2 * i + 1]
        fake_for_d, fake_for_g = record.g_outputs[2 * i], record.g_outputs[2 * i + 1]
        untouched = [torch.equal(d_step, torch.cat([real, fake_for_d])), torch.equal(g_step, fake_for_g)]
        assert untouched == ([True, True] if augment == "null" else [False, False])
        if augment != "null":  # the reals too, not only the fakes
            assert not torch.equal(d_step[: len(real)], real)


def test_r1_is_taken_on_the_augmented_reals_that_d_saw(make_cfg):
    record = RecordWhatDSees()
    overrides = [
        "augment=[translation,cutout]",
        "r1_gamma=1",
        "iterations=2",
        "test=false",
        "trainer.limit_val_batches=0",
    ]
    train(make_cfg(*overrides), [record])
    for i, real in enumerate(record.reals):
        d_step, r1_input = record.d_inputs[3 * i], record.d_inputs[3 * i + 1]  # D step, R1's own pass, G step
        assert torch.equal(r1_input, d_step[: len(real)])
        assert not torch.equal(r1_input, real)


def largest_singular_values(discriminator: nn.Module) -> list[float]:
    layers = [m for m in discriminator.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    return [torch.linalg.matrix_norm(layer.weight.flatten(1), ord=2).item() for layer in layers]


@pytest.mark.parametrize(
    "make_d", [lambda sn: MLPDiscriminator([441, 256, 32], [0.2, 0.2, 0.0], sn), lambda sn: DCGANDiscriminator(8, sn)]
)
def test_spectral_norm_makes_every_layer_of_d_one_lipschitz(make_d):
    torch.manual_seed(0)
    plain, normalized = make_d(False), make_d(True)
    with torch.no_grad():
        for net in (plain, normalized):  # weights ten times their initial size
            for layer in net.modules():
                if isinstance(layer, nn.Linear | nn.Conv2d):
                    weight = (
                        layer.parametrizations.weight.original if hasattr(layer, "parametrizations") else layer.weight
                    )
                    weight.mul_(10)
        assert all(value > 2 for value in largest_singular_values(plain))
        for _ in range(30):  # one power iteration per training forward
            normalized(digits(8))
    for value in largest_singular_values(normalized):
        assert value == pytest.approx(1.0, abs=0.02)
    names = list(normalized.state_dict())
    assert any(name.endswith("parametrizations.weight.original") for name in names)


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_the_spectral_norm_switch_reaches_d_of_both_models(make_cfg, model, tmp_path):
    class Record(pl.Callback):
        def on_train_end(self, trainer, pl_module) -> None:
            self.normalized = [
                hasattr(m, "parametrizations") for m in pl_module.discriminator.modules() if isinstance(m, nn.Linear)
            ]

    record = Record()
    overrides = [f"model={model}", "model.discriminator.spectral_norm=true", "iterations=2", "test=false"]
    if model == "dcgan":
        overrides += ["model.generator.channels=4", "model.discriminator.channels=4"]
    train(make_cfg(*overrides), [record])
    assert record.normalized and all(record.normalized)


def test_a_run_with_both_regularizers_resumes_from_its_safe_checkpoint(make_cfg, tmp_path):
    both = ["model.discriminator.spectral_norm=true", "augment=[translation,cutout]", "test=false"]
    train(make_cfg("iterations=2", *both))
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert read_checkpoint(last)["hyper_parameters"]["augment"] == ["translation", "cutout"]  # weights_only load
    train(make_cfg("iterations=3", *both, f"ckpt_path={last}"))
    assert checkpoint_iteration(last) == 3
