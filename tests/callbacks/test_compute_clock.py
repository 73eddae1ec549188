"""ComputeClock: training seconds and real images seen, by a clock the test advances; a budget in minutes."""

import pytorch_lightning as pl

from gan_lightning.callbacks import ComputeClock
from gan_lightning.core.curves import tag
from tests.callbacks.stub import StubGAN, fit
from tests.helpers import tensorboard_events


class Tick(pl.Callback):
    """Each iteration takes 10 seconds of the clock's time source."""

    def __init__(self, clock: ComputeClock) -> None:
        self.now = 0.0
        clock.timer = lambda: self.now

    def on_train_batch_start(self, *args) -> None:
        self.now += 10.0


def curve(tmp_path, name: str) -> list[tuple[int, float]]:
    events = tensorboard_events(tmp_path)
    return [(event.step, event.value) for event in events.Scalars(tag(name))]


def test_seconds_and_images_are_logged_per_iteration(tmp_path):
    clock = ComputeClock()
    fit(tmp_path, [clock, Tick(clock)], StubGAN(), iterations=3)
    assert curve(tmp_path, "wall_clock_s") == [(0, 10.0), (1, 20.0), (2, 30.0)]
    assert curve(tmp_path, "images_seen") == [(0, 4.0), (1, 8.0), (2, 12.0)]  # batches of 4 images


def test_a_budget_in_minutes_stops_after_the_iteration_that_crosses_it(tmp_path):
    clock = ComputeClock(budget_minutes=0.5)  # 30 s: three iterations of 10 s
    module = StubGAN()
    fit(tmp_path, [clock, Tick(clock)], module, iterations=100)
    assert module.iteration == 3


def test_the_clock_travels_in_the_checkpoint():
    clock = ComputeClock()
    clock.seconds_before, clock.images_seen = 12.5, 40
    resumed = ComputeClock()
    resumed.load_state_dict(clock.state_dict())
    assert (resumed.seconds, resumed.images_seen) == (12.5, 40)
