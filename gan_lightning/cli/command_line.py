"""The command line checked before Hydra runs it: `--help`, and what is wrong with it as one line.

Hydra reports a mistyped key with advice to append it (`+trainer.max_epoch=3`, which the Trainer then
rejects), a mistyped option with a page of text, and a missing mandatory key deep in a traceback. Here the
first job is composed as Hydra will compose it, and each such mistake becomes one line that names the fix.
"""

import difflib
import inspect
import re
import sys

from hydra import compose, initialize_config_dir
from hydra._internal.utils import get_args_parser
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, ValueType
from hydra.errors import HydraException, MissingConfigException
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf

from gan_lightning.cli.help import help_page
from gan_lightning.cli.resolvers import register_resolvers
from gan_lightning.core.paths import CONF_DIR

ENUMERABLE_SWEEPS = (ValueType.CHOICE_SWEEP, ValueType.SIMPLE_CHOICE_SWEEP, ValueType.RANGE_SWEEP)
REQUIRED_EXAMPLES = {"ckpt_path": "ckpt_path=last (the newest run's last checkpoint), best, or a run folder"}
# Hydra plugins (by ConfigStore provider) that register a config under a name conf/ also uses, and the fix.
SHADOWING_PLUGINS = {
    "optuna_sweeper": "pip uninstall hydra-optuna-sweeper (the project's own sweeper replaces it; make install "
    "removes it)",
}


def check_command_line(config_name: str, argv: list[str]) -> None:
    """Print the project's help page (exit 0), or exit 1 with one line when the command cannot run."""
    args = get_args_parser().parse_args(argv)  # a bad flag: argparse's usage line, exit status 2, as Hydra's
    if args.help:
        print(help_page(config_name))
        sys.exit(0)
    if args.hydra_help or args.info or args.shell_completion or args.experimental_rerun:
        return
    error = command_line_error(config_name, args.overrides, showing_config=bool(args.cfg))
    if error:
        sys.exit(f"error: {error}")


def command_line_error(config_name: str, overrides: list[str], showing_config: bool) -> str | None:
    """What stops the command's first job from composing or running, in one line; None when nothing does."""
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as err:
        return one_line(str(err))
    first_job = [line for line in map(first_value, parsed) if line is not None]
    try:
        cfg = compose_with_hydra(config_name, first_job)
    except MissingConfigException as err:
        return unknown_option(str(err), parsed) or one_line(str(err))
    except HydraException as err:
        match = re.search(r"Could not override '([^']+)'", str(err))
        if match:
            others = [line for line in first_job if line.split("=")[0] != match.group(1)]
            return unknown_key(config_name, match.group(1), others)
        return shadowed_config(str(err)) or one_line(str(err))
    if showing_config:
        return None  # --cfg shows the config as it is, ??? included
    missing = [key for key, node in flat_nodes(cfg) if not key.startswith("hydra") and node._is_missing()]
    if missing:
        return "; ".join(f"{key} is required: {REQUIRED_EXAMPLES.get(key, f'{key}=...')}" for key in missing)
    return None


def first_value(override: Override) -> str | None:
    """The override as the sweep's first job sees it; None for a search space that a sweeper samples."""
    if not override.is_sweep_override():
        return override.input_line
    if override.value_type not in ENUMERABLE_SWEEPS:
        return None
    return f"{override.get_key_element()}={next(iter(override.sweep_string_iterator()))}"


def compose_with_hydra(config_name: str, overrides: list[str]) -> DictConfig:
    register_resolvers()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name, overrides=overrides, return_hydra_config=True)


def unknown_option(message: str, overrides: list[Override]) -> str | None:
    """`loss=minmax`: the group's options, and the nearest one."""
    match = re.search(r"Could not find '([^']+)/([^'/]+)'", message)
    if not match:
        return None
    group, option = match.groups()
    options = sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))
    if not options:
        return None
    elsewhere = sorted(path.parent.name for path in CONF_DIR.glob(f"*/{option}.yaml"))
    if elsewhere:  # a preset of another group, e.g. a sweep asked for as an experiment
        return f"{group}={option} is not an option of {group}; it is {elsewhere[0]}={option}"
    near = difflib.get_close_matches(option, options, n=1)
    hint = f"; did you mean {group}={near[0]}?" if near else ""
    return f"{group}={option} is not an option of {group}; its options: {', '.join(options)}{hint}"


def shadowed_config(message: str) -> str | None:
    """`hydra/sweeper/optuna` of conf/ registered again by an installed Hydra plugin: Hydra refuses to compose
    the pair, in a paragraph about schema matching that names neither the plugin nor the fix."""
    match = re.search(r"'([^']+)' is validated against ConfigStore schema with the same name", message)
    if not match:
        return None
    path = match.group(1).removesuffix(".yaml")
    provider = ConfigStore.instance().load(f"{path}.yaml").provider
    fix = SHADOWING_PLUGINS.get(provider, f"uninstall the package of the Hydra plugin {provider!r}")
    return f"conf/{path}.yaml is also registered by an installed Hydra plugin, and Hydra refuses the two: {fix}"


def unknown_key(config_name: str, key: str, others: list[str]) -> str:
    """`trainer.max_epoch=3`: the nearest key of the composed config, or how to add a real argument."""
    cfg = compose_with_hydra(config_name, others)
    bare = key.split("@")[0].lstrip("+~")
    parent_key, _, name = bare.rpartition(".")
    parent = OmegaConf.select(cfg, parent_key) if parent_key else cfg
    if isinstance(parent, DictConfig) and "_target_" in parent and accepts(parent._target_, name):
        return f"{bare} is an argument of {parent._target_} that the config does not set: add it as +{bare}=..."
    keys = [path for path, _ in flat_nodes(cfg) if not path.startswith("hydra")]
    groups = sorted(path.name for path in CONF_DIR.iterdir() if path.is_dir())
    near = same_name(bare, keys) or difflib.get_close_matches(bare, keys + groups, n=1, cutoff=0.75)
    hint = f"did you mean {near[0]}?" if near else f"python -m gan_lightning.{config_name} --cfg job lists every key"
    return f"{bare} is not a key of the config: {hint}"


def same_name(key: str, keys: list[str]) -> list[str]:
    """`optimizer.d_steps`: the shortest key of the same name elsewhere in the tree (`d_steps`), if any."""
    name = key.rpartition(".")[2]
    return sorted((path for path in keys if path.rpartition(".")[2] == name), key=len)[:1]


def accepts(target: str, name: str) -> bool:
    try:
        return name in inspect.signature(get_object(target)).parameters
    except Exception:  # an unimportable target: no advice rather than a crash
        return False


def flat_nodes(config: DictConfig, prefix: str = "") -> list[tuple[str, object]]:
    """Every key's dotted path and node, resolving nothing (interpolations into the Hydra run stay as they are)."""
    nodes = []
    for key in config.keys():
        node = config._get_node(key)
        path = f"{prefix}{key}"
        nodes.append((path, node))
        if isinstance(node, DictConfig):
            nodes += flat_nodes(node, f"{path}.")
    return nodes


def one_line(message: str) -> str:
    return " ".join(message.split())
