"""Generator and discriminator networks. Discriminators return logits; generators return pixels in [0, 1].

Generators expose `latent_dim`, the size of the z they read. Their arguments are checked where the config
enters (gan_lightning/checks.py).
"""

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as normalized

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28


class MLPGenerator(nn.Module):
    """The tutorial's G: Linear -> BatchNorm -> leaky ReLU -> dropout per hidden layer, then Linear -> sigmoid."""

    def __init__(self, latent_dim: int, hidden: Sequence[int], dropout: Sequence[float]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = latent_dim
        for size, p in zip(hidden, dropout, strict=True):
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.LeakyReLU(0.01)]
            if p > 0:
                layers.append(nn.Dropout(p))
            width = size
        layers += [nn.Linear(width, IMAGE_PIXELS), nn.Sigmoid(), nn.Unflatten(1, IMAGE_SHAPE)]
        self.net = nn.Sequential(*layers)
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def with_spectral_norm(net: nn.Sequential) -> nn.Sequential:
    """Every Linear and Conv2d of `net` divided by its largest singular value, estimated by one power iteration
    per training forward (Miyato et al. 2018): D becomes 1-Lipschitz per layer, its gradients stay tame."""
    for index, layer in enumerate(net):
        if isinstance(layer, nn.Linear | nn.Conv2d):
            net[index] = normalized(layer)
    return net


class MLPDiscriminator(nn.Module):
    """The tutorial's D without its final sigmoid: Linear -> leaky ReLU -> dropout per hidden layer, then Linear.

    `spectral_norm=True` normalizes every Linear (with_spectral_norm).
    """

    def __init__(self, hidden: Sequence[int], dropout: Sequence[float], spectral_norm: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = IMAGE_PIXELS
        for size, p in zip(hidden, dropout, strict=True):
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.01)]
            if p > 0:
                layers.append(nn.Dropout(p))
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        if spectral_norm:
            with_spectral_norm(self.net)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).squeeze(1)


class DCGANGenerator(nn.Module):
    """DCGAN-style G for 28x28 (Radford et al. 2016): project z to 7x7, two stride-2 transposed convolutions.

    z -> Linear -> (2c, 7, 7) -> BatchNorm, ReLU -> ConvT (c, 14, 14) -> BatchNorm, ReLU -> ConvT (1, 28, 28)
    -> sigmoid, with c = `channels`.
    """

    def __init__(self, latent_dim: int, channels: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 2 * channels * 7 * 7, bias=False),
            nn.Unflatten(1, (2 * channels, 7, 7)),
            nn.BatchNorm2d(2 * channels),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, channels, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, kernel_size=4, stride=2, padding=1),
            nn.Sigmoid(),
        )
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """DCGAN-style D for 28x28: two stride-2 convolutions with leaky ReLU, then Linear to one logit.

    No BatchNorm: a per-sample D is what WGAN-GP's and R1's gradient penalties assume, and it lets the
    module score reals and fakes in one pass. `spectral_norm=True` normalizes both convolutions and the Linear.
    """

    def __init__(self, channels: int = 32, spectral_norm: bool = False) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * channels * 7 * 7, 1),
        )
        if spectral_norm:
            with_spectral_norm(self.net)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).squeeze(1)
