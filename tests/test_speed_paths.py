"""The opt-in speed switches change nothing but speed (no timing here: that is benchmarks/)."""

from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_lightning.train import train

NO_DROPOUT = ["model.generator.dropout=[0,0,0,0,0,0,0]", "model.discriminator.dropout=[0,0,0]"]


def logged_losses(run: Path) -> dict[str, list[float]]:
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    return {tag: [e.value for e in events.Scalars(f"train/{tag}")] for tag in ("d_loss", "g_loss")}


def run_losses(make_cfg, tmp_path: Path, name: str, *overrides: str) -> dict[str, list[float]]:
    # Dropout off: compiled kernels draw their random masks from another generator than eager ones.
    cfg = make_cfg(
        *NO_DROPOUT, "iterations=3", "test=false", "trainer.limit_val_batches=0", *overrides, output_dir=tmp_path / name
    )
    train(cfg)
    return logged_losses(tmp_path / name)


@pytest.mark.slow
def test_compiled_and_eager_training_give_the_same_losses(make_cfg, tmp_path):
    eager = run_losses(make_cfg, tmp_path, "eager")
    compiled = run_losses(make_cfg, tmp_path, "compiled", "compile=true")
    for tag in eager:
        assert len(eager[tag]) == 3
        torch.testing.assert_close(compiled[tag], eager[tag], rtol=1e-3, atol=1e-4)


def test_fused_adam_gives_the_same_losses(make_cfg, tmp_path):
    plain = run_losses(make_cfg, tmp_path, "plain", "fused_optimizer=false")
    fused = run_losses(make_cfg, tmp_path, "fused", "fused_optimizer=true")
    for tag in plain:
        torch.testing.assert_close(fused[tag], plain[tag], rtol=1e-4, atol=1e-5)


def test_torch_threads_is_applied(make_cfg, tmp_path):
    before = torch.get_num_threads()
    try:
        run_losses(make_cfg, tmp_path, "threads", "torch_threads=1")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_mixed_precision_trains_with_finite_losses(make_cfg, tmp_path):
    losses = run_losses(make_cfg, tmp_path, "bf16", "trainer.precision=bf16-mixed")
    assert all(len(values) == 3 and all(abs(v) < 1e3 for v in values) for values in losses.values())
