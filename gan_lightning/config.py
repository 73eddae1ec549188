"""Config helpers: the resolvers the YAML files use and the checks that run before anything is built."""

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities.exceptions import SIGTERMException

from gan_lightning.errors import ConfigError, GANError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = PROJECT_ROOT / "conf"
OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT), replace=True)

_ABSENT = object()
COMPILE_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")

# (key, test, what the value must be). Keys that a config does not have are skipped.
_RULES: list[tuple[str, Callable[[object], bool], str]] = [
    ("loss.g_optimizer.lr", lambda v: v > 0, "a positive number"),
    ("loss.d_optimizer.lr", lambda v: v > 0, "a positive number"),
    ("loss.d_steps", lambda v: isinstance(v, int) and v >= 1, "an integer >= 1"),
    ("loss.objective.gp_weight", lambda v: v >= 0, "a number >= 0"),
    ("ema", lambda v: v is None or 0 < v < 1, "null (off) or a decay between 0 and 1, e.g. 0.999"),
    ("r1_gamma", lambda v: v >= 0, "a number >= 0 (0: no R1 penalty)"),
    ("data.batch_size", lambda v: isinstance(v, int) and v > 0, "a positive integer"),
    ("data.eval_batch_size", lambda v: isinstance(v, int) and v > 0, "a positive integer"),
    ("iterations", lambda v: v is None or (isinstance(v, int) and v > 0), "null or a positive integer"),
    (
        "torch_threads",
        lambda v: v is None or (isinstance(v, int) and v >= 1),
        "null (torch's default) or an integer >= 1",
    ),
    (
        "compile_mode",
        lambda v: v in COMPILE_MODES,
        "one of " + ", ".join(map(str, COMPILE_MODES)).replace("None", "null"),
    ),
    (
        "trainer.max_epochs",
        lambda v: v is None or (isinstance(v, int) and (v > 0 or v == -1)),
        "a positive integer or -1",
    ),
]


def project_paths() -> DictConfig:
    """The `paths` node of the train config (data, outputs, cache), for commands outside a Hydra run."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("train").paths


def check_config(cfg: DictConfig) -> None:
    """Refuse invalid values before any data is read or model built, naming the key."""
    for key, ok, expected in _RULES:
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is _ABSENT:
            continue
        try:
            valid = ok(value)
        except TypeError:
            valid = False
        if not valid:
            raise ConfigError(f"{key} must be {expected}, got {value!r}")


def exit_on_user_error(entry: Callable) -> Callable:
    """Turn a GANError into one line on stderr and exit status 1, instead of a library traceback."""

    @functools.wraps(entry)
    def wrapper(*args, **kwargs):
        try:
            return entry(*args, **kwargs)
        except SIGTERMException:
            sys.exit("stopped by SIGTERM; the checkpoint saved on the way out is logged above")
        except Exception as raised:
            err = user_error(raised)
            if err is None:
                raise
            log.error("%s", err)
            if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
                raise err from None  # Hydra marks this job failed and runs the others
            sys.exit(f"error: {err}")

    return wrapper


def user_error(err: BaseException | None) -> GANError | None:
    """The GANError behind err: err itself, or the cause that hydra.utils.instantiate wrapped it in."""
    while err is not None:
        if isinstance(err, GANError):
            return err
        err = err.__cause__
    return None
