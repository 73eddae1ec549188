"""The opt-in speed switches change nothing but speed (no timing here: that is benchmarks/)."""

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from gan_lightning.artifacts.checkpoints import read_checkpoint
from gan_lightning.core.curves import tag as curve
from gan_lightning.train import train
from tests.helpers import tensorboard_events

NO_DROPOUT = ["model.generator.dropout=[0,0,0,0,0,0,0]", "model.discriminator.dropout=[0,0,0]"]


def logged_losses(run: Path) -> dict[str, list[float]]:
    events = tensorboard_events(run)
    return {name: [e.value for e in events.Scalars(curve(name))] for name in ("d_loss", "g_loss")}


def run_losses(make_cfg, tmp_path: Path, name: str, *overrides: str, callbacks=()) -> dict[str, list[float]]:
    # Dropout off: compiled kernels draw their random masks from another generator than eager ones.
    cfg = make_cfg(
        *NO_DROPOUT, "iterations=3", "test=false", "trainer.limit_val_batches=0", *overrides, output_dir=tmp_path / name
    )
    train(cfg, callbacks)
    return logged_losses(tmp_path / name)


@pytest.mark.slow
def test_compiled_and_eager_training_give_the_same_losses(make_cfg, tmp_path):
    eager = run_losses(make_cfg, tmp_path, "eager")
    compiled = run_losses(make_cfg, tmp_path, "compiled", "compile=true")
    for tag in eager:
        assert len(eager[tag]) == 3
        torch.testing.assert_close(compiled[tag], eager[tag], rtol=1e-3, atol=1e-4)


def fused_flags(run: Path) -> list[object]:
    """Each optimizer's `fused` setting as its state holds it (G's, D's)."""
    checkpoint = read_checkpoint(run / "checkpoints" / "last.ckpt")
    return [opt["param_groups"][0]["fused"] for opt in checkpoint["optimizer_states"]]


def test_fused_adam_gives_the_same_losses(make_cfg, tmp_path):
    plain = run_losses(make_cfg, tmp_path, "plain", "fused_optimizer=false")
    fused = run_losses(make_cfg, tmp_path, "fused", "fused_optimizer=true")
    assert fused_flags(tmp_path / "fused") == [True, True]  # the switch reached both optimizers
    assert not any(fused_flags(tmp_path / "plain"))
    for tag in plain:
        torch.testing.assert_close(fused[tag], plain[tag], rtol=1e-4, atol=1e-5)


def test_torch_threads_is_applied(make_cfg, tmp_path):
    before = torch.get_num_threads()
    try:
        run_losses(make_cfg, tmp_path, "threads", "torch_threads=1")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


class RecordPrecision(pl.Callback):
    """The trainer's precision and the dtype D's layers compute in during training."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.precision, self.dtypes = trainer.precision, set()
        pl_module.discriminator.register_forward_hook(lambda module, args, out: self.dtypes.add(out.dtype))


def test_mixed_precision_computes_in_bfloat16_with_finite_losses(make_cfg, tmp_path):
    record = RecordPrecision()
    losses = run_losses(make_cfg, tmp_path, "bf16", "trainer.precision=bf16-mixed", callbacks=[record])
    assert record.precision == "bf16-mixed" and record.dtypes == {torch.bfloat16}
    assert all(len(values) == 3 and all(abs(v) < 1e3 for v in values) for values in losses.values())


def test_mixed_precision_runs_are_validated_and_tested_like_any_other(make_cfg):
    """The fakes come out of G in bfloat16; the feature classifier scores them in float32."""
    metrics = train(make_cfg("trainer.precision=bf16-mixed", "iterations=2"))
    for name in ("val/fid", "test/fid", "val/recall", "test/inception_score"):
        assert torch.isfinite(torch.tensor(metrics[name])), name


class RecordDropout(pl.Callback):
    def on_train_start(self, trainer, pl_module) -> None:
        self.kinds = {type(m).__name__ for m in pl_module.modules() if "Dropout" in type(m).__name__}


@pytest.mark.parametrize("flag, kind", [("true", "FastDropout"), ("false", "Dropout")])
def test_fast_dropout_switch_picks_the_mask_generator(make_cfg, tmp_path, flag, kind):
    record = RecordDropout()
    cfg = make_cfg(f"fast_dropout={flag}", "iterations=1", "test=false", "trainer.limit_val_batches=0")
    train(cfg, [record])
    assert record.kinds == {kind}
