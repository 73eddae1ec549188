"""The objectives against the tutorial's formulas, and the saturation it describes."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_lightning.gan.losses import Hinge, LeastSquares, Minimax, NonSaturating, Wasserstein
from gan_lightning.gan.nets import DCGANDiscriminator
from gan_lightning.gan.penalties import Penalties, gradient_penalty, r1_penalty

ALL_OBJECTIVES = [Minimax(), NonSaturating(), LeastSquares(), Hinge(), Wasserstein()]


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


@pytest.mark.parametrize("objective", ALL_OBJECTIVES)
def test_losses_stay_finite_at_extreme_logits(objective):
    logits = torch.tensor([-200.0, -50.0, 0.0, 50.0, 200.0], requires_grad=True)
    losses = [*objective.discriminator_losses(logits, logits), objective.generator_loss(logits)]
    total = sum(losses)
    total.backward()
    assert all(torch.isfinite(loss) for loss in losses)
    assert torch.isfinite(logits.grad).all()


def outputs(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def test_least_squares_values():
    real, fake = outputs(1.0, 0.0), outputs(0.0, 2.0)
    real_loss, fake_loss = LeastSquares().discriminator_losses(real, fake)
    assert real_loss.item() == pytest.approx(0.5 * (0 + 1) / 2)  # 1/2 mean((D(x) - 1)^2)
    assert fake_loss.item() == pytest.approx(0.5 * (0 + 4) / 2)  # 1/2 mean(D(G(z))^2)
    assert LeastSquares().generator_loss(outputs(0.0, 3.0)).item() == pytest.approx(0.5 * (1 + 4) / 2)


def test_hinge_values_are_zero_beyond_the_margin():
    real_loss, fake_loss = Hinge().discriminator_losses(outputs(2.0, 0.5), outputs(-3.0, 0.0))
    assert real_loss.item() == pytest.approx((0 + 0.5) / 2)  # mean(relu(1 - D(x)))
    assert fake_loss.item() == pytest.approx((0 + 1) / 2)  # mean(relu(1 + D(G(z))))
    assert Hinge().generator_loss(outputs(-1.0, 3.0)).item() == pytest.approx(-1.0)


def test_wasserstein_values_are_the_critic_difference():
    real_loss, fake_loss = Wasserstein().discriminator_losses(outputs(3.0, 1.0), outputs(-1.0, 0.0))
    assert (real_loss + fake_loss).item() == pytest.approx(-(2.0 - (-0.5)))  # -(E D(x) - E D(G(z)))
    assert Wasserstein().generator_loss(outputs(2.0, 4.0)).item() == pytest.approx(-3.0)
    assert Wasserstein().gp_weight == 10.0 and Wasserstein(gp_weight=5).gp_weight == 5


def gradients(loss_fn, values: torch.Tensor) -> torch.Tensor:
    loss_fn(values).backward()
    return values.grad


@pytest.mark.parametrize("objective", ALL_OBJECTIVES)
def test_descent_pushes_reals_up_fakes_down_and_g_up(objective):
    """One gradient-descent step makes D rate reals higher and fakes lower, and G's fakes rate higher.

    At outputs where every loss is still active (inside the hinge margin, away from the LSGAN targets).
    """
    start = [0.2, 0.3]
    d_real = gradients(lambda o: objective.discriminator_losses(o, torch.zeros(2, dtype=o.dtype))[0], outputs(*start))
    d_fake = gradients(lambda o: objective.discriminator_losses(torch.ones(2, dtype=o.dtype), o)[1], outputs(*start))
    g_fake = gradients(objective.generator_loss, outputs(*start))
    assert (d_real < 0).all()  # descent raises D(x)
    assert (d_fake > 0).all()  # descent lowers D(G(z))
    assert (g_fake < 0).all()  # G's descent raises D(G(z))


def test_hinge_gives_no_gradient_to_confident_outputs():
    real, fake = outputs(1.5), outputs(-1.5)
    sum(Hinge().discriminator_losses(real, fake)).backward()
    assert real.grad.item() == 0 and fake.grad.item() == 0


def test_least_squares_generator_gradient_grows_with_distance():
    near = gradients(LeastSquares().generator_loss, outputs(0.9))
    far = gradients(LeastSquares().generator_loss, outputs(-2.0))
    assert abs(far.item()) > 10 * abs(near.item())


class QuadraticCritic(torch.nn.Module):
    """D(x) = sum(w * x^2): its input gradient 2 w x is known in closed form."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(1, 3, 4, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.w * x.square()).flatten(1).sum(1)


def test_gradient_penalty_matches_a_direct_autograd_computation():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    critic = critic.double()
    real, fake = torch.rand(5, 1, 3, 4, dtype=torch.float64), torch.rand(5, 1, 3, 4, dtype=torch.float64)
    torch.manual_seed(1)
    penalty = gradient_penalty(lambda x: critic(x).squeeze(1), real, fake)
    # Same interpolation weights, then the gradient of each output by hand with autograd, one image at a time.
    torch.manual_seed(1)
    eps = torch.rand(5, 1, 1, 1, dtype=torch.float64)
    expected = []
    for i in range(5):
        x_hat = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).unsqueeze(0).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
        expected.append((grad.norm() - 1) ** 2)
    torch.testing.assert_close(penalty, torch.stack(expected).mean())


def test_gradient_penalty_reaches_the_critics_weights():
    critic = QuadraticCritic()
    real, fake = torch.rand(4, 1, 3, 4, dtype=torch.float64), torch.rand(4, 1, 3, 4, dtype=torch.float64)
    gradient_penalty(critic, real, fake).backward()
    assert critic.w.grad is not None and critic.w.grad.abs().sum() > 0


def test_r1_penalty_is_the_squared_input_gradient_on_reals():
    critic = QuadraticCritic()
    real = torch.rand(6, 1, 3, 4, dtype=torch.float64)
    expected = (2 * critic.w * real).flatten(1).square().sum(1).mean()  # |grad_x sum(w x^2)|^2 = |2 w x|^2
    penalty = r1_penalty(critic, real)
    torch.testing.assert_close(penalty, expected)
    penalty.backward()  # differentiable with respect to D's weights
    assert critic.w.grad.abs().sum() > 0


def test_gradient_penalty_is_finite_where_the_critic_is_flat():
    """A critic whose input gradient is exactly zero: |0| - 1 squared is 1, and the penalty's own gradient exists."""
    weight = torch.nn.Parameter(torch.tensor(2.0))

    def flat_critic(x: torch.Tensor) -> torch.Tensor:
        return weight * (x * 0).flatten(1).sum(1)

    penalty = gradient_penalty(flat_critic, torch.rand(3, 1, 2, 2), torch.rand(3, 1, 2, 2))
    assert penalty.item() == pytest.approx(1.0, abs=1e-5)
    penalty.backward()
    assert torch.isfinite(weight.grad)


def test_the_logged_view_of_ds_outputs_is_probabilities_and_divergence_for_cross_entropy():
    real, fake = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 0.0])
    stats = NonSaturating().output_statistics(real, fake)
    p_real, p_fake = real.sigmoid(), fake.sigmoid()
    assert set(stats) == {"d_real_prob", "d_fake_prob", "divergence"}
    torch.testing.assert_close(stats["d_real_prob"], p_real.mean())
    torch.testing.assert_close(stats["d_fake_prob"], p_fake.mean())
    # the tutorial's mean D(x) / (D(x) + D(G(z))), pair by pair: 0.5 where D cannot tell them apart
    torch.testing.assert_close(stats["divergence"], (p_real / (p_real + p_fake)).mean())
    assert Minimax().output_statistics(real, real)["divergence"].item() == pytest.approx(0.5)


@pytest.mark.parametrize("objective", [LeastSquares(), Hinge(), Wasserstein()])
def test_the_logged_view_of_raw_scores_is_their_mean(objective):
    stats = objective.output_statistics(torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0]))
    assert stats == {"d_real_score": torch.tensor(2.0), "d_fake_score": torch.tensor(-1.0)}


@pytest.mark.parametrize("r1_every", [1, 4])
def test_lazy_r1_is_taken_on_every_r1_every_th_d_step_weighted_r1_every_times(r1_every):
    torch.manual_seed(0)
    critic = DCGANDiscriminator(channels=4)
    real, fake = torch.rand(2, 8, 1, 28, 28)
    penalties = Penalties(gp_weight=0.0, r1_gamma=10.0, r1_every=r1_every)
    taken = [d_step for d_step in range(1, 9) if penalties(critic, real, fake, d_step)]
    assert taken == list(range(r1_every, 9, r1_every))
    weighted = penalties(critic, real, fake, r1_every)["d_r1_penalty"].item()
    assert weighted == pytest.approx(r1_every * 10 / 2 * r1_penalty(critic, real).item(), rel=1e-6)


def test_the_gradient_penalty_is_taken_on_every_d_step_with_the_objectives_weight():
    critic = DCGANDiscriminator(channels=4)
    real, fake = torch.rand(2, 8, 1, 28, 28)
    penalties = Penalties(gp_weight=10.0, r1_gamma=0.0, r1_every=1)
    for d_step in (1, 2, 3):
        torch.manual_seed(d_step)
        taken = penalties(critic, real, fake, d_step)
        torch.manual_seed(d_step)  # the same interpolation points
        assert taken.keys() == {"d_gradient_penalty"}
        assert taken["d_gradient_penalty"].item() == pytest.approx(10 * gradient_penalty(critic, real, fake).item())
    assert Penalties(0.0, 0.0, 1)(critic, real, fake, 1) == {}
