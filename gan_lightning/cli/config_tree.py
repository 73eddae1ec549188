"""The run's composed config as a tree: printed when a run starts and written to its folder (config_tree.log)."""

from pathlib import Path

import rich.syntax
import rich.tree
import yaml
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console

from gan_lightning.cli.help import chosen_groups
from gan_lightning.core.paths import CONF_DIR

FIRST = ("data", "model", "loss", "optimizer", "trainer", "callbacks", "logger", "paths")
WIRING = ("gan",)  # nodes that only point at others: shown as their references, not repeated resolved


def overridden_groups(group: str, option: str) -> set[str]:
    """The groups an option file chooses (`override /optimizer@...: adam_wgan_gp` in loss/wgan_gp)."""
    path = CONF_DIR / group / f"{option}.yaml"
    entries = yaml.safe_load(path.read_text()).get("defaults", []) if path.exists() else []
    keys = [key for entry in entries if isinstance(entry, dict) for key in entry]
    found = {key.split()[1].lstrip("/").split("@")[0] for key in keys if key.startswith("override /")}
    for parent in (entry for entry in entries if isinstance(entry, str) and entry != "_self_"):
        found |= overridden_groups(group, parent)  # an option built on another of its group (best_10min)
    return found


def choices(task_name: str) -> list[str]:
    """`group: option` for each group, and what chose it when the command line did not (the optimizer that
    loss=wgan_gp brings, the model an experiment picks)."""
    if not HydraConfig.initialized():
        return []
    hydra = HydraConfig.get()
    chosen = hydra.runtime.choices
    typed = {line.split("=")[0].lstrip("+~") for line in hydra.overrides.task}
    groups = chosen_groups(task_name)
    lines = []
    for group in groups:
        # The defaults list applies later groups last: the last one that overrides this group set it.
        setters = [g for g in groups if chosen.get(g) and group in overridden_groups(g, chosen[g])]
        note = f"  # chosen by {setters[-1]}={chosen[setters[-1]]}" if setters and group not in typed else ""
        lines.append(f"{group}: {chosen.get(group)}{note}")
    return lines


def as_yaml(node: DictConfig, resolve: bool) -> str:
    try:
        return OmegaConf.to_yaml(node, resolve=resolve)
    except OmegaConfBaseException:  # a value only the run's own code fills in: show the reference
        return OmegaConf.to_yaml(node, resolve=False)


def config_tree(cfg: DictConfig) -> rich.tree.Tree:
    """The group choices, one branch per group (the groups users choose first, values resolved), then the
    top-level keys."""
    tree = rich.tree.Tree("config", style="bold", guide_style="dim")
    chosen = choices(cfg.get("task_name", ""))
    if chosen:
        tree.add("choices", style="bold").add(rich.syntax.Syntax("\n".join(chosen), "yaml", theme="ansi_dark"))
    groups = [key for key in FIRST if key in cfg] + [key for key in cfg if key not in FIRST]
    for key in groups:
        node = cfg._get_node(key)
        text = as_yaml(node, resolve=key not in WIRING) if isinstance(node, DictConfig) else str(cfg[key])
        tree.add(key, style="bold").add(rich.syntax.Syntax(text, "yaml", theme="ansi_dark"))
    return tree


def show_config(cfg: DictConfig, folder: Path) -> None:
    """Print the tree on the console and keep it, without colours, in folder/config_tree.log."""
    tree = config_tree(cfg)
    Console().print(tree)
    with open(folder / "config_tree.log", "w") as file:
        Console(file=file, color_system=None, width=120).print(tree)
