"""Iterations and Lightning's optimizer steps: the one conversion, pinned to Lightning's own counting."""

import pytest
import pytorch_lightning as pl

from gan_lightning.core.iterations import completed_iterations, is_logging_iteration, optimizer_steps


@pytest.mark.parametrize("d_steps", [1, 2, 5])
def test_an_iteration_is_d_steps_plus_one_optimizer_steps(d_steps):
    assert optimizer_steps(0, d_steps) == 0
    assert optimizer_steps(7, d_steps) == 7 * (d_steps + 1)
    for iterations in range(12):
        steps = optimizer_steps(iterations, d_steps)
        assert completed_iterations(steps, d_steps) == iterations
        # A half-done iteration (some D steps taken, not yet G's) does not count.
        assert completed_iterations(steps + d_steps, d_steps) == iterations


def Trainer(log_every_n_steps: int, fast_dev_run: bool = False) -> pl.Trainer:
    return pl.Trainer(accelerator="cpu", logger=False, log_every_n_steps=log_every_n_steps, fast_dev_run=fast_dev_run)


def test_logging_iterations_follow_log_every_n_steps():
    assert [i for i in range(12) if is_logging_iteration(Trainer(5), i)] == [4, 9]
    assert all(is_logging_iteration(Trainer(1), i) for i in range(5))
    assert not any(is_logging_iteration(Trainer(0), i) for i in range(5))  # logging off
    assert is_logging_iteration(Trainer(50, fast_dev_run=True), 0)  # one batch: always measured
