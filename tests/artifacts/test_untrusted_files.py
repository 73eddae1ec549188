"""Files from someone else cannot run code: checkpoints and classifier weights are read as plain data.

The attacks are real: a pickle whose loading would run `touch <marker>`, and a stored config whose
`_target_`s would run it when instantiated. Each is opened the way users open files, by `sample`,
`evaluate` and `train ckpt_path=...` in a subprocess; the marker must never appear.
"""

import os
import shutil
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from gan_lightning.artifacts.checkpoints import (
    ALLOWED_TARGETS,
    CONFIG_KEY,
    CheckpointError,
    check_targets,
    config_targets,
    load_gan,
    upgrade_legacy_config,
)
from gan_lightning.evaluate import evaluate
from gan_lightning.evaluate import main as evaluate_main
from gan_lightning.gan.module import GAN
from gan_lightning.gan.sampling import generate
from gan_lightning.quality import classifier as classifier_module
from gan_lightning.quality.classifier import ClassifierError, load_classifier
from gan_lightning.sample import main as sample_main
from gan_lightning.train import main as train_main
from tests.helpers import CHECKPOINT_V0_1, CONF_DIR, cli_overrides, run_main_in_process, run_module

LEGACY = CHECKPOINT_V0_1


class RunsACommand:
    """Unpickling this object would call os.system(command): what a malicious checkpoint carries."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def legacy_checkpoint() -> dict:
    return torch.load(LEGACY, map_location="cpu", weights_only=True)


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "marker"


@pytest.fixture
def pickle_payload(tmp_path, marker) -> Path:
    checkpoint = legacy_checkpoint()
    checkpoint["extra"] = RunsACommand(f"touch {marker}")
    torch.save(checkpoint, tmp_path / "payload.ckpt")
    return tmp_path / "payload.ckpt"


def with_targets(tmp_path: Path, marker: Path, *targets: str) -> Path:
    """A valid checkpoint whose stored config names `targets` in place of its networks and objective."""
    checkpoint = legacy_checkpoint()
    nodes = {
        "os.system": {"_target_": "os.system", "_args_": [f"touch {marker}"]},
        "subprocess.run": {"_target_": "subprocess.run", "args": ["touch", str(marker)]},
        "builtins.exec": {"_target_": "builtins.exec", "_args_": [f"open({str(marker)!r}, 'w').close()"]},
    }
    for key, target in zip(("generator", "discriminator", "objective"), targets, strict=False):
        checkpoint[CONFIG_KEY]["model"][key] = nodes[target]
    path = tmp_path / f"targets_{'_'.join(targets)}.ckpt"
    torch.save(checkpoint, path)
    return path


@pytest.fixture
def foreign_targets(tmp_path, marker) -> Path:
    return with_targets(tmp_path, marker, "os.system", "subprocess.run", "builtins.exec")


def entry_point_args(entry: str, ckpt: Path, tmp_path: Path, mnist_dir: Path) -> list[str]:
    if entry == "sample":
        return [f"ckpt_path={ckpt}", f"out={tmp_path / 'out' / 'samples.npy'}"]
    if entry == "evaluate":
        return [f"ckpt_path={ckpt}", f"data.data_dir={mnist_dir}", f"hydra.run.dir={tmp_path / 'out'}"]
    return [*cli_overrides(mnist_dir), f"ckpt_path={ckpt}", f"hydra.run.dir={tmp_path / 'out'}"]


def outputs_written(out: Path) -> list[str]:
    """What the command produced besides Hydra's own log of the run."""
    if not out.exists():
        return []
    return sorted(p.name for p in out.iterdir() if p.name not in (".hydra", "train.log", "evaluate.log", "FAILED"))


@pytest.mark.parametrize("entry", ["sample", "evaluate", "train"])
@pytest.mark.parametrize("attack", ["pickle_payload", "foreign_targets"])
def test_an_attacking_checkpoint_is_refused_in_one_line_and_runs_nothing(
    entry, attack, request, marker, tmp_path, mnist_dir
):
    ckpt = request.getfixturevalue(attack)
    result = run_module(f"gan_lightning.{entry}", *entry_point_args(entry, ckpt, tmp_path, mnist_dir))
    assert not marker.exists()  # nothing in the file was executed
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: checkpoint {ckpt} ")
    if attack == "pickle_payload":
        assert "holds a posix.system object" in last and "nothing in it was run" in last
    else:
        assert "names _target_ 'builtins.exec'" in last and "refused" in last
    assert outputs_written(tmp_path / "out") == []  # no samples, metrics, checkpoints or curves


@pytest.mark.parametrize("target", ["os.system", "subprocess.run", "builtins.exec"])
def test_each_foreign_target_is_named(target, marker, tmp_path):
    path = with_targets(tmp_path, marker, target)
    with pytest.raises(CheckpointError, match=f"names _target_ '{target}'"):
        load_gan(path)
    assert not marker.exists()


def test_every_target_the_configs_use_is_allowed():
    """The allow-list covers every option of every config group, so that it cannot fall behind them."""
    groups = {p.parent.name: sorted(q.stem for q in p.parent.glob("*.yaml")) for p in CONF_DIR.glob("*/*.yaml")}
    groups.pop("hparams_search"), groups.pop("hydra")  # launcher and sweeper settings: never stored
    seen = set()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for group, options in groups.items():
            for option in options:
                cfg = compose("train", overrides=[f"{group}={option}"])
                seen |= set(config_targets(OmegaConf.to_container(cfg)))
    assert seen and seen <= ALLOWED_TARGETS, seen - ALLOWED_TARGETS


def test_tensors_that_do_not_fit_the_stored_config_are_one_line(tmp_path, mnist_dir):
    checkpoint = legacy_checkpoint()
    model = checkpoint[CONFIG_KEY]["model"]
    model["latent_dim"] = model["generator"]["latent_dim"] = 7  # the stored weights were trained with 100
    path = tmp_path / "mismatch.ckpt"
    torch.save(checkpoint, path)
    exited = run_main_in_process(sample_main, f"ckpt_path={path}", f"out={tmp_path / 's.npy'}")
    assert exited.startswith(f"error: checkpoint {path} does not fit this config: generator.") and "\n" not in exited
    assert "(model.generator.latent_dim differs: 100 there, 7 here)" in exited
    exited = run_main_in_process(evaluate_main, f"ckpt_path={path}", f"hydra.run.dir={tmp_path / 'eval'}")
    assert exited.startswith(f"error: checkpoint {path} does not fit this config")


def test_missing_and_truncated_checkpoints_are_one_line(tmp_path):
    missing = tmp_path / "nope.ckpt"
    exited = run_main_in_process(sample_main, f"ckpt_path={missing}", f"out={tmp_path / 's.npy'}")
    assert exited.startswith(f"error: checkpoint {missing} does not exist")
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(LEGACY.read_bytes()[:5000])
    exited = run_main_in_process(evaluate_main, f"ckpt_path={truncated}", f"hydra.run.dir={tmp_path / 'run'}")
    assert exited.startswith(f"error: checkpoint {truncated} is corrupt or not a PyTorch file") and "\n" not in exited
    exited = run_main_in_process(train_main, f"ckpt_path={truncated}", f"hydra.run.dir={tmp_path / 'train'}")
    assert exited.startswith(f"error: checkpoint {truncated} is corrupt")


def test_checkpoints_written_before_the_safe_loader_still_load(tmp_path, mnist_dir):
    """tests/fixtures/checkpoint_v0_1.pt: written by version 0.1's `train` (MLP 16-16, ema 0.9, 4 iterations)."""
    trained = load_gan(LEGACY)
    assert trained.iteration == 4 and trained.model.generator_ema is not None
    images = generate(trained.model.eval_generator, trained.model.latent_dim, 5, seed=0, batch_size=5, device="cpu")
    assert images.shape == (5, 28, 28) and 0 <= images.min() and images.max() <= 1
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "evaluate",
            [f"ckpt_path={LEGACY}", f"data.data_dir={mnist_dir}", "data.val_size=64", f"paths.output_dir={tmp_path}"],
        )
    report = evaluate(cfg)
    assert report["iteration"] == 4 and report["generator"] == "ema"
    assert (tmp_path / "metrics.json").exists() and (tmp_path / "samples.png").exists()


def test_the_shipped_classifier_is_verified_by_its_hash(tmp_path, monkeypatch):
    _, digest = load_classifier()
    assert digest == classifier_module.SHIPPED_SHA256[:12]
    changed = tmp_path / "mnist_classifier.pt"
    state = torch.load(classifier_module.SHIPPED_WEIGHTS, weights_only=True)
    state["state_dict"]["head.1.bias"] += 1  # a subtly different network
    torch.save(state, changed)
    monkeypatch.setattr(classifier_module, "SHIPPED_WEIGHTS", changed)
    with pytest.raises(ClassifierError, match="not the shipped"):
        load_classifier()


def test_a_tampered_classifier_cache_file_is_refused_and_never_executed(tmp_path, marker):
    _, digest = load_classifier()
    cached = tmp_path / f"mnist_classifier-{digest}.pt"  # named by its hash, as `make classifier` writes it
    shutil.copy(classifier_module.SHIPPED_WEIGHTS, cached)
    assert load_classifier(cached)[1] == digest
    state = torch.load(cached, weights_only=True)
    state["payload"] = RunsACommand(f"touch {marker}")
    torch.save(state, cached)
    with pytest.raises(ClassifierError, match="was changed after it was written"):
        load_classifier(cached)
    renamed = cached.rename(tmp_path / "my_classifier.pt")  # no hash in the name to check against
    with pytest.raises(ClassifierError, match="not a gan_lightning classifier"):
        load_classifier(renamed)
    assert not marker.exists()


def test_a_tampered_classifier_stops_training_in_one_line(tmp_path, marker, mnist_dir):
    payload = tmp_path / "clf.pt"
    torch.save({"state_dict": RunsACommand(f"touch {marker}")}, payload)
    cfg_args = [*cli_overrides(mnist_dir), f"classifier={payload}", f"hydra.run.dir={tmp_path / 'run'}"]
    exited = run_main_in_process(train_main, *cfg_args)
    assert exited.startswith(f"error: classifier weights {payload} are not a gan_lightning classifier")
    assert not marker.exists()


@pytest.mark.parametrize("overrides", [[], ["model=dcgan", "loss=wgan_gp", "ema=0.9", "augment=[cutout]"]])
def test_allow_list_does_not_stop_a_real_run(make_cfg, overrides):
    """What a run stores in its checkpoints (its resolved config) passes the allow-list check, and the GAN it
    names is what load_gan builds from it."""
    stored = OmegaConf.to_container(make_cfg(*overrides), resolve=True)
    check_targets(stored, "a run's checkpoint")  # raises on any _target_ outside the list
    model = instantiate(upgrade_legacy_config(stored)["gan"])
    assert type(model) is GAN
