"""LearningRateDecay: both rates fall linearly to zero over the end of the iteration budget, and are logged."""

import pytest

from gan_lightning.callbacks import LearningRateDecay
from gan_lightning.core.curves import tag
from tests.callbacks.stub import StubGAN, fit
from tests.helpers import tensorboard_events


def logged(tmp_path, name: str) -> list[float]:
    events = tensorboard_events(tmp_path)
    return [event.value for event in events.Scalars(tag(name))]


def test_rates_hold_then_fall_linearly_from_the_start_fraction(tmp_path):
    fit(tmp_path, [LearningRateDecay(start=0.5, iterations=8)], StubGAN(), iterations=8)
    factors = [1, 1, 1, 1, 1, 0.75, 0.5, 0.25]  # (1 - i/8) / (1 - 0.5), at most 1, for iterations i = 0..7
    assert logged(tmp_path, "g_lr") == pytest.approx([0.1 * f for f in factors])  # the stub's rates: G 0.1
    assert logged(tmp_path, "d_lr") == pytest.approx([0.2 * f for f in factors])  # and D 0.2


def test_without_a_start_the_rates_stay_and_are_logged(tmp_path):
    fit(tmp_path, [LearningRateDecay(start=None, iterations=4)], StubGAN(), iterations=4)
    assert logged(tmp_path, "g_lr") == pytest.approx([0.1] * 4)
