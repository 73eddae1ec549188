"""The one layer of value checks: every value a user can set, checked where the config enters.

Entry points call `check_config` before any data is read or model built; the message names the key. The
classes the configs instantiate trust their arguments. It sits above the wings (it knows their vocabulary:
augmentation operations, compile modes), beside the entry points that call it.
"""

from collections.abc import Callable, Iterator
from importlib.util import find_spec

from omegaconf import DictConfig, OmegaConf

from gan_lightning.core.errors import ConfigError
from gan_lightning.gan.augment import OPERATIONS

COMPILE_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_ABSENT = object()
# The optional extras behind two loggers: logger class -> (the package it imports, the extra that installs it).
TRACKING_PACKAGES = {"WandbLogger": ("wandb", "wandb"), "MLFlowLogger": ("mlflow", "mlflow")}


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_integer(value: object) -> bool:
    return _integer(value) and value > 0


# (key, test, what the value must be). Keys that a config does not have are skipped.
_RULES: list[tuple[str, Callable[[object], bool], str]] = [
    ("optimizer.g.lr", lambda v: v > 0, "a positive number"),
    ("optimizer.d.lr", lambda v: v > 0, "a positive number"),
    ("d_steps", _positive_integer, "an integer >= 1"),
    ("loss.gp_weight", lambda v: v >= 0, "a number >= 0"),
    ("ema", lambda v: v is None or 0 < v < 1, "null (off) or a decay between 0 and 1, e.g. 0.999"),
    ("r1_gamma", lambda v: v >= 0, "a number >= 0 (0: no R1 penalty)"),
    ("r1_every", _positive_integer, "an integer >= 1 (1: R1 on every D step)"),
    (
        "aux_classifier_weight",
        lambda v: not isinstance(v, bool) and v >= 0,
        "a number >= 0 (0: no auxiliary classifier)",
    ),
    (
        "ada_target",
        lambda v: v is None or (not isinstance(v, bool) and -1 < v < 1),
        "null (off) or a number in (-1, 1), e.g. 0.6",
    ),
    ("model.generator.latent_dim", _positive_integer, "a positive integer"),
    ("model.generator.channels", _positive_integer, "a positive integer"),
    ("model.discriminator.channels", _positive_integer, "a positive integer"),
    ("data.batch_size", _positive_integer, "a positive integer"),
    ("data.eval_batch_size", _positive_integer, "a positive integer"),
    ("data.val_size", lambda v: _integer(v) and v >= 0, "an integer >= 0"),
    ("iterations", lambda v: v is None or _positive_integer(v), "null or a positive integer"),
    ("train_minutes", lambda v: v is None or (not isinstance(v, bool) and v > 0), "null or a number of minutes > 0"),
    ("lr_decay", lambda v: v is None or (not isinstance(v, bool) and 0 <= v < 1), "null (off) or a fraction in [0, 1)"),
    ("torch_threads", lambda v: v is None or _positive_integer(v), "null (torch's default) or an integer >= 1"),
    *(
        (switch, lambda v: isinstance(v, bool), "true or false")
        for switch in ("fast_dropout", "compile", "fused_optimizer", "conditional")
    ),
    ("compile_mode", lambda v: v in COMPILE_MODES, "one of " + ", ".join(str(m or "null") for m in COMPILE_MODES)),
    ("trainer.max_epochs", lambda v: v is None or (_integer(v) and (v > 0 or v == -1)), "a positive integer or -1"),
    ("callbacks.sample_grid.rows", _positive_integer, "a positive integer"),
    ("callbacks.sample_grid.cols", _positive_integer, "a positive integer"),
]
_DIGIT = ("digit", lambda v: v is None or (_integer(v) and 0 <= v <= 9), "null (a mix) or a digit from 0 to 9")
# Each command's own keys, by the config it reads (a key means one thing per command: `out` is sample's
# .npy file and export's folder).
_COMMAND_RULES: dict[str, list[tuple[str, Callable[[object], bool], str]]] = {
    "sample": [
        ("n", _positive_integer, "a positive integer"),
        ("batch_size", _positive_integer, "a positive integer"),
        ("out", lambda v: str(v).endswith(".npy"), "the name of a .npy file"),
        _DIGIT,
        ("truncation", lambda v: v is None or (not isinstance(v, bool) and v > 0), "null or a radius > 0, e.g. 0.7"),
    ],
    "interpolate": [
        ("n", _positive_integer, "a positive integer"),
        ("steps", lambda v: _integer(v) and v >= 2, "an integer >= 2"),
        ("picture", lambda v: str(v).endswith(".png"), "the name of a .png file"),
        _DIGIT,
        (
            "between",
            lambda v: v is None or (len(v) == 2 and all(_integer(d) and 0 <= d <= 9 for d in v)),
            "null or two digits from 0 to 9, e.g. [3,8]",
        ),
    ],
}


def _rule_errors(cfg: DictConfig, command: str) -> Iterator[str]:
    for key, ok, expected in (*_RULES, *_COMMAND_RULES.get(command, ())):
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is _ABSENT:
            continue
        try:
            if ok(value):
                continue
        except TypeError:  # e.g. a string where a number belongs
            pass
        yield f"{key} must be {expected}, got {value!r}"


def _relation_errors(cfg: DictConfig) -> Iterator[str]:
    """Checks that involve more than one value."""
    for name, node in (cfg.get("callbacks") or {}).items():
        every = (node or {}).get("every_n_iterations", _ABSENT)
        if every is not _ABSENT and not _positive_integer(every):
            yield f"callbacks.{name}.every_n_iterations must be a positive integer, got {every!r}"
    for name, node in (cfg.get("logger") or {}).items():
        package, extra = TRACKING_PACKAGES.get(str((node or {}).get("_target_")).rsplit(".", 1)[-1], (None, None))
        if package and find_spec(package) is None:
            yield f"logger {name} needs the {package} package, which is not installed: pip install -e '.[{extra}]'"
    for net in ("generator", "discriminator"):
        hidden, dropout = (OmegaConf.select(cfg, f"model.{net}.{key}") for key in ("hidden", "dropout"))
        if dropout is None:  # not an MLP
            continue
        if len(hidden) != len(dropout):
            yield f"model.{net}.dropout needs one value per hidden layer ({len(hidden)}), got {len(dropout)}"
        elif not all(0.0 <= p < 1.0 for p in dropout):
            yield f"model.{net}.dropout values must lie in [0, 1), got {list(dropout)}"
    augment = cfg.get("augment")
    if augment is not None:
        if isinstance(augment, str) or not all(name in OPERATIONS for name in augment):
            choices = ", ".join(OPERATIONS)
            yield f"augment must be null or a list from {choices}, e.g. [translation,cutout]; got {augment}"
    if cfg.get("ada_target") is not None and not augment:
        yield "ada_target adapts the augmentation's probability: set augment too, e.g. augment=[translation,cutout]"
    if cfg.get("lr_decay") is not None and cfg.get("iterations") is None and cfg.get("train_minutes") is None:
        yield "lr_decay needs a budget to decay over: set iterations or train_minutes"
    clock_off = "callbacks" in cfg and OmegaConf.select(cfg, "callbacks.compute_clock") is None
    if cfg.get("lr_decay") is not None and cfg.get("train_minutes") is not None and clock_off:
        yield "lr_decay over train_minutes needs the compute clock: callbacks.compute_clock is off"
    if cfg.get("digit") is not None and cfg.get("between") is not None:
        yield "set digit= (walk z at a digit) or between= (walk the digit at fixed z), not both"
    if cfg.get("aux_classifier_weight") and not cfg.get("conditional"):
        yield "aux_classifier_weight trains D to tell the digits apart: it needs conditional=true"
    penalized = OmegaConf.select(cfg, "loss.gp_weight") or cfg.get("r1_gamma")
    if cfg.get("compile") and penalized:
        yield (
            "compile=true does not work with gradient penalties (wgan_gp, r1_gamma): torch.compile has no "
            "double backward; set compile=false"
        )


def check_config(cfg: DictConfig, command: str = "train") -> None:
    """Refuse the first invalid value of `command`'s config (conf/<command>.yaml), naming its key, before any
    data is read or model built."""
    for message in (*_rule_errors(cfg, command), *_relation_errors(cfg)):
        raise ConfigError(message)
