"""What a checkpoint holds, where `ckpt_path` finds it, and when it fits a model: known answers."""

import os
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import get_class, instantiate

from gan_lightning.artifacts.checkpoints import (
    ALLOWED_TARGETS,
    CONFIG_KEY,
    RENAMED_TARGETS,
    CheckpointError,
    check_compatible,
    check_targets,
    config_targets,
    load_gan,
    read_checkpoint,
    resolve_ckpt_path,
    upgrade_legacy_config,
)
from gan_lightning.callbacks import RandomStreams
from tests.helpers import CHECKPOINT_V0_1

LEGACY = CHECKPOINT_V0_1


def touch(path: Path, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    os.utime(path, (mtime, mtime))
    return path


def test_ckpt_path_resolves_files_run_folders_and_last(tmp_path):
    runs = tmp_path / "train"
    old = touch(runs / "runs" / "a" / "checkpoints" / "last.ckpt", 1_000)
    new = touch(runs / "multiruns" / "t" / "0" / "checkpoints" / "last.ckpt", 2_000)
    touch(runs / "runs" / "b" / "checkpoints" / "iteration_5.ckpt", 3_000)  # not a last.ckpt
    assert resolve_ckpt_path("last", runs) == new  # the newest last.ckpt, sweeps included
    os.utime(old, (3_000, 3_000))
    assert resolve_ckpt_path("last", runs) == old
    assert resolve_ckpt_path(str(runs / "runs" / "a"), runs) == old  # a run folder
    flat = touch(tmp_path / "flat" / "last.ckpt", 1_000)
    assert resolve_ckpt_path(str(tmp_path / "flat"), runs) == flat  # a checkpoints folder itself
    assert resolve_ckpt_path("some/file.ckpt", runs) == Path("some/file.ckpt")  # a file: as given
    with pytest.raises(CheckpointError, match="holds no checkpoints/last.ckpt"):
        resolve_ckpt_path(str(runs / "runs" / "b"), runs)
    with pytest.raises(CheckpointError, match=f"ckpt_path=last: no run under {tmp_path / 'empty'} has"):
        resolve_ckpt_path("last", tmp_path / "empty")


def test_config_targets_are_found_at_any_depth():
    config = {"_target_": "a", "x": [{"_target_": "b"}, {"y": {"_target_": "c"}}, 3], "z": {"w": "_target_"}}
    assert list(config_targets(config)) == ["a", "b", "c"]


def test_check_targets_names_the_foreign_target_and_the_file():
    check_targets({"model": {"_target_": "gan_lightning.gan.module.GAN", "o": {"_target_": "torch.optim.Adam"}}}, "f")
    with pytest.raises(CheckpointError) as refused:
        check_targets({"model": {"_target_": "gan_lightning.gan.module.GAN", "g": {"_target_": "os.system"}}}, "x.ckpt")
    assert str(refused.value).startswith("checkpoint x.ckpt names _target_ 'os.system' in its config")


def test_legacy_configs_get_their_gan_node_without_the_keys_the_module_no_longer_takes():
    legacy = {
        "model": {"compile": False, "compile_mode": None, "fused_optimizer": True, "latent_dim": 100, "d_steps": 1}
    }
    upgraded = upgrade_legacy_config({**legacy, "seed": 1})
    assert upgraded == {**legacy, "gan": {"d_steps": 1}, "seed": 1}
    assert legacy["model"]["latent_dim"] == 100  # the stored config itself is left alone


def test_renamed_classes_are_read_under_their_current_names_at_any_depth():
    legacy = {
        "model": {
            "_target_": "gan_lightning.module.GAN",
            "generator": {"_target_": "gan_lightning.nets.DCGANGenerator"},
            "objective": {"_target_": "gan_lightning.losses.Hinge"},
            "augment": ["translation"],
        },
        "data": {"_target_": "gan_lightning.data.MNISTDataModule"},
        "callbacks": [{"_target_": "gan_lightning.callbacks.SampleGrid"}],
    }
    upgraded = upgrade_legacy_config(legacy)
    assert upgraded["gan"] == {
        "_target_": "gan_lightning.gan.module.GAN",
        "generator": {"_target_": "gan_lightning.gan.nets.DCGANGenerator"},
        "objective": {"_target_": "gan_lightning.gan.losses.Hinge"},
        "augment": ["translation"],
    }
    assert upgraded["data"] == {"_target_": "gan_lightning.data.mnist.MNISTDataModule"}
    assert upgraded["callbacks"] == legacy["callbacks"]  # names that did not move stay


def test_every_renamed_class_exists_under_its_new_name_and_is_allowed():
    assert set(RENAMED_TARGETS.values()) <= ALLOWED_TARGETS
    assert not set(RENAMED_TARGETS) & ALLOWED_TARGETS  # an old name is read through the table, never allowed itself
    for target in RENAMED_TARGETS.values():
        assert callable(get_class(target)), target


@pytest.fixture(scope="module")
def legacy():
    return read_checkpoint(LEGACY)


def model_like_legacy(**changes):
    config = read_checkpoint(LEGACY)[CONFIG_KEY]["gan"]
    for key, value in changes.items():
        node, _, leaf = key.rpartition(".")
        target = config
        for part in filter(None, node.split(".")):
            target = target[part]
        target[leaf] = value
    return instantiate(config)


def test_a_checkpoint_fits_the_model_of_its_own_config(legacy):
    check_compatible(legacy, model_like_legacy(), LEGACY)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"generator.latent_dim": 64}, r"generator\.net\.0\.weight has shape \(16, 100\) there and \(16, 64\) here "
         r"\(model\.generator\.latent_dim differs: 100 there, 64 here\)"),
        ({"discriminator.hidden": [8]}, r"discriminator\.net\.1\.weight has shape \(16, 784\) there and \(8, 784\) "
         r"here$"),
        ({"ema_decay": None}, "was trained with ema .* use ema=<decay>"),
    ],
)  # fmt: skip
def test_a_checkpoint_that_does_not_fit_is_refused_naming_the_first_difference(legacy, changes, message):
    with pytest.raises(CheckpointError, match=message):
        check_compatible(legacy, model_like_legacy(**changes), LEGACY)


def test_a_checkpoint_without_ema_does_not_fit_a_model_with_it(legacy):
    without = {**legacy, "state_dict": {k: v for k, v in legacy["state_dict"].items() if "_ema." not in k}}
    with pytest.raises(CheckpointError, match="was trained without ema .* use ema=null"):
        check_compatible(without, model_like_legacy(), LEGACY)
    lacking = {**legacy, "state_dict": {k: v for k, v in legacy["state_dict"].items() if k != "generator.net.3.bias"}}
    with pytest.raises(CheckpointError, match=r"it lacks generator\.net\.3\.bias \(another model\?\)"):
        check_compatible(lacking, model_like_legacy(), LEGACY)
    extra = {**legacy, "state_dict": {**legacy["state_dict"], "extra.weight": torch.zeros(1)}}
    with pytest.raises(CheckpointError, match="it has extra.weight, which this model lacks"):
        check_compatible(extra, model_like_legacy(), LEGACY)


def test_files_that_are_not_lightning_checkpoints_are_named(tmp_path):
    for content, message in (([1, 2], "is not a Lightning checkpoint"), ({"x": 1}, "is not a Lightning checkpoint")):
        torch.save(content, tmp_path / "f.ckpt")
        with pytest.raises(CheckpointError, match=f"checkpoint {tmp_path / 'f.ckpt'} {message}"):
            read_checkpoint(tmp_path / "f.ckpt")
    (tmp_path / "text.ckpt").write_text("not a zip")
    with pytest.raises(CheckpointError, match=r"text\.ckpt is corrupt or not a PyTorch file \(it does not unpickle\)$"):
        read_checkpoint(tmp_path / "text.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "foreign.ckpt")
    with pytest.raises(CheckpointError, match="was not written by gan_lightning.train"):
        load_gan(tmp_path / "foreign.ckpt")


def test_load_gan_returns_the_eval_mode_model_its_iteration_and_config(legacy):
    trained = load_gan(LEGACY)
    assert trained.iteration == 4 and trained.path == LEGACY.resolve() and not trained.model.training
    assert trained.config["seed"] == legacy[CONFIG_KEY]["seed"]
    for name, tensor in trained.model.state_dict().items():
        assert torch.equal(tensor, legacy["state_dict"][name]), name


def random_draws() -> list:
    draws = [torch.randn(3).tolist(), [random.random() for _ in range(3)], np.random.randn(3).tolist()]
    if torch.cuda.is_available():
        draws.append(torch.randn(3, device="cuda").tolist())
    return draws


def test_checkpoints_carry_all_four_random_streams(tmp_path):
    """torch, CUDA (where present), Python's and NumPy's streams, through a real file read as plain data."""
    streams = RandomStreams()
    torch.manual_seed(1), random.seed(2), np.random.seed(3)
    np.random.randn(1)  # NumPy now holds a cached Gaussian, part of its state
    checkpoint: dict = {}
    streams.on_save_checkpoint(None, None, checkpoint)
    torch.save(checkpoint, tmp_path / "streams.pt")
    expected = random_draws()
    random_draws()  # every stream moves on
    streams.on_load_checkpoint(None, None, torch.load(tmp_path / "streams.pt", weights_only=True))
    assert random_draws() == expected
    before = random_draws()
    streams.on_load_checkpoint(None, None, {})  # a checkpoint without streams leaves them alone
    assert random_draws() != before


class RunsACommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_a_pickle_payload_is_refused_naming_its_class_and_never_runs(tmp_path):
    checkpoint = read_checkpoint(LEGACY)
    checkpoint["extra"] = RunsACommand(f"touch {tmp_path / 'marker'}")
    torch.save(checkpoint, tmp_path / "payload.ckpt")
    with pytest.raises(CheckpointError) as refused:
        read_checkpoint(tmp_path / "payload.ckpt")
    assert str(refused.value) == (
        f"checkpoint {tmp_path / 'payload.ckpt'} holds a posix.system object, which a checkpoint written by "
        f"gan_lightning never does; refused, nothing in it was run (only open files from people you trust with "
        f"your account)"
    )
    assert not (tmp_path / "marker").exists()


def test_missing_truncated_and_foreign_files_have_their_own_line(tmp_path):
    with pytest.raises(CheckpointError) as missing:
        read_checkpoint(tmp_path / "nope.ckpt")
    assert str(missing.value) == (
        f"checkpoint {tmp_path / 'nope.ckpt'} does not exist; pass ckpt_path=<run folder>/checkpoints/last.ckpt"
    )
    (tmp_path / "cut.ckpt").write_bytes(LEGACY.read_bytes()[:5000])
    with pytest.raises(CheckpointError) as cut:
        read_checkpoint(tmp_path / "cut.ckpt")
    assert re.fullmatch(
        rf"checkpoint {tmp_path / 'cut.ckpt'} is corrupt or not a PyTorch file \(\w+Error: .+\)", str(cut.value)
    )
    (tmp_path / "text.ckpt").write_text("just text")  # torch fails on it in its own way: the line says which
    with pytest.raises(CheckpointError, match=r"text\.ckpt is corrupt or not a PyTorch file \(.+\)$"):
        read_checkpoint(tmp_path / "text.ckpt")


def test_last_is_the_newest_of_many_runs(tmp_path):
    paths = [
        touch(tmp_path / name / "checkpoints" / "last.ckpt", mtime) for name, mtime in (("a", 3), ("b", 1), ("c", 2))
    ]
    assert resolve_ckpt_path("last", tmp_path) == paths[0]


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"generator.hidden": [8]}, r"generator\.net\.0\.weight has shape \(16, 100\) there and \(8, 100\) here$"),
        ({"discriminator.hidden": [100]}, r"has shape \(16, 784\) there and \(100, 784\) here$"),  # 100 = latent size
    ],
)
def test_the_latent_size_hint_appears_only_where_the_latent_size_differs(legacy, changes, message):
    with pytest.raises(CheckpointError, match=message):
        check_compatible(legacy, model_like_legacy(**changes), LEGACY)


def test_todays_configs_pass_the_legacy_upgrade_unchanged():
    today = {"model": {"generator": {"_target_": "gan_lightning.gan.nets.MLPGenerator"}}, "gan": {"d_steps": 1}}
    assert upgrade_legacy_config(today) == today


def test_weights_only_stays_on_when_the_environment_asks_torch_to_switch_it_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # torch's own escape hatch for implicit loads
    checkpoint = read_checkpoint(LEGACY)
    checkpoint["extra"] = RunsACommand(f"touch {tmp_path / 'marker'}")
    torch.save(checkpoint, tmp_path / "payload.ckpt")
    with pytest.raises(CheckpointError, match="holds a posix.system object"):
        read_checkpoint(tmp_path / "payload.ckpt")
    assert not (tmp_path / "marker").exists()


def test_reading_a_checkpoint_checks_its_stored_targets(legacy, tmp_path):
    legacy = {**legacy, CONFIG_KEY: {**legacy[CONFIG_KEY], "trainer": {"_target_": "builtins.exec"}}}
    torch.save(legacy, tmp_path / "exec.ckpt")
    with pytest.raises(CheckpointError) as refused:
        read_checkpoint(tmp_path / "exec.ckpt")
    assert str(refused.value).startswith(f"checkpoint {tmp_path / 'exec.ckpt'} names _target_ 'builtins.exec'")


def test_load_gan_finds_last_and_names_the_file_that_does_not_fit(legacy, tmp_path):
    runs = tmp_path / "train"
    (runs / "runs" / "a" / "checkpoints").mkdir(parents=True)
    (runs / "runs" / "a" / "checkpoints" / "last.ckpt").write_bytes(LEGACY.read_bytes())
    assert load_gan("last", runs_dir=runs).iteration == 4
    config = legacy[CONFIG_KEY]["gan"]["generator"]
    mismatch = {**legacy, CONFIG_KEY: {**legacy[CONFIG_KEY], "gan": {**legacy[CONFIG_KEY]["gan"],
                "generator": {**config, "hidden": [8]}}}}  # fmt: skip
    torch.save(mismatch, tmp_path / "mismatch.ckpt")
    with pytest.raises(CheckpointError, match=f"^checkpoint {tmp_path / 'mismatch.ckpt'} does not fit this config"):
        load_gan(tmp_path / "mismatch.ckpt")


def test_load_gan_asks_for_the_training_checkpoint_of_an_exported_folder(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError) as refused:
        load_gan(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path} is an exported generator (G only): this needs the training checkpoint it was exported from; "
        "sample, interpolate and evaluate read exports"
    )


def test_a_stored_config_may_name_the_classes_the_projects_configs_name_and_the_supported_optimizers():
    """The allowed set comes from conf/ (no list of higher layers' classes in this module), less Hydra's own
    settings and the search samplers, which no checkpoint stores."""
    assert {"gan_lightning.gan.module.GAN", "gan_lightning.callbacks.SampleGrid", "torch.optim.SGD"} <= ALLOWED_TARGETS
    assert "gan_lightning.loggers.continued.WandbLogger" in ALLOWED_TARGETS  # conf/logger/wandb.yaml
    hydra_only = {"gan_lightning.sweeps.report.SweepSummaryCallback", "optuna.samplers.TPESampler"}
    assert not hydra_only & ALLOWED_TARGETS
