"""FiniteLossGuard: a NaN loss stops the run at the next logging iteration, naming the loss and the iteration."""

import pytest

from gan_lightning.callbacks import FiniteLossGuard
from gan_lightning.core.errors import NonFiniteLossError
from tests.callbacks.stub import StubGAN, fit


@pytest.mark.parametrize("log_every", [1, 4])  # checked on logging iterations: the same first bad iteration
def test_the_first_non_finite_loss_stops_the_run_naming_it(tmp_path, log_every):
    module = StubGAN(losses={2: float("nan"), 3: float("inf")})
    with pytest.raises(NonFiniteLossError, match=r"d_loss became nan at iteration 3;"):
        fit(tmp_path, [FiniteLossGuard()], module, iterations=8, log_every_n_steps=log_every)
    assert module.iteration == (3 if log_every == 1 else 4)  # stopped at the check, not later


def test_finite_losses_train_to_the_end(tmp_path):
    module = StubGAN()
    fit(tmp_path, [FiniteLossGuard()], module, iterations=5)
    assert module.iteration == 5
