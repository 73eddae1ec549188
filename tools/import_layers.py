"""The package's import rules, checked over the source with `ast` (tests/project/test_import_layers.py runs it in CI):

    python tools/import_layers.py        # prints every violation; exit status 1 if there is one

Layers, top to bottom: the entry points (modules at the top of gan_lightning/, and hydra_plugins/) > runs (a
training run's machinery) > callbacks, studies (reproduce's) > the wings gan / quality / sweeps > the support
data / cli / artifacts / loggers > the base, core (errors, paths, iterations, curves). An import goes down or
stays in its own layer; the wings do not import each other; no module reaches itself through a chain of
imports (a circle), counting the imports inside functions too.
"""

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gan_lightning", "hydra_plugins")
WINGS = ("gan", "quality", "sweeps")
SUPPORT = ("data", "cli", "artifacts", "loggers")
# studies/ composes the wings (sweeps' jobs and statistics) into results pages: above them, beside callbacks.
RANK = {"core": 0, **dict.fromkeys(SUPPORT, 1), **dict.fromkeys(WINGS, 2), "callbacks": 3, "studies": 3, "runs": 4}
RANK["entry"] = 5


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))}


def imported(path: Path, name: str, known: set[str]) -> Iterator[str]:
    """The project modules that the module `name` (file `path`) imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .a import b
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from package import module` imports the module; `from module import name` the module itself.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        yield from (target for target in targets if target in known and target != name)


def layer(name: str) -> str:
    parts = name.split(".")
    if parts[0] != "gan_lightning" or len(parts) == 2 and parts[1] not in RANK:
        return "entry"  # hydra_plugins and the modules at the top of gan_lightning/
    return parts[1] if len(parts) > 1 else "entry"


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    return {name: set(imported(path, name, set(modules))) for name, path in modules.items()}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            mine, theirs = layer(source), layer(target)
            if RANK[theirs] > RANK[mine]:
                found.append(f"{source} ({mine}) imports {target} ({theirs}), a layer above it")
            elif mine in WINGS and theirs in WINGS and mine != theirs:
                found.append(f"{source} imports {target}: the wings {mine} and {theirs} do not import each other")
    return found


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def violations(root: Path = ROOT) -> list[str]:
    edges = graph(root)
    return upward_imports(edges) + [f"import circle: {' <-> '.join(group)}" for group in circles(edges)]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    found = violations()
    print("\n".join(found) or "imports: no circle, no upward import")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
