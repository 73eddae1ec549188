"""IterationCheckpoint: intervals and file names in GAN iterations, and last.ckpt always at the end."""

import torch

from gan_lightning.callbacks import IterationCheckpoint
from tests.callbacks.stub import StubGAN, fit


def global_step(path) -> int:
    return torch.load(path, weights_only=False)["global_step"]


def test_checkpoints_are_spaced_and_named_in_iterations_whatever_d_steps(tmp_path):
    periodic = IterationCheckpoint(
        dirpath=tmp_path / "ckpt", filename="iteration_{iteration}", every_n_iterations=2, d_steps=3,
        monitor="step", mode="max", save_top_k=-1,
    )  # fmt: skip
    fit(tmp_path, [periodic], StubGAN(d_steps=3), iterations=6, enable_checkpointing=True)
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == ["iteration_2.ckpt", "iteration_4.ckpt", "iteration_6.ckpt"]
    assert global_step(tmp_path / "ckpt" / "iteration_4.ckpt") == 4 * (3 + 1)  # D's 3 steps and G's, 4 times


def test_the_end_of_training_writes_last_ckpt_even_between_intervals(tmp_path):
    last = IterationCheckpoint(dirpath=tmp_path / "ckpt", every_n_iterations=4, save_top_k=0, save_last=True)
    fit(tmp_path, [last], StubGAN(), iterations=6, enable_checkpointing=True)
    assert global_step(tmp_path / "ckpt" / "last.ckpt") == 6 * 2  # not iteration 4's
