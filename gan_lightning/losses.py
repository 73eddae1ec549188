"""GAN objectives, computed from D's logits.

With p = sigmoid(l): -log p = softplus(-l) and -log(1 - p) = softplus(l). The softplus forms stay finite
where the probabilities round to 0 or 1, which is exactly where a saturated generator lives.
"""

import torch
import torch.nn.functional as F


class BinaryCrossEntropyObjective:
    """D minimizes J(D) = H(1, D(x)) + H(0, D(G(z))), the tutorial's discriminator cost."""

    def discriminator_losses(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (H(1, D(x)), H(0, D(G(z)))) as batch means; D's loss is their sum."""
        return F.softplus(-real_logits).mean(), F.softplus(fake_logits).mean()

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Minimax(BinaryCrossEntropyObjective):
    """Zero-sum G: minimize log(1 - D(G(z))). Its gradient vanishes once D rejects the fakes."""

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -F.softplus(fake_logits).mean()


class NonSaturating(BinaryCrossEntropyObjective):
    """Heuristic G: minimize -log D(G(z)), i.e. cross-entropy with the target flipped to 'real'."""

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_logits).mean()
