"""Latent walks: spherical interpolation, labelled frames, an animation, the same pictures for the same seed."""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from gan_lightning.interpolate import latent_walks, main, slerp
from tests.helpers import CHECKPOINT_V0_1, run_main_in_process

LEGACY = CHECKPOINT_V0_1


def test_slerp_runs_along_the_sphere_between_its_ends():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    path = slerp(a, b, torch.tensor([0.0, 0.5, 1.0]))[0]
    torch.testing.assert_close(path[0], a[0]) and torch.testing.assert_close(path[2], b[0])
    torch.testing.assert_close(path[1], torch.tensor([1.0, 1.0]) / math.sqrt(2))  # halfway on the unit circle
    assert torch.allclose(path.norm(dim=1), torch.ones(3))  # a straight line would dip to 0.71
    same = slerp(a, a.clone(), torch.tensor([0.0, 0.3, 1.0]))  # no angle: the walk stays put, without NaN
    torch.testing.assert_close(same[0], a.repeat(3, 1))


def test_walks_depend_only_on_the_seed():
    first, again, other = latent_walks(4, 6, 100, 1), latent_walks(4, 6, 100, 1), latent_walks(4, 6, 100, 2)
    assert first.shape == (4, 6, 100) and torch.equal(first, again) and not torch.equal(first, other)


def make(tmp_path: Path, name: str, seed: int = 0) -> Path:
    picture = tmp_path / name / "walks.png"
    assert (
        run_main_in_process(main, f"ckpt_path={LEGACY}", "n=3", "steps=5", f"seed={seed}", f"picture={picture}") is None
    )
    return picture


def test_interpolate_writes_a_labelled_picture_and_an_animation_the_same_for_the_same_seed(tmp_path):
    first, again, other = make(tmp_path, "a"), make(tmp_path, "b"), make(tmp_path, "c", seed=1)
    assert np.array_equal(plt.imread(first), plt.imread(again))
    assert not np.array_equal(plt.imread(first), plt.imread(other))
    gif = Image.open(first.with_suffix(".gif"))
    assert gif.n_frames == 8 and gif.size == (3 * 28 * 3, 28 * 3)  # 5 steps forward, 3 back; 3 walks side by side
    assert first.with_suffix(".gif").read_bytes() == again.with_suffix(".gif").read_bytes()


@pytest.mark.parametrize(
    "args,message", [(["steps=1"], "steps must be an integer >= 2"), (["picture=x.jpg"], "picture")]
)
def test_bad_values_are_one_line(tmp_path, args, message):
    exited = run_main_in_process(main, f"ckpt_path={LEGACY}", *args)
    assert exited.startswith(f"error: {message}")
