"""RandomStreams: every checkpoint holds torch's, Python's and NumPy's streams, and a resume continues them."""

import random

import numpy as np
import torch

from gan_lightning.callbacks import RandomStreams


def draws() -> tuple:
    return torch.rand(3).tolist(), random.random(), np.random.rand()


def test_a_resumed_run_draws_what_the_uninterrupted_one_drew():
    streams, checkpoint = RandomStreams(), {}
    streams.on_save_checkpoint(None, None, checkpoint)
    expected = draws()
    draws()  # the streams move on
    streams.on_load_checkpoint(None, None, checkpoint)
    assert draws() == expected


def test_a_checkpoint_without_streams_leaves_them_as_seeded():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    RandomStreams().on_load_checkpoint(None, None, {})
    assert torch.equal(torch.rand(2), expected)
