"""Class-conditional GANs: labels reach G and D, travel with their images, and the asked digit comes out."""

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from gan_lightning.data.labels import digit_rows
from gan_lightning.gan.nets import (
    ConditionalBatchNorm2d,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    embedded,
)
from gan_lightning.gan.sampling import digit_labels, generate, truncated_normal
from gan_lightning.quality.diagnostics import per_class
from gan_lightning.quality.metrics import AskedDigitAccuracy
from tests.helpers import compose_train

LABELS = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 7])


def generators() -> list[nn.Module]:
    mlp = MLPGenerator(latent_dim=8, hidden=[16, 16], dropout=[0.0, 0.0], num_classes=10)
    dcgan = DCGANGenerator(latent_dim=8, channels=4, num_classes=10)
    for layer in dcgan.net:  # conditional BatchNorm starts class-blind (zero gains): give each class its own
        if isinstance(layer, ConditionalBatchNorm2d):
            nn.init.normal_(layer.gain.weight)
            nn.init.normal_(layer.bias.weight)
    return [mlp.eval(), dcgan.eval()]


def discriminators() -> list[nn.Module]:
    return [
        MLPDiscriminator(hidden=[16, 8], dropout=[0.0, 0.0], num_classes=10),
        DCGANDiscriminator(channels=4, num_classes=10),
        DCGANDiscriminator(channels=4, spectral_norm=True, num_classes=10),
    ]


@pytest.mark.parametrize("index", range(2))
def test_the_label_reaches_g_and_permuting_labels_permutes_its_images(index):
    generator = generators()[index]
    z = torch.randn(len(LABELS), 8)
    images = generator(z, LABELS)
    assert not torch.allclose(generator(z, (LABELS + 1) % 10), images)  # another digit, other images
    order = torch.randperm(len(LABELS))
    torch.testing.assert_close(generator(z[order], LABELS[order]), images[order])


def test_conditional_batchnorm_scales_by_one_plus_the_labels_gain_and_shifts_by_its_bias():
    """de Vries et al. 2017 on hand-set weights: a BatchNorm without affine terms (batch statistics in training),
    times 1 + gain[y], plus bias[y], per channel."""
    layer = ConditionalBatchNorm2d(features=3, num_classes=4).train()
    gain = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [-0.5, 0.25, 3.0]])
    bias = torch.arange(12.0).view(4, 3)
    with torch.no_grad():
        layer.gain.weight.copy_(gain)
        layer.bias.weight.copy_(bias)
    x, labels = torch.randn(6, 3, 2, 2), torch.tensor([0, 3, 2, 0, 1, 3])
    mean, var = x.mean(dim=(0, 2, 3), keepdim=True), x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    normalized = (x - mean) / torch.sqrt(var + 1e-5)
    expected = normalized * (1 + gain[labels])[:, :, None, None] + bias[labels][:, :, None, None]
    torch.testing.assert_close(layer(x, labels), expected)


def test_the_mlp_generator_reads_z_followed_by_the_labels_embedding():
    generator = MLPGenerator(latent_dim=8, hidden=[16], dropout=[0.0], num_classes=10).eval()
    z = torch.randn(len(LABELS), 8)
    by_hand = generator.net(torch.cat([z, generator.embed.weight[LABELS]], dim=1))
    torch.testing.assert_close(generator(z, LABELS), by_hand)


def test_the_conditional_dcgan_generator_gives_each_batchnorm_the_labels():
    """Each of its two BatchNorms is the labels' (a layer left class-blind, or given other digits, differs)."""
    generator = generators()[1].train()
    z, shifted = torch.randn(len(LABELS), 8), (LABELS + 1) % 10
    norms = [layer for layer in generator.net if isinstance(layer, ConditionalBatchNorm2d)]

    def by_hand(told_other_digits: nn.Module | None) -> torch.Tensor:
        features = z
        for layer in generator.net:
            if isinstance(layer, ConditionalBatchNorm2d):
                features = layer(features, shifted if layer is told_other_digits else LABELS)
            else:
                features = layer(features)
        return features

    assert len(norms) == 2
    torch.testing.assert_close(generator(z, LABELS), by_hand(None))
    for norm in norms:
        assert not torch.allclose(by_hand(norm), generator(z, LABELS))


@pytest.mark.parametrize("index", range(3))
def test_the_label_reaches_d_and_permuting_labels_permutes_its_logits(index):
    discriminator = discriminators()[index].eval()
    images = torch.rand(len(LABELS), 1, 28, 28)
    logits = discriminator(images, LABELS)
    assert logits.shape == (len(LABELS),) and not torch.allclose(discriminator(images, (LABELS + 1) % 10), logits)
    order = torch.randperm(len(LABELS))
    torch.testing.assert_close(discriminator(images[order], LABELS[order]), logits[order])


@pytest.mark.parametrize("index", range(3))
def test_the_projection_discriminator_is_psi_of_phi_plus_the_embedding_inner_product(index):
    """logit = psi(phi(x)) + <embed(y), phi(x)>, Miyato & Koyama 2018, recomputed by hand."""
    discriminator = discriminators()[index].eval()
    images = torch.rand(len(LABELS), 1, 28, 28)
    features = images
    for layer in discriminator.net[:-1]:
        features = layer(features)
    psi = discriminator.net[-1](features).squeeze(1)
    embedding = discriminator.projection.embed.weight[LABELS]  # spectrally normalized where D is
    torch.testing.assert_close(discriminator(images, LABELS), psi + (embedding * features).sum(dim=1))


@pytest.mark.parametrize("spectral_norm", [False, True])
@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
def test_the_auxiliary_classifier_reads_phi_and_leaves_d_logits_as_they_are(kind, spectral_norm):
    """ACGAN's head: class logits = Linear(phi(x)), beside D's unchanged logits of the same phi; not normalized."""
    if kind == "mlp":
        discriminator = MLPDiscriminator([16, 8], [0.0, 0.0], spectral_norm, num_classes=10, aux_classifier=True)
    else:
        discriminator = DCGANDiscriminator(4, spectral_norm, num_classes=10, aux_classifier=True)
    discriminator.eval()
    images = torch.rand(len(LABELS), 1, 28, 28)
    phi = discriminator.features(images)
    logits, classes = discriminator.logits(phi, LABELS), discriminator.class_logits(phi)
    torch.testing.assert_close(logits, discriminator(images, LABELS))
    features = images
    for layer in discriminator.net[:-1]:
        features = layer(features)
    torch.testing.assert_close(phi, features)
    torch.testing.assert_close(classes, features @ discriminator.classifier.weight.T + discriminator.classifier.bias)
    assert classes.shape == (len(LABELS), 10) and not hasattr(discriminator.classifier, "parametrizations")
    with pytest.raises(ValueError, match="aux_classifier needs a conditional discriminator"):
        DCGANDiscriminator(4, aux_classifier=True)


def test_aux_classifier_weight_gives_d_the_classifier_head():
    assert compose_train("conditional=true").model.discriminator.aux_classifier is False
    cfg = compose_train("model=dcgan", "conditional=true", "aux_classifier_weight=0.5")
    gan = instantiate(cfg.gan)
    assert gan.aux_classifier_weight == 0.5 and gan.discriminator.classifier.out_features == 10


def test_spectral_norm_reaches_the_class_embedding():
    plain, normalized = discriminators()[1], discriminators()[2]
    assert not hasattr(plain.projection.embed, "parametrizations")
    assert hasattr(normalized.projection.embed, "parametrizations")
    normalized.train()
    for _ in range(20):  # power iterations converge
        normalized(torch.rand(4, 1, 28, 28), LABELS[:4])
    assert float(torch.linalg.matrix_norm(normalized.projection.embed.weight.detach(), ord=2)) == pytest.approx(
        1.0, abs=0.05
    )


def test_unconditional_nets_take_no_label_and_keep_their_parameter_names():
    """Checkpoints of unconditional runs load as they did: no new parameters, the same names."""
    for net in (
        MLPGenerator(8, [16], [0.0]),
        DCGANGenerator(8, 4),
        MLPDiscriminator([16], [0.0]),
        DCGANDiscriminator(4),
    ):
        assert net.num_classes is None
        assert not any(
            ("embed" in name or "projection" in name or "gain" in name) for name, _ in net.named_parameters()
        )
    assert [name for name, _ in DCGANGenerator(8, 4).named_parameters()] == [
        "net.0.weight",
        "net.2.weight",
        "net.2.bias",
        "net.4.weight",
        "net.5.weight",
        "net.5.bias",
        "net.7.weight",
        "net.7.bias",
    ]


class LabelPainter(nn.Module):
    """A conditional stub G whose image is its label: every pixel = label / 10."""

    latent_dim, num_classes = 8, 10

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (labels.float() / 10)[:, None, None, None].expand(len(z), 1, 28, 28)


class PixelReader(nn.Module):
    """A stub classifier that reads the digit LabelPainter painted (logits peaked at round(pixel * 10))."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        digit = (images.flatten(1).mean(dim=1) * 10).round().long() % 10
        return nn.functional.one_hot(digit, 10).float() * 10


def test_generate_asks_for_the_digit_it_is_given():
    images = generate(LabelPainter(), 8, 25, seed=0, batch_size=10, device="cpu", labels=digit_labels(25, 3, seed=0))
    assert images.shape == (25, 28, 28) and np.all(images == np.float32(0.3))
    mixed = digit_labels(2000, None, seed=1)
    counts = torch.bincount(mixed, minlength=10)
    assert counts.min() > 150 and counts.max() < 250  # uniform: 200 each, give or take
    torch.testing.assert_close(digit_labels(50, None, seed=1), mixed[:50])  # the seed fixes the mix


def test_asked_digit_accuracy_is_one_for_the_asked_digit_and_zero_for_the_next_one():
    metric = AskedDigitAccuracy(PixelReader())
    asked = digit_labels(40, None, seed=0)
    metric.update(LabelPainter()(torch.zeros(40, 8), asked), asked)
    assert float(metric.compute()) == 1.0
    metric.reset()
    metric.update(LabelPainter()(torch.zeros(40, 8), (asked + 1) % 10), asked)  # always the asked digit + 1
    assert float(metric.compute()) == 0.0


def test_per_class_reports_accuracy_intra_class_fid_and_prdc_per_asked_digit():
    torch.manual_seed(0)
    asked = torch.arange(10).repeat(60)
    real_labels = torch.arange(10).repeat(60)
    centers = torch.randn(10, 4) * 5
    real = centers[real_labels] + torch.randn(600, 4)
    fake = centers[asked] + torch.randn(600, 4)  # each digit's fakes where its reals are
    right = nn.functional.one_hot(asked, 10).float()
    report = per_class(asked, right, fake, real, real_labels, min_fakes=50)
    assert report["accuracy"] == 1.0 and set(report["digits"]) == set(range(10))
    assert all(d["accuracy"] == 1.0 and d["asked"] == 60 for d in report["digits"].values())
    assert report["mean_intra_fid"] < 1.5 and report["digits"][3]["precision"] > 0.8
    shifted = centers[(asked + 1) % 10] + torch.randn(600, 4)  # every fake looks like the next digit
    wrong = per_class(asked, nn.functional.one_hot((asked + 1) % 10, 10).float(), shifted, real, real_labels, 50)
    assert wrong["accuracy"] == 0.0 and wrong["mean_intra_fid"] > 10 * report["mean_intra_fid"]
    assert wrong["digits"][3]["precision"] < 0.2
    assert per_class(asked, right, fake, real, real_labels, min_fakes=61)["digits"][0]["fid"] is None  # too few


def test_truncation_keeps_every_component_inside_the_radius_and_off_leaves_z_normal():
    stream = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    z = truncated_normal(500, 100, stream(), 0.7)
    assert z.abs().max() <= 0.7 and z.std() < 0.5  # the normal truncated at 0.7 has std 0.39
    torch.testing.assert_close(truncated_normal(50, 100, stream(), None), torch.randn(50, 100, generator=stream()))
    torch.testing.assert_close(truncated_normal(50, 100, stream(), 0.7), truncated_normal(50, 100, stream(), 0.7))


def test_a_conditional_grid_has_one_row_per_digit():
    assert digit_rows(3).tolist() == [
        0,
        0,
        0,
        1,
        1,
        1,
        2,
        2,
        2,
        3,
        3,
        3,
        4,
        4,
        4,
        5,
        5,
        5,
        6,
        6,
        6,
        7,
        7,
        7,
        8,
        8,
        8,
        9,
        9,
        9,
    ]


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_conditional_true_makes_both_nets_and_the_data_conditional(model):
    cfg = compose_train(f"model={model}", "conditional=true")
    assert cfg.model.generator.num_classes == cfg.model.discriminator.num_classes == 10 and cfg.data.labels is True
    gan = instantiate(cfg.gan)
    assert gan.num_classes == 10 and gan.discriminator.projection is not None
    unconditional = compose_train(f"model={model}")
    assert unconditional.model.generator.num_classes is None and unconditional.data.labels is False


def test_a_class_mixture_embeds_as_the_mixture_of_the_embeddings():
    """What `interpolate between=` walks: one-hot rows embed exactly as their digits, halfway is the average."""
    embedding = nn.Embedding(10, 6)
    one_hot = nn.functional.one_hot(LABELS, 10).float()
    torch.testing.assert_close(embedded(embedding, one_hot), embedding(LABELS))
    halfway = (one_hot[:1] + nn.functional.one_hot(torch.tensor([8]), 10).float()) / 2
    torch.testing.assert_close(embedded(embedding, halfway)[0], (embedding.weight[0] + embedding.weight[8]) / 2)
    generator = generators()[1]
    z = torch.randn(len(LABELS), 8)
    torch.testing.assert_close(generator(z, one_hot), generator(z, LABELS))
