"""The run's composed config as a tree: printed when a run starts and written to its folder (config_tree.log)."""

from pathlib import Path

import rich.syntax
import rich.tree
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

FIRST = ("data", "model", "loss", "optimizer", "trainer", "callbacks", "logger", "paths")


def config_tree(cfg: DictConfig) -> rich.tree.Tree:
    """One branch per group (the groups users choose first), then the top-level keys."""
    tree = rich.tree.Tree("config", style="bold", guide_style="dim")
    groups = [key for key in FIRST if key in cfg] + [key for key in cfg if key not in FIRST]
    for key in groups:
        node = cfg[key]
        text = OmegaConf.to_yaml(node, resolve=False) if isinstance(node, DictConfig) else str(node)
        tree.add(key, style="bold").add(rich.syntax.Syntax(text, "yaml", theme="ansi_dark"))
    return tree


def show_config(cfg: DictConfig, folder: Path) -> None:
    """Print the tree on the console and keep it, without colours, in folder/config_tree.log."""
    tree = config_tree(cfg)
    Console().print(tree)
    with open(folder / "config_tree.log", "w") as file:
        Console(file=file, color_system=None, width=120).print(tree)
