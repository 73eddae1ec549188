"""LastValidation: the iteration of the last validation inside training, the sanity check not counted."""

from gan_lightning.callbacks import LastValidation
from tests.callbacks.stub import StubGAN, fit


def test_it_records_the_iteration_of_the_last_validation(tmp_path):
    last = LastValidation()
    # validation after iterations 4 and 8 (every 4 batches), and a sanity check before training
    fit(tmp_path, [last], StubGAN(), iterations=10, limit_val_batches=1, val_check_interval=4, num_sanity_val_steps=1)
    assert last.iteration == 8


def test_no_validation_inside_training_records_none(tmp_path):
    last = LastValidation()
    fit(tmp_path, [last], StubGAN(), iterations=3, limit_val_batches=1, num_sanity_val_steps=1)
    assert last.iteration is None  # the epoch of 8 never ended, and the sanity check does not count
