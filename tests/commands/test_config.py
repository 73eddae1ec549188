"""Every config-group option composes; bad choices and values are refused with a reason."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra._internal.utils import _locate
from hydra.errors import MissingConfigException
from hydra.utils import instantiate

from gan_lightning.checks import check_config
from gan_lightning.cli.entry import project_config, user_error
from gan_lightning.core.errors import ConfigError
from gan_lightning.core.paths import PROJECT_ROOT, run_folder
from tests.helpers import CONF_DIR, compose_train, needs_extra

GROUPS = ["data", "model", "optimizer", "loss", "trainer", "logger", "callbacks", "paths", "debug", "experiment"]


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


def option_param(group: str, option: str):
    """A logger of an optional extra is checked only where that extra is installed (the check needs it)."""
    extra = option if group == "logger" and option in ("wandb", "mlflow") else None
    return pytest.param(group, option, marks=needs_extra(extra) if extra else ())


@pytest.mark.parametrize("group,option", [option_param(g, o) for g in GROUPS for o in options(g)])
def test_every_option_composes_and_passes_the_checks(group, option):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"{group}={option}"], return_hydra_config=True)
    assert cfg.hydra.runtime.choices[group] == option
    check_config(cfg)


@pytest.mark.parametrize("loss", options("loss"))
def test_every_loss_builds_a_gan_with_its_own_optimizers(make_cfg, loss):
    model = instantiate(make_cfg(f"loss={loss}").gan)
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
    assert cfg.data.batch_size == 32 and cfg.trainer.max_epochs == 100 and cfg.d_steps == 1
    assert cfg.loss._target_.endswith("NonSaturating")
    for opt in (cfg.optimizer.g, cfg.optimizer.d):
        assert opt._target_ == "torch.optim.Adam" and opt.lr == 1e-3 and list(opt.betas) == [0.9, 0.999]


def test_unknown_option_lists_the_valid_ones(make_cfg):
    with pytest.raises(MissingConfigException) as err:
        make_cfg("loss=wasserstein_typo")
    assert "minimax" in str(err.value) and "nonsaturating" in str(err.value)


@pytest.mark.parametrize(
    "override,key",
    [
        ("optimizer.g.lr=0", "optimizer.g.lr"),
        ("optimizer.d.lr=-1e-3", "optimizer.d.lr"),
        ("data.batch_size=0", "data.batch_size"),
        ("data.batch_size=-4", "data.batch_size"),
        ("d_steps=0", "d_steps"),
        ("iterations=0", "iterations"),
    ],
)
def test_invalid_values_are_refused_naming_the_key(make_cfg, override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_config(make_cfg(override))


def test_the_searched_experiment_has_the_searchs_best_settings_and_the_iterations_of_its_ten_minutes():
    cfg = compose_train("experiment=dcgan_lsgan")
    assert cfg.model.generator._target_.endswith("DCGANGenerator") and cfg.model.generator.channels == 32
    assert cfg.model.discriminator.channels == 32 and cfg.loss._target_.endswith("LeastSquares")
    assert (cfg.optimizer.g.lr, cfg.optimizer.d.lr, list(cfg.optimizer.g.betas)) == (9.35e-4, 2.64e-4, [0.5, 0.999])
    assert cfg.ema == 0.99 and cfg.r1_gamma == 0 and not cfg.model.discriminator.spectral_norm
    assert cfg.train_minutes is None and cfg.iterations == 43500


def test_the_ten_minute_best_is_dcgan_hinge_with_the_searchs_winner_in_bfloat16_for_9500_iterations():
    hinge, best = compose_train("experiment=dcgan_hinge"), compose_train("experiment=best_10min")
    assert best.train_minutes is None and best.callbacks.compute_clock.budget_minutes is None
    assert best.iterations == 9500 and best.trainer.max_epochs == -1 and best.tags == ["best_10min"]
    assert best.trainer.val_check_interval == 5000 and best.trainer.check_val_every_n_epoch is None
    assert best.model.generator.channels == 128 and best.model.discriminator.channels == 64
    assert best.trainer.precision == "bf16-mixed"
    # hparams_search=dcgan_10min's trial 2
    assert (best.optimizer.g.lr, best.optimizer.d.lr, best.d_steps) == (5.061e-4, 5.065e-4, 2)
    assert list(best.optimizer.g.betas) == list(best.optimizer.d.betas) == [0.0, 0.999]
    assert (best.ema, best.r1_gamma) == (0.9999, 1.0)
    for cfg in (hinge, best):  # everything else is dcgan_hinge's
        cfg.iterations = cfg.tags = cfg.trainer.max_epochs = cfg.trainer.val_check_interval = None
        cfg.model.generator.channels = cfg.trainer.precision = cfg.ema = cfg.r1_gamma = None
        cfg.optimizer.g.lr = cfg.optimizer.d.lr = cfg.d_steps = None
        cfg.optimizer.g.betas = cfg.optimizer.d.betas = None
    assert best == hinge


def test_the_hour_is_the_ten_minute_best_with_one_d_step_falling_rates_and_a_weaker_lazy_r1_for_106000_iterations():
    best, hour = compose_train("experiment=best_10min"), compose_train("experiment=best_1h")
    assert hour.train_minutes is None and hour.iterations == 106000 and hour.tags == ["best_1h"]
    assert hour.trainer.val_check_interval == 10000 and hour.trainer.check_val_every_n_epoch is None
    assert (hour.d_steps, hour.lr_decay, hour.r1_every, hour.r1_gamma) == (1, 0.5, 16, 0.1)
    for cfg in (best, hour):  # everything else is best_10min's
        cfg.iterations = cfg.tags = None
        cfg.trainer.val_check_interval = cfg.d_steps = cfg.lr_decay = cfg.r1_every = cfg.r1_gamma = None
    assert hour == best


@pytest.mark.parametrize("name", ["best_10min", "best_1h"])
def test_the_conditional_experiments_are_the_best_ones_asking_for_the_digit_with_an_auxiliary_classifier(name):
    plain, conditional = compose_train(f"experiment={name}"), compose_train(f"experiment=conditional_{name}")
    assert conditional.conditional is True and conditional.aux_classifier_weight == 1.0
    assert conditional.tags == [f"conditional_{name}"] and conditional.data.labels is True
    for net in ("generator", "discriminator"):
        assert conditional.model[net].num_classes == 10
    assert conditional.model.discriminator.aux_classifier is True
    for cfg in (plain, conditional):  # everything else is the unconditional experiment's
        cfg.conditional = cfg.aux_classifier_weight = cfg.tags = cfg.data.labels = None
        cfg.model.generator.num_classes = cfg.model.discriminator.num_classes = None
        cfg.model.discriminator.aux_classifier = None
    assert conditional == plain


def test_the_tutorials_best_is_the_tutorial_with_r1_for_45000_iterations():
    tutorial, best = compose_train("experiment=tutorial"), compose_train("experiment=tutorial_mlp_best")
    assert best.train_minutes is None and best.r1_gamma == 10
    assert best.iterations == 45000 and best.trainer.max_epochs == -1 and best.tags == ["tutorial_mlp_best"]
    assert best.trainer.val_check_interval == 5000 and best.trainer.check_val_every_n_epoch is None
    for cfg in (tutorial, best):  # everything else is the tutorial's: its networks, loss and optimizer
        cfg.iterations = cfg.tags = None
        cfg.r1_gamma = cfg.trainer.max_epochs = cfg.trainer.val_check_interval = None
        cfg.trainer.check_val_every_n_epoch = None
    assert best == tutorial


def test_best_experiment_has_the_documented_settings():
    cfg = compose_train("experiment=dcgan_hinge")
    assert cfg.model.generator._target_.endswith("DCGANGenerator") and cfg.model.generator.channels == 64
    assert cfg.model.discriminator.channels == 64 and cfg.loss._target_.endswith("Hinge")
    assert cfg.optimizer.g.lr == cfg.optimizer.d.lr == 4e-4 and list(cfg.optimizer.g.betas) == [
        0.5,
        0.999,
    ]
    assert cfg.ema == 0.999 and cfg.iterations == 5000 and cfg.data.batch_size == 32


@pytest.mark.parametrize(
    "override,refused",
    [
        ("optimizer.g.lr=1e-9", False), ("optimizer.g.lr=0", True), ("optimizer.d.lr=0", True),
        ("d_steps=1", False), ("d_steps=0", True), ("d_steps=1.5", True),
        ("loss=wgan_gp loss.gp_weight=0", False), ("loss=wgan_gp loss.gp_weight=-0.1", True),
        ("ema=null", False), ("ema=0.5", False), ("ema=0", True), ("ema=1", True),
        ("r1_gamma=0", False), ("r1_gamma=-0.1", True),
        ("r1_every=1", False), ("r1_every=16", False), ("r1_every=0", True), ("r1_every=2.5", True),
        ("conditional=true aux_classifier_weight=0.5", False), ("conditional=true aux_classifier_weight=-1", True),
        ("conditional=true aux_classifier_weight=true", True),
        ("aux_classifier_weight=0.5", True),  # the last: no digits to classify
        ("model.generator.latent_dim=1", False), ("model.generator.latent_dim=0", True),
        ("data.batch_size=1", False), ("data.batch_size=true", True), ("data.eval_batch_size=0", True),
        ("data.val_size=0", False), ("data.val_size=-1", True), ("data.val_size=0.5", True),
        ("iterations=null", False), ("iterations=1", False), ("iterations=0", True),
        ("torch_threads=null", False), ("torch_threads=1", False), ("torch_threads=0", True),
        ("compile_mode=null", False), ("compile_mode=max-autotune", False), ("compile_mode=fast", True),
        ("fast_dropout=false", False), ("fast_dropout=yes", True), ("compile=1", True), ("fused_optimizer=off", True),
        ("train_minutes=null", False), ("train_minutes=0.5", False), ("train_minutes=0", True),
        ("train_minutes=true", True),
        ("lr_decay=null", False), ("iterations=10 lr_decay=0.5", False), ("train_minutes=1 lr_decay=0", False),
        ("iterations=10 lr_decay=1", True), ("iterations=10 lr_decay=-0.1", True),
        ("iterations=10 lr_decay=true", True), ("lr_decay=0.5", True),  # the last: no budget to decay over
        ("callbacks.compute_clock=null train_minutes=1 lr_decay=0", True),  # a clock budget without the clock
        ("callbacks.compute_clock=null train_minutes=1", False),
        ("callbacks.compute_clock=null iterations=10 lr_decay=0.5", False),
        ("augment=null", False), ("augment=[translation,cutout,brightness,contrast]", False),
        ("augment=[translation,flip]", True), ("augment=cutout", True),
        ("augment=[cutout] ada_target=0.6", False), ("augment=[cutout] ada_target=-0.5", False),
        ("augment=[cutout] ada_target=1", True), ("augment=[cutout] ada_target=-1", True),
        ("augment=[cutout] ada_target=true", True), ("ada_target=0.6", True),  # the last: nothing to adapt
        ("trainer.max_epochs=-1", False), ("trainer.max_epochs=1", False), ("trainer.max_epochs=0", True),
        ("trainer.max_epochs=-2", True), ("callbacks.sample_grid.rows=0", True), ("callbacks.sample_grid.cols=0", True),
        ("callbacks.checkpoint.every_n_iterations=1", False), ("callbacks.checkpoint.every_n_iterations=0", True),
        ("callbacks.last_checkpoint.every_n_iterations=-5", True),
        ("model.generator.dropout=[0,0,0,0,0,0,0.99]", False), ("model.generator.dropout=[0,0,0,0,0,0,1.0]", True),
        ("model.discriminator.dropout=[0,0,-0.1]", True), ("model.discriminator.dropout=[0,0]", True),
    ],
)  # fmt: skip
def test_each_check_refuses_exactly_the_invalid_values_naming_the_key(override, refused):
    cfg = compose_train(*override.split(" "))
    if not refused:
        check_config(cfg)
        return
    key = override.split(" ")[-1].split("=")[0]
    with pytest.raises(ConfigError, match="^" + key.replace(".", r"\.") + " "):
        check_config(cfg)


def test_an_unknown_augmentation_is_refused_with_the_known_ones_listed():
    with pytest.raises(ConfigError) as refused:
        check_config(compose_train("augment=[translation,flip]"))
    assert str(refused.value) == (
        "augment must be null or a list from translation, cutout, brightness, contrast, e.g. "
        "[translation,cutout]; got ['translation', 'flip']"
    )


@pytest.mark.parametrize("override", ["r1_gamma=1", "loss=wgan_gp"])
def test_compile_is_refused_only_with_a_gradient_penalty(override):
    check_config(compose_train("compile=true"))
    check_config(compose_train(override))
    with pytest.raises(ConfigError, match="^compile=true does not work with gradient penalties"):
        check_config(compose_train(override, "compile=true"))


@pytest.mark.parametrize(
    "args,refused",
    [(["n=1"], False), (["n=0"], True), (["batch_size=0"], True), (["out=x.npz"], True), (["out=a/x.npy"], False)],
)
def test_sample_keys_are_checked_too(args, refused):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("sample", overrides=["ckpt_path=x", *args])
    if refused:
        with pytest.raises(ConfigError, match="^" + args[0].split("=")[0] + " must be"):
            check_config(cfg, "sample")
    else:
        check_config(cfg, "sample")


def test_exports_out_is_a_folder_where_samples_out_is_a_npy_file():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        export, sample = (compose(name, overrides=["ckpt_path=x", "out=generator"]) for name in ("export", "sample"))
    check_config(export, "export")
    with pytest.raises(ConfigError, match="^out must be the name of a .npy file, got 'generator'$"):
        check_config(sample, "sample")


def test_a_value_of_the_wrong_type_is_refused_not_crashed_on():
    with pytest.raises(ConfigError, match=r"^optimizer\.g\.lr must be a positive number, got 'abc'$"):
        check_config(compose_train("optimizer.g.lr=abc"))


def test_the_dropout_check_covers_each_mlp_of_a_mixed_model():
    """A DCGAN generator (no dropout list) must not stop the check of an MLP discriminator after it."""
    mlp_d = ["model.discriminator._target_=gan_lightning.gan.nets.MLPDiscriminator", "~model.discriminator.channels"]
    mlp_lists = ["+model.discriminator.hidden=[8]", "+model.discriminator.dropout=[0.5,0.1]"]
    cfg = compose_train("model=dcgan", *mlp_d, *mlp_lists)
    with pytest.raises(ConfigError, match=r"^model\.discriminator\.dropout needs one value per hidden layer \(1\)"):
        check_config(cfg)


def test_compile_with_a_penalty_says_why_and_what_to_do():
    with pytest.raises(ConfigError) as refused:
        check_config(compose_train("r1_gamma=1", "compile=true"))
    assert str(refused.value) == (
        "compile=true does not work with gradient penalties (wgan_gp, r1_gamma): torch.compile has no double "
        "backward; set compile=false"
    )


def test_user_error_finds_our_error_inside_a_librarys_wrapper():
    ours = ConfigError("model.generator.channels must be a positive integer, got 0")
    try:
        try:
            raise ours
        except ConfigError as err:
            raise RuntimeError("Error in call to target 'gan_lightning.gan.nets.DCGANGenerator'") from err
    except RuntimeError as wrapped:
        assert user_error(wrapped) is ours
    assert user_error(RuntimeError("a bug, not a user error")) is None
    assert user_error(None) is None


def test_project_config_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GAN_LOG_DIR", str(tmp_path / "runs"))
    cfg = project_config()
    assert cfg.paths.data_dir == str(tmp_path / "data") and cfg.paths.cache_dir == str(tmp_path / "cache")
    assert cfg.paths.log_dir == str(tmp_path / "runs")
    monkeypatch.delenv("GAN_LOG_DIR")
    assert project_config().paths.log_dir == str(PROJECT_ROOT / "outputs")
    assert cfg.callbacks.sample_quality.kid_subset_size == 1000


@pytest.mark.parametrize(
    "overrides,optimizer,lr,betas,d_steps",
    [
        (["loss=minimax"], "adam_tutorial", 1e-3, [0.9, 0.999], 1),
        (["loss=nonsaturating"], "adam_tutorial", 1e-3, [0.9, 0.999], 1),
        (["loss=lsgan"], "adam_dcgan", 2e-4, [0.5, 0.999], 1),
        (["loss=hinge"], "adam_dcgan", 2e-4, [0.5, 0.999], 1),
        (["loss=wgan_gp"], "adam_wgan_gp", 1e-4, [0.0, 0.9], 5),
        (["loss=wgan_gp", "optimizer=adam_tutorial"], "adam_tutorial", 1e-3, [0.9, 0.999], 5),  # the command line wins
        (["loss=wgan_gp", "d_steps=2"], "adam_wgan_gp", 1e-4, [0.0, 0.9], 2),
        (["loss=hinge", "optimizer.g.lr=5e-4"], "adam_dcgan", 5e-4, [0.5, 0.999], 1),
    ],
)
def test_each_loss_brings_its_papers_optimizer_unless_told_otherwise(overrides, optimizer, lr, betas, d_steps):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    assert cfg.hydra.runtime.choices.optimizer == optimizer
    assert cfg.optimizer.g.lr == lr and list(cfg.optimizer.g.betas) == betas and cfg.d_steps == d_steps
    assert cfg.optimizer.g._target_ == cfg.optimizer.d._target_ == "torch.optim.Adam" and cfg.optimizer.g.fused


def test_the_documented_defaults():
    cfg = compose_train()
    assert cfg.loss._target_.endswith("NonSaturating") and cfg.model.generator._target_.endswith("MLPGenerator")
    assert cfg.data.batch_size == 32 and cfg.data.val_size == 5000 and cfg.trainer.max_epochs == 8
    assert cfg.iterations is None and cfg.seed == 42 and cfg.ema is None and cfg.r1_gamma == 0
    callbacks = cfg.callbacks
    assert callbacks.checkpoint.every_n_iterations == 2000 and callbacks.last_checkpoint.every_n_iterations == 250
    assert callbacks.sample_grid.every_n_iterations == 500 and cfg.trainer.log_every_n_steps == 50
    assert callbacks.best_checkpoint.monitor == "val/fid" and callbacks.best_checkpoint.mode == "min"
    assert cfg.fused_optimizer and not cfg.compile and cfg.classifier is None


def test_a_resumed_train_run_writes_into_the_run_it_resumes(tmp_path):
    logs, new = tmp_path / "logs", str(tmp_path / "new")
    run = logs / "train" / "runs" / "a"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"")
    (tmp_path / "loose.ckpt").write_bytes(b"")
    (tmp_path / "empty_run").mkdir()
    for value in (str(run), "last", str(run / "checkpoints" / "last.ckpt")):
        assert run_folder(value, "train", str(logs), new) == str(run), value
    assert run_folder(str(tmp_path / "loose.ckpt"), "train", str(logs), new) == new  # not in a run's checkpoints/
    assert run_folder(str(tmp_path / "empty_run"), "train", str(logs), new) == new  # train says what is wrong
    assert run_folder(None, "train", str(logs), new) == new
    assert run_folder(str(run), "evaluate", str(logs), new) == new  # only train continues a run


@pytest.mark.parametrize("path", sorted((CONF_DIR / "experiment").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_single_run_preset_has_an_iteration_or_epoch_budget_and_no_time_budget(path):
    cfg = compose_train(f"experiment={path.stem}")
    assert cfg.train_minutes is None and cfg.callbacks.compute_clock.budget_minutes is None
    assert cfg.iterations or cfg.trainer.max_epochs > 0
