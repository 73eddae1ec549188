"""`export`: a folder people share, read by `sample`, `interpolate` and the Python API without unpickling."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from gan_lightning import load_generator, score
from gan_lightning.artifacts.checkpoints import read_checkpoint
from gan_lightning.data.mnist import load_mnist, to_unit
from gan_lightning.export import main as export_main
from gan_lightning.interpolate import main as interpolate_main
from gan_lightning.sample import main as sample_main
from gan_lightning.train import train
from tests.helpers import CHECKPOINT_V0_1, compose_train, run_main_in_process, tiny_overrides


@pytest.fixture(scope="module")
def run(tmp_path_factory, mnist_dir) -> Path:
    """A tiny run with a moving average of G (what an export must carry), its metrics and overrides file."""
    out = tmp_path_factory.mktemp("trained")
    train(compose_train(*tiny_overrides(mnist_dir, out), "ema=0.9"))
    (out / ".hydra").mkdir()
    (out / ".hydra" / "overrides.yaml").write_text("- ema=0.9\n- iterations=6\n")
    return out


@pytest.fixture
def exported(run, tmp_path) -> Path:
    folder = tmp_path / "generator"
    assert run_main_in_process(export_main, f"ckpt_path={run}", f"out={folder}") is None
    return folder


def test_export_writes_the_averaged_generator_its_config_a_grid_and_a_model_card(run, exported):
    assert sorted(p.name for p in exported.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
        "samples.png",
    ]
    config = json.loads((exported / "config.json").read_text())
    assert config["generator"]["_target_"] == "gan_lightning.gan.nets.MLPGenerator"
    assert config["ema"] is True and config["iteration"] == 6 and config["latent_dim"] == 100
    card = (exported / "README.md").read_text()
    metrics = json.loads((run / "metrics.json").read_text())
    assert "python -m gan_lightning.train ema=0.9 iterations=6" in card and "after 6 iterations and" in card
    assert "moving average of G" in card and f"feature classifier {metrics['classifier_hash']})" in card
    assert f"| test/fid | {metrics['metrics']['test/fid']:.4g} |" in card and "License:" in card


def test_sampling_an_export_gives_the_checkpoints_images_byte_for_byte(run, exported, tmp_path):
    from_export, from_checkpoint = tmp_path / "export.npy", tmp_path / "checkpoint.npy"
    assert run_main_in_process(sample_main, f"ckpt_path={exported}", "n=20", f"out={from_export}") is None
    assert run_main_in_process(sample_main, f"ckpt_path={run}", "n=20", f"out={from_checkpoint}") is None
    assert from_export.read_bytes() == from_checkpoint.read_bytes()
    assert from_export.with_suffix(".png").read_bytes() == from_checkpoint.with_suffix(".png").read_bytes()
    stored = read_checkpoint(run / "checkpoints" / "last.ckpt")["state_dict"]
    tensors = load_file(exported / "model.safetensors")
    assert all(torch.equal(t, stored[f"generator_ema.module.{name}"]) for name, t in tensors.items())  # the average
    assert not all(torch.equal(t, stored[f"generator.{name}"]) for name, t in tensors.items())  # not the raw G


def test_interpolate_reads_an_export_like_its_checkpoint(run, exported, tmp_path):
    pictures = []
    for source in (exported, run):
        picture = tmp_path / source.name / "walks.png"
        assert (
            run_main_in_process(interpolate_main, f"ckpt_path={source}", "n=2", "steps=3", f"picture={picture}") is None
        )
        pictures.append(picture.with_suffix(".gif").read_bytes())
    assert pictures[0] == pictures[1]


def test_a_tampered_or_broken_export_is_refused_in_one_line(exported, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(exported, tampered)
    config = json.loads((tampered / "config.json").read_text())
    config["generator"]["_target_"] = "os.system"
    (tampered / "config.json").write_text(json.dumps(config))
    exited = run_main_in_process(sample_main, f"ckpt_path={tampered}", "n=2")
    assert (
        exited.startswith(f"error: export {tampered}: config.json is not a gan_lightning generator")
        and "\n" not in exited
    )
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    (broken / "model.safetensors").write_bytes(b"not tensors")
    exited = run_main_in_process(sample_main, f"ckpt_path={broken}", "n=2")
    assert exited.startswith(f"error: export {broken}: model.safetensors does not fit config.json")


def test_evaluate_scores_an_export_as_its_checkpoint_without_d(run, exported, mnist_dir, tmp_path):
    from gan_lightning.evaluate import main as evaluate_main

    data = [f"data.data_dir={mnist_dir}", "data.download=false", "data.val_size=64", "trainer.accelerator=cpu"]
    reports = {}
    for name, source in (("export", exported), ("checkpoint", run)):
        folder = tmp_path / f"evaluate_{name}"
        assert run_main_in_process(evaluate_main, f"ckpt_path={source}", *data, f"hydra.run.dir={folder}") is None
        reports[name] = json.loads((folder / "metrics.json").read_text())
        reports[name]["samples"] = (folder / "samples.png").read_bytes()
    export, checkpoint = reports["export"], reports["checkpoint"]
    d_accuracy = {"test/d_real_acc", "test/d_fake_acc"}
    assert set(checkpoint["metrics"]) - set(export["metrics"]) == d_accuracy  # an export has no D
    assert export["metrics"] == {k: v for k, v in checkpoint["metrics"].items() if k not in d_accuracy}
    assert export["metrics"]["test/fid"] > 0 and export["samples"] == checkpoint["samples"]
    assert export["per_digit"] == checkpoint["per_digit"] and export["memorization"] == checkpoint["memorization"]
    assert (export["generator"], export["discriminator"], export["iteration"]) == ("ema", "none (an export)", 6)
    exited = run_main_in_process(evaluate_main, f"ckpt_path={exported}", "use_ema=false", *data)
    assert (
        exited == f"error: {exported} holds only the moving average of G: use_ema=false needs its training checkpoint"
    )


def test_the_python_api_samples_what_the_command_samples(run, exported, tmp_path):
    out = tmp_path / "command.npy"
    assert run_main_in_process(sample_main, f"ckpt_path={exported}", "n=16", "seed=3", f"out={out}") is None
    for source in (exported, run, run / "checkpoints" / "last.ckpt"):
        images = load_generator(source).sample(16, seed=3)
        assert images.shape == (16, 1, 28, 28) and images.dtype == torch.float32
        np.testing.assert_array_equal(images.squeeze(1).numpy(), np.load(out))
    assert not torch.equal(load_generator(exported).sample(4, seed=1), load_generator(exported).sample(4, seed=2))
    legacy = load_generator(CHECKPOINT_V0_1)
    assert legacy.iteration == 4 and 0 <= legacy.sample(3).min() and legacy.sample(3).max() <= 1


def test_score_judges_any_images_against_the_test_set(mnist_dir, monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", str(mnist_dir))
    test_images = to_unit(load_mnist(mnist_dir, train=False).data)
    itself = score(test_images.squeeze(1).numpy(), kid_subset_size=50)
    noise = score(torch.rand(len(test_images), 28, 28), kid_subset_size=50)
    assert abs(itself["fid"]) < 1e-2 and noise["fid"] > 100 * max(itself["fid"], 1e-3)
    assert itself["precision"] == 1.0 and itself["recall"] == 1.0
    with pytest.raises(ValueError, match=r"images must be \(N, 28, 28\) or \(N, 1, 28, 28\) in \[0, 1\]"):
        score(np.full((4, 28, 28), 255.0))
