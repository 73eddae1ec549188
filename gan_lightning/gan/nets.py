"""Generator and discriminator networks. Discriminators return logits; generators return pixels in [0, 1].

Generators expose `latent_dim`, the size of the z they read, and `num_classes`: None for an unconditional
net, else the number of classes (10 digits) whose label `labels` (a LongTensor, one per image) every net of a
class-conditional GAN reads (a generator also reads float rows of class weights: see `embedded`). Their
arguments are checked where the config enters (gan_lightning/checks.py).
"""

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as normalized

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28


def embedded(embedding: nn.Embedding, labels: torch.Tensor) -> torch.Tensor:
    """G's class embedding of integer labels, or of class mixtures (float rows of weights over the classes):
    a mixture's embedding is the mixture of the embeddings, which walks G between two digits at fixed z."""
    return embedding(labels) if not labels.is_floating_point() else labels @ embedding.weight


class MLPGenerator(nn.Module):
    """The tutorial's G: Linear -> BatchNorm -> leaky ReLU -> dropout per hidden layer, then Linear -> sigmoid."""

    def __init__(
        self, latent_dim: int, hidden: Sequence[int], dropout: Sequence[float], num_classes: int | None = None
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        # Conditional: a learned embedding of the label, one value per class, concatenated to z.
        self.embed = nn.Embedding(num_classes, num_classes) if num_classes else None
        width = latent_dim + (num_classes or 0)
        for size, p in zip(hidden, dropout, strict=True):
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.LeakyReLU(0.01)]
            if p > 0:
                layers.append(nn.Dropout(p))
            width = size
        layers += [nn.Linear(width, IMAGE_PIXELS), nn.Sigmoid(), nn.Unflatten(1, IMAGE_SHAPE)]
        self.net = nn.Sequential(*layers)
        self.latent_dim, self.num_classes = latent_dim, num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z if self.embed is None else torch.cat([z, embedded(self.embed, labels)], dim=1))


def with_spectral_norm(net: nn.Sequential) -> nn.Sequential:
    """Every Linear and Conv2d of `net` divided by its largest singular value, estimated by one power iteration
    per training forward (Miyato et al. 2018): D becomes 1-Lipschitz per layer, its gradients stay tame."""
    for index, layer in enumerate(net):
        if isinstance(layer, nn.Linear | nn.Conv2d):
            net[index] = normalized(layer)
    return net


class ProjectionHead(nn.Module):
    """The class term of a projection discriminator (Miyato & Koyama 2018): logit = psi(phi(x)) + <embed(y), phi(x)>;
    this module is the inner product, on D's last features phi(x). Spectrally normalized with the rest of D."""

    def __init__(self, num_classes: int, features: int, spectral_norm: bool) -> None:
        super().__init__()
        embed = nn.Embedding(num_classes, features)
        # Glorot-uniform, as the projection discriminator's authors initialize it: nn.Embedding's N(0, 1)
        # entries would make the class term sqrt(features) times D's other logit at the start.
        nn.init.xavier_uniform_(embed.weight)
        self.embed = normalized(embed) if spectral_norm else embed

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (self.embed(labels) * features).sum(dim=1)


class Discriminator(nn.Module):
    """What both Ds share: `net` (spectrally normalized where asked) ends in a Linear to one logit, psi, on D's
    last features phi(x).

    Conditional (`num_classes`): a projection head adds <embed(y), phi(x)> to the logit; `aux_classifier=True`
    adds an auxiliary classifier (ACGAN, Odena et al. 2017): a Linear from phi(x) to one logit per class
    (`class_logits`). It is not spectrally normalized: its logits are not the real/fake score whose slope
    spectral norm bounds. `forward` gives the logits; a step that needs both reads `features` once and asks
    `logits` and `class_logits` of them.
    """

    def __init__(
        self, net: nn.Sequential, features: int, spectral_norm: bool, num_classes: int | None, aux_classifier: bool
    ) -> None:
        super().__init__()
        if aux_classifier and not num_classes:
            raise ValueError("aux_classifier needs a conditional discriminator (num_classes)")
        self.net = with_spectral_norm(net) if spectral_norm else net
        self.projection = ProjectionHead(num_classes, features, spectral_norm) if num_classes else None
        self.classifier = nn.Linear(features, num_classes) if aux_classifier else None
        self.num_classes = num_classes

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's logits, one per image."""
        if self.projection is None:
            return self.net(images).squeeze(1)
        return self.logits(self.features(images), labels)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """phi(x): what every layer but the last makes of the images."""
        *phi, _ = self.net  # the layers themselves: slicing a Sequential would build a new one on every call
        for layer in phi:
            images = layer(images)
        return images

    def logits(self, features: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """psi(phi(x)), plus the projection head's <embed(y), phi(x)> for a conditional D."""
        logits = self.net[-1](features).squeeze(1)
        return logits if self.projection is None else logits + self.projection(features, labels)

    def class_logits(self, features: torch.Tensor) -> torch.Tensor:
        """The auxiliary classifier's logits of phi(x), one row of `num_classes` per image."""
        return self.classifier(features)


class MLPDiscriminator(Discriminator):
    """The tutorial's D without its final sigmoid: Linear -> leaky ReLU -> dropout per hidden layer, then Linear.

    `spectral_norm=True` normalizes every Linear (with_spectral_norm). Conditional: a projection head
    (ProjectionHead) on the last hidden layer's features, and optionally an auxiliary classifier (Discriminator).
    """

    def __init__(
        self,
        hidden: Sequence[int],
        dropout: Sequence[float],
        spectral_norm: bool = False,
        num_classes: int | None = None,
        aux_classifier: bool = False,
    ) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        width = IMAGE_PIXELS
        for size, p in zip(hidden, dropout, strict=True):
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.01)]
            if p > 0:
                layers.append(nn.Dropout(p))
            width = size
        layers.append(nn.Linear(width, 1))
        super().__init__(nn.Sequential(*layers), width, spectral_norm, num_classes, aux_classifier)


class DCGANGenerator(nn.Module):
    """DCGAN-style G for 28x28 (Radford et al. 2016): project z to 7x7, two stride-2 transposed convolutions.

    z -> Linear -> (2c, 7, 7) -> BatchNorm, ReLU -> ConvT (c, 14, 14) -> BatchNorm, ReLU -> ConvT (1, 28, 28)
    -> sigmoid, with c = `channels`. Conditional: each BatchNorm's gain and bias are the label's
    (ConditionalBatchNorm2d).
    """

    def __init__(self, latent_dim: int, channels: int = 32, num_classes: int | None = None) -> None:
        super().__init__()

        def norm(features: int) -> nn.Module:
            return ConditionalBatchNorm2d(features, num_classes) if num_classes else nn.BatchNorm2d(features)

        self.net = nn.Sequential(
            nn.Linear(latent_dim, 2 * channels * 7 * 7, bias=False),
            nn.Unflatten(1, (2 * channels, 7, 7)),
            norm(2 * channels),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, channels, kernel_size=4, stride=2, padding=1, bias=False),
            norm(channels),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, kernel_size=4, stride=2, padding=1),
            nn.Sigmoid(),
        )
        self.latent_dim, self.num_classes = latent_dim, num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes is None:
            return self.net(z)
        # The layers by name (one Sequential keeps the checkpoints' parameter names); both BatchNorms read labels.
        project, to_7x7, norm_7x7, relu_7x7, up_14x14, norm_14x14, relu_14x14, up_28x28, sigmoid = self.net
        x = relu_7x7(norm_7x7(to_7x7(project(z)), labels))
        x = relu_14x14(norm_14x14(up_14x14(x), labels))
        return sigmoid(up_28x28(x))


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose gain and bias belong to the label (de Vries et al. 2017; BigGAN's class-conditional
    BatchNorm): normalize without affine terms, then scale by 1 + gain[y] and shift by bias[y]; the gains
    start at zero, so the layer starts as a plain BatchNorm."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(features, affine=False)
        self.gain, self.bias = nn.Embedding(num_classes, features), nn.Embedding(num_classes, features)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        gain, bias = embedded(self.gain, labels), embedded(self.bias, labels)
        return self.norm(x) * (1 + gain)[:, :, None, None] + bias[:, :, None, None]


class DCGANDiscriminator(Discriminator):
    """DCGAN-style D for 28x28: two stride-2 convolutions with leaky ReLU, then Linear to one logit.

    No BatchNorm: a per-sample D is what WGAN-GP's and R1's gradient penalties assume, and it lets the
    module score reals and fakes in one pass. `spectral_norm=True` normalizes both convolutions and the Linear.
    Conditional: a projection head (ProjectionHead) on the flattened features, and optionally an auxiliary
    classifier (Discriminator).
    """

    def __init__(
        self,
        channels: int = 32,
        spectral_norm: bool = False,
        num_classes: int | None = None,
        aux_classifier: bool = False,
    ) -> None:
        net = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * channels * 7 * 7, 1),
        )
        super().__init__(net, 2 * channels * 7 * 7, spectral_norm, num_classes, aux_classifier)
