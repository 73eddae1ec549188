"""The MLPs are the tutorial's, layer for layer; the DCGAN nets map 28x28 images and z as promised."""

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch import nn

from gan_lightning.checks import check_config
from gan_lightning.core.errors import ConfigError
from tests.helpers import CONF_DIR, compose_train


def tutorial_nets():
    cfg = OmegaConf.load(CONF_DIR / "model" / "mlp.yaml")
    return instantiate(cfg.generator, latent_dim=100), instantiate(cfg.discriminator)


def linear_shapes(net: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in net.modules() if isinstance(m, nn.Linear)]


def test_generator_matches_the_tutorial():
    generator, _ = tutorial_nets()
    sizes = [100, 196, 289, 361, 400, 512, 625, 784, 784]
    assert linear_shapes(generator) == list(zip(sizes[:-1], sizes[1:], strict=True))
    assert [m.num_features for m in generator.modules() if isinstance(m, nn.BatchNorm1d)] == sizes[1:-1]
    assert [m.p for m in generator.modules() if isinstance(m, nn.Dropout)] == [0.5] * 3 + [0.4] * 4
    assert isinstance(generator.net[-2], nn.Sigmoid)
    images = generator(torch.randn(8, 100))
    assert images.shape == (8, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


def test_discriminator_matches_the_tutorial_and_returns_logits():
    _, discriminator = tutorial_nets()
    assert linear_shapes(discriminator) == [(784, 441), (441, 256), (256, 32), (32, 1)]
    assert [m.p for m in discriminator.modules() if isinstance(m, nn.Dropout)] == [0.2, 0.2]
    assert not any(isinstance(m, (nn.Sigmoid, nn.BatchNorm1d)) for m in discriminator.modules())
    with torch.no_grad():
        discriminator.net[-1].bias.fill_(20.0)
        logits = discriminator(torch.rand(4, 1, 28, 28))
    assert logits.shape == (4,)
    assert (logits > 1).all()  # a probability could not exceed 1


def test_dropout_list_must_match_hidden_layers():
    with pytest.raises(ConfigError, match=r"model\.generator\.dropout needs one value per hidden layer \(7\), got 1"):
        check_config(compose_train("model.generator.dropout=[0.5]"))
    with pytest.raises(ConfigError, match=r"model\.discriminator\.dropout values must lie in \[0, 1\)"):
        check_config(compose_train("model.discriminator.dropout=[0.2,0.2,1.5]"))


def test_dcgan_nets_map_z_to_28x28_pixels_and_images_to_logits():
    cfg = OmegaConf.load(CONF_DIR / "model" / "dcgan.yaml")
    generator, discriminator = instantiate(cfg.generator, latent_dim=100), instantiate(cfg.discriminator)
    images = generator(torch.randn(5, 100))
    assert images.shape == (5, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert discriminator(images).shape == (5,)
    convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.stride) for m in convs] == [(64, 32, (2, 2)), (32, 1, (2, 2))]
    # Per-sample D: no batch statistics, so one image's score does not depend on the others in the batch.
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules())
    torch.testing.assert_close(discriminator(images[:1]), discriminator(images)[:1])


@pytest.mark.parametrize("override", ["model.generator.channels=0", "model.discriminator.channels=-1"])
def test_dcgan_width_must_be_positive(override):
    with pytest.raises(ConfigError, match=override.split("=")[0].replace(".", r"\.") + " must be a positive integer"):
        check_config(compose_train("model=dcgan", override))
