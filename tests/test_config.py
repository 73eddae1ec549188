"""Every config-group option composes; bad choices and values are refused with a reason."""

from pathlib import Path

import pytest
from hydra._internal.utils import _locate
from hydra.errors import MissingConfigException
from hydra.utils import instantiate

from gan_lightning.config import check_config
from gan_lightning.errors import ConfigError
from tests.conftest import CONF_DIR, compose_train

GROUPS = ["data", "model", "loss", "trainer", "logger", "callbacks", "paths", "hydra", "debug", "experiment"]


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS for o in options(g)])
def test_every_option_composes(make_cfg, group, option):
    cfg = make_cfg(f"{group}={option}")
    check_config(cfg)
    assert cfg.data.batch_size > 0


@pytest.mark.parametrize("loss", options("loss"))
def test_every_loss_builds_a_gan_with_its_own_optimizers(make_cfg, loss):
    model = instantiate(make_cfg(f"loss={loss}").model)
    g_opt, d_opt = model.configure_optimizers()
    assert {id(p) for group in g_opt.param_groups for p in group["params"]} == {
        id(p) for p in model.generator.parameters()
    }
    assert {id(p) for group in d_opt.param_groups for p in group["params"]} == {
        id(p) for p in model.discriminator.parameters()
    }


@pytest.mark.parametrize("group", ["callbacks", "logger"])
def test_callbacks_and_loggers_instantiate_as_configured(make_cfg, tmp_path, group):
    cfg = make_cfg()
    for name, node in cfg[group].items():
        instance = instantiate(node)
        assert type(instance) is _locate(node._target_), name
    if group == "logger":
        assert Path(instance.log_dir) == tmp_path / "run" / "tensorboard"


def test_tutorial_experiment_has_the_tutorials_settings():
    cfg = compose_train("experiment=tutorial")
    assert cfg.data.batch_size == 32 and cfg.trainer.max_epochs == 100 and cfg.loss.d_steps == 1
    assert cfg.loss.objective._target_.endswith("NonSaturating")
    for opt in (cfg.loss.g_optimizer, cfg.loss.d_optimizer):
        assert opt._target_ == "torch.optim.Adam" and opt.lr == 1e-3 and list(opt.betas) == [0.9, 0.999]


def test_unknown_option_lists_the_valid_ones(make_cfg):
    with pytest.raises(MissingConfigException) as err:
        make_cfg("loss=wasserstein_typo")
    assert "minimax" in str(err.value) and "nonsaturating" in str(err.value)


@pytest.mark.parametrize(
    "override,key",
    [
        ("loss.g_optimizer.lr=0", "loss.g_optimizer.lr"),
        ("loss.d_optimizer.lr=-1e-3", "loss.d_optimizer.lr"),
        ("data.batch_size=0", "data.batch_size"),
        ("data.batch_size=-4", "data.batch_size"),
        ("loss.d_steps=0", "loss.d_steps"),
        ("iterations=0", "iterations"),
    ],
)
def test_invalid_values_are_refused_naming_the_key(make_cfg, override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_config(make_cfg(override))


def test_best_experiment_has_the_documented_settings():
    cfg = compose_train("experiment=dcgan_hinge")
    assert cfg.model.generator._target_.endswith("DCGANGenerator") and cfg.model.generator.channels == 64
    assert cfg.model.discriminator.channels == 64 and cfg.loss.objective._target_.endswith("Hinge")
    assert cfg.loss.g_optimizer.lr == cfg.loss.d_optimizer.lr == 4e-4 and list(cfg.loss.g_optimizer.betas) == [
        0.5,
        0.999,
    ]
    assert cfg.ema == 0.999 and cfg.iterations == 5000 and cfg.data.batch_size == 32
