"""The objectives against the tutorial's formulas, and the saturation it describes."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_lightning.losses import Minimax, NonSaturating


def logit(p: float) -> torch.Tensor:
    return torch.tensor([math.log(p / (1 - p))], dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("objective", [Minimax(), NonSaturating()])
def test_discriminator_loss_is_two_cross_entropies(objective):
    real, fake = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    real_loss, fake_loss = objective.discriminator_losses(real, fake)
    # J(D) = H(1, D(x)) + H(0, D(G(z))) with D = sigmoid(logits), as the tutorial computes it with BCELoss.
    torch.testing.assert_close(real_loss, F.binary_cross_entropy(real.sigmoid(), torch.ones(64, dtype=torch.float64)))
    torch.testing.assert_close(fake_loss, F.binary_cross_entropy(fake.sigmoid(), torch.zeros(64, dtype=torch.float64)))


def test_minimax_generator_loss_is_log_one_minus_d():
    loss = Minimax().generator_loss(logit(1e-4))
    assert loss.item() == pytest.approx(math.log(1 - 1e-4), rel=1e-9)
    # The tutorial's number: -log(1 - 0.0001) = 0.0001000050003.
    assert -loss.item() == pytest.approx(0.0001000050003, rel=1e-9)


def test_minimax_is_zero_sum_in_the_fake_term():
    fake = torch.randn(32, dtype=torch.float64)
    _, fake_loss = Minimax().discriminator_losses(torch.zeros(32, dtype=torch.float64), fake)
    torch.testing.assert_close(Minimax().generator_loss(fake), -fake_loss)


def test_nonsaturating_generator_loss_is_minus_log_d():
    loss = NonSaturating().generator_loss(logit(1e-4))
    assert loss.item() == pytest.approx(-math.log(1e-4), rel=1e-9)


def test_minimax_saturates_where_nonsaturating_does_not():
    """At D(G(z)) = 1e-4 the minimax gradient w.r.t. D's logit is ~1e-4; the non-saturating one is ~1."""
    grads = {}
    for objective in (Minimax(), NonSaturating()):
        z = logit(1e-4)
        objective.generator_loss(z).backward()
        grads[type(objective).__name__] = z.grad.item()
    assert grads["Minimax"] == pytest.approx(-1e-4, rel=1e-6)
    assert grads["NonSaturating"] == pytest.approx(-(1 - 1e-4), rel=1e-6)
    # Both push D's logit for the fakes up (descent on a negative gradient); one 10,000 times harder.
    assert abs(grads["NonSaturating"] / grads["Minimax"]) > 9_000


@pytest.mark.parametrize("objective", [Minimax(), NonSaturating()])
def test_losses_stay_finite_at_extreme_logits(objective):
    logits = torch.tensor([-200.0, -50.0, 0.0, 50.0, 200.0], requires_grad=True)
    losses = [*objective.discriminator_losses(logits, logits), objective.generator_loss(logits)]
    total = sum(losses)
    total.backward()
    assert all(torch.isfinite(loss) for loss in losses)
    assert torch.isfinite(logits.grad).all()
