"""GAN objectives, computed from D's raw outputs (logits for the cross-entropy losses).

With p = sigmoid(l): -log p = softplus(-l) and -log(1 - p) = softplus(l). The softplus forms stay finite
where the probabilities round to 0 or 1, which is exactly where a saturated generator lives.
"""

import torch
import torch.nn.functional as F


class Objective:
    """D's loss as (real term, fake term) batch means, and G's loss, from D's raw outputs.

    `decision_threshold`: D says "real" above it (for D's accuracy). `gp_weight`: weight of the WGAN-GP
    gradient penalty that the module adds to D's loss (0: none).
    """

    decision_threshold = 0.0
    gp_weight = 0.0

    def discriminator_losses(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def output_statistics(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """What the training curves show of D's outputs: their means (raw scores without a fixed scale)."""
        return {"d_real_score": real.mean(), "d_fake_score": fake.mean()}


class BinaryCrossEntropyObjective(Objective):
    """D minimizes J(D) = H(1, D(x)) + H(0, D(G(z))), the tutorial's discriminator cost."""

    def output_statistics(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """D(x) and D(G(z)) as probabilities, and the tutorial's "divergence" mean D(x) / (D(x) + D(G(z))),
        which is 0.5 when D cannot tell them apart."""
        real_prob, fake_prob = real.sigmoid(), fake.sigmoid()
        return {
            "d_real_prob": real_prob.mean(),
            "d_fake_prob": fake_prob.mean(),
            "divergence": (real_prob / (real_prob + fake_prob)).mean(),
        }

    def discriminator_losses(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return F.softplus(-real).mean(), F.softplus(fake).mean()


class Minimax(BinaryCrossEntropyObjective):
    """Zero-sum G: minimize log(1 - D(G(z))). Its gradient vanishes once D rejects the fakes."""

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -F.softplus(fake).mean()


class NonSaturating(BinaryCrossEntropyObjective):
    """Heuristic G: minimize -log D(G(z)), i.e. cross-entropy with the target flipped to 'real'."""

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake).mean()


class LeastSquares(Objective):
    """LSGAN (Mao et al. 2017) with targets 0 (fake) and 1 (real): squared errors instead of cross-entropy.

    D: 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2; G: 1/2 (D(G(z)) - 1)^2, whose gradient grows with the distance.
    """

    decision_threshold = 0.5

    def discriminator_losses(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return 0.5 * (real - 1).square().mean(), 0.5 * fake.square().mean()

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * (fake - 1).square().mean()


class Hinge(Objective):
    """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D: relu(1 - D(x)) + relu(1 + D(G(z))); G: -D(G(z))."""

    def discriminator_losses(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return F.relu(1 - real).mean(), F.relu(1 + fake).mean()

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


class Wasserstein(Objective):
    """WGAN-GP (Gulrajani et al. 2017): the critic maximizes D(x) - D(G(z)), G maximizes D(G(z)).

    The 1-Lipschitz constraint is the gradient penalty gp_weight * (|grad D(x_hat)| - 1)^2 on random
    interpolates x_hat, added by the module (see penalties.py). The critic's outputs have no fixed scale,
    so its "accuracy" at threshold 0 only says on which side of 0 they fall.
    """

    def __init__(self, gp_weight: float = 10.0) -> None:
        self.gp_weight = gp_weight

    def discriminator_losses(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return -real.mean(), fake.mean()

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()
