"""`python -m gan_lightning.<command> --help`: what the command does, its groups and keys, examples.

Everything is read from the files themselves (the module docstrings, the YAML comments), so the page cannot
fall behind them; the full composed config stays with `--cfg job`.
"""

import ast
import re
from pathlib import Path

import yaml

from gan_lightning.core.paths import CONF_DIR, PROJECT_ROOT

PACKAGE_DIR = PROJECT_ROOT / "gan_lightning"
MAIN_GUARD = re.compile(r'^if __name__ == "__main__":', re.MULTILINE)


def commands() -> dict[str, bool]:
    """Every command (a module of the package run with `python -m`) and whether it is a Hydra command (one
    with its own conf/<command>.yaml). Found in the files, so a new command is listed without registering."""
    found = sorted(path.stem for path in PACKAGE_DIR.glob("*.py") if MAIN_GUARD.search(path.read_text()))
    return {name: (CONF_DIR / f"{name}.yaml").is_file() for name in found}


def docstring(command: str) -> str:
    """The command's module docstring (read, not imported)."""
    source = (PACKAGE_DIR / f"{command}.py").read_text()
    return ast.get_docstring(ast.parse(source)) or command


def summary(command: str) -> str:
    """The first line of the command's module docstring."""
    return docstring(command).splitlines()[0]


def examples(command: str) -> list[str]:
    """The command lines under `Examples:` in the command's docstring."""
    section = docstring(command).partition("Examples:\n")[2]
    return [line.strip() for line in section.splitlines() if line.strip().startswith("python -m ")]


WIDTH = 100  # characters of a description


def one_line_description(lines: list[str]) -> str:
    """A comment block as one line, cut to WIDTH characters."""
    text = " ".join(line.lstrip("# ").strip() for line in lines)
    return text if len(text) <= WIDTH else text[: WIDTH - 3].rsplit(" ", 1)[0] + "..."


def first_comment(path: Path) -> str:
    """What an option is: its file's leading comment (`@package` lines skipped)."""
    lines = path.read_text().splitlines()
    block = [line for line in lines if "@package" not in line]
    leading = block[: next((i for i, line in enumerate(block) if not line.startswith("#")), len(block))]
    return one_line_description(leading)


def key_comments(path: Path) -> dict[str, str]:
    """Top-level keys of a YAML file with the comment block above each."""
    described, block = {}, []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            block.append(line)
            continue
        match = re.match(r"^(\w+):", line)
        if match and match.group(1) not in ("defaults", "hydra"):
            described[match.group(1)] = one_line_description(block)
        block = []
    return described


def chosen_groups(config_name: str) -> dict[str, str | None]:
    """The groups in a config's defaults list with their default option (hydra/... and _self_ left out)."""
    groups = {}
    for entry in yaml.safe_load((CONF_DIR / f"{config_name}.yaml").read_text()).get("defaults", []):
        if isinstance(entry, dict):
            (group, option), *_ = entry.items()
            if not group.startswith(("override", "hydra")):
                groups[group] = option
    return groups


def group_lines(group: str, default: str) -> list[str]:
    lines = [f"  {group}  (default: {default})"]
    for path in sorted((CONF_DIR / group).glob("*.yaml")):
        lines.append(f"    {path.stem:<26}{first_comment(path)}")
    return lines


def help_page(config_name: str) -> str:
    command = f"python -m gan_lightning.{config_name}"
    lines = [f"{command} [group=option ...] [key=value ...]", "", summary(config_name), ""]
    groups = chosen_groups(config_name)
    if groups:
        lines.append("Groups (group=option):")
        for group, default in groups.items():
            lines += group_lines(group, default or "none")
        if config_name == "train":
            lines += group_lines("hydra/launcher", "one job after another; with -m")
        lines.append("")
    lines.append("Keys (key=value):")
    keys = key_comments(CONF_DIR / f"{config_name}.yaml")
    width = max(20, *(len(key) + 2 for key in keys))  # every description starts in one column
    lines += [f"  {key:<{width}}{text}" for key, text in keys.items()]
    lines += ["", "Examples:", *(f"  {example}" for example in examples(config_name)), ""]
    others = [name for name in commands() if name != config_name]
    lines.append("Other commands (each answers --help): " + ", ".join(f"gan_lightning.{name}" for name in others))
    lines.append(f"The full composed config: {command} --cfg job [overrides]; Hydra's own flags: --hydra-help")
    return "\n".join(lines)
