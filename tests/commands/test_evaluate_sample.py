"""`evaluate` and `sample` on a checkpoint from a few-iteration training run, and bad checkpoints."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_lightning.artifacts.checkpoints import CheckpointError, load_gan, read_checkpoint
from gan_lightning.train import train
from tests.helpers import (
    checkpoint_iteration,
    compose_train,
    run_main_in_process,
    run_module,
    tensorboard_events,
    tiny_overrides,
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, mnist_dir) -> Path:
    out = tmp_path_factory.mktemp("trained")
    # Validation (val/fid) every 5 iterations: four candidates for best.ckpt.
    every_5 = ["trainer.val_check_interval=5", "trainer.check_val_every_n_epoch=null"]
    train(compose_train(*tiny_overrides(mnist_dir, out), "iterations=20", "test=false", *every_5))
    return out / "checkpoints" / "last.ckpt"


def test_training_keeps_the_checkpoint_with_the_lowest_validation_fid(checkpoint):
    events = tensorboard_events(checkpoint.parent.parent)
    # The validation after iteration 20 scored the final weights: no extra validation follows the fit.
    during_fit = [(event.value, event.step) for event in events.Scalars("val/fid")]
    # Steps are 0-based iteration indices, as for the training curves: after iterations 5, 10, 15, 20.
    assert [step for _, step in during_fit] == [4, 9, 14, 19]
    best_fid, best_step = min(during_fit)
    best = read_checkpoint(checkpoint.parent / "best.ckpt")
    (score,) = [state["best_model_score"] for key, state in best["callbacks"].items() if "val/fid" in key]
    assert float(score) == pytest.approx(best_fid, rel=1e-6)
    assert checkpoint_iteration(checkpoint.parent / "best.ckpt") == best_step + 1


def test_evaluate_writes_metrics_json_and_grid(checkpoint, mnist_dir, tmp_path):
    run = tmp_path / "eval"
    data = [f"data.data_dir={mnist_dir}", "data.download=false", "data.val_size=64"]
    result = run_module("gan_lightning.evaluate", f"ckpt_path={checkpoint}", *data, f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((run / "metrics.json").read_text())
    assert report["iteration"] == 20 and len(report["classifier_hash"]) == 12
    for name in ("test/d_real_acc", "test/d_fake_acc", "test/fid", "test/kid", "test/inception_score", "test/mode_kl"):
        assert np.isfinite(report["metrics"][name]), name
    assert 0 <= report["metrics"]["test/mode_classes"] <= 10
    for name in ("test/precision", "test/recall", "test/density", "test/coverage"):
        assert 0 <= report["metrics"][name] <= (10 if name == "test/density" else 1), name
    digits = report["per_digit"]  # as many fakes as test images (64), each given to its predicted digit
    assert sorted(digits) == [str(d) for d in range(10)] and sum(d["count"] for d in digits.values()) == 64
    assert sum(d["share"] for d in digits.values()) == pytest.approx(1.0)
    copies = report["memorization"]
    assert copies["percentile"] == 1.0 and 0 <= copies["share_closer_than_test_percentile"] <= 1
    for picture in ("samples.png", "per_digit.png", "memorization.png"):
        assert (run / picture).stat().st_size > 0, picture


def test_sample_writes_the_promised_array(checkpoint, tmp_path):
    out = tmp_path / "samples.npy"
    result = run_module("gan_lightning.sample", f"ckpt_path={checkpoint}", "n=130", f"out={out}", "batch_size=50")
    assert result.returncode == 0, result.stderr[-3000:]
    images = np.load(out)
    assert images.dtype == np.float32 and images.shape == (130, 28, 28)
    assert images.min() >= 0 and images.max() <= 1 and images.std() > 0
    assert out.with_suffix(".png").stat().st_size > 0


def test_sample_is_reproducible_by_seed(checkpoint):
    from gan_lightning.gan.sampling import generate

    model = load_gan(checkpoint).model
    g, dim = model.eval_generator, model.latent_dim
    np.testing.assert_array_equal(generate(g, dim, 8, 1, 3, "cpu"), generate(g, dim, 8, 1, 3, "cpu"))
    assert not np.array_equal(generate(g, dim, 8, 1, 8, "cpu"), generate(g, dim, 8, 2, 8, "cpu"))


def test_foreign_checkpoint_is_reported(tmp_path):
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not written by gan_lightning.train"):
        load_gan(foreign)


def test_resume_from_a_missing_checkpoint_is_refused(make_cfg, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        train(make_cfg(f"ckpt_path={tmp_path / 'missing.ckpt'}"))


def test_sample_and_interpolate_write_into_their_own_run_folders_and_find_last_under_the_log_dir(
    checkpoint, runs_in_tmp_path
):
    """ckpt_path=last means the newest train run under paths.log_dir for every command; relative outputs land in
    outputs/<command>/runs/<time>/, never in the working directory."""
    from gan_lightning.interpolate import main as interpolate_main
    from gan_lightning.sample import main as sample_main

    newest = runs_in_tmp_path / "train" / "runs" / "one" / "checkpoints" / "last.ckpt"
    newest.parent.mkdir(parents=True)
    shutil.copy(checkpoint, newest)
    before = sorted(Path.cwd().iterdir())
    assert run_main_in_process(sample_main, "ckpt_path=last", "n=10") is None
    assert run_main_in_process(interpolate_main, "ckpt_path=last", "n=2", "steps=3") is None
    (sampled,) = (runs_in_tmp_path / "sample" / "runs").iterdir()
    (walked,) = (runs_in_tmp_path / "interpolate" / "runs").iterdir()
    assert np.load(sampled / "samples.npy").shape == (10, 28, 28) and (sampled / "samples.png").exists()
    assert (walked / "interpolations.png").exists() and (walked / "interpolations.gif").exists()
    assert f"{newest.resolve()}" in (sampled / "sample.log").read_text()
    assert sorted(Path.cwd().iterdir()) == before
