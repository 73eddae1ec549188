"""The package's architecture holds: no import circle, no import from a lower layer into a higher one
(tools/import_layers.py), and the checker itself catches both."""

import sys

from tests.helpers import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "tools"))
import import_layers  # noqa: E402


def test_no_import_circle_and_no_upward_import():
    assert import_layers.violations() == []


def test_the_layers_are_the_documented_ones():
    layer = import_layers.layer
    wings = ("gan_lightning.core.paths", "gan_lightning.gan.module", "gan_lightning.quality.prdc")
    assert [layer(m) for m in wings] == ["core", "gan", "quality"]
    assert layer("gan_lightning.callbacks.sample_grid") == "callbacks"
    assert layer("gan_lightning.runs.assembly") == "runs"
    support = ("gan_lightning.data.mnist", "gan_lightning.cli.entry", "gan_lightning.artifacts.checkpoints")
    assert [layer(m) for m in support] == ["data", "cli", "artifacts"]
    assert {layer(m) for m in ("gan_lightning.train", "gan_lightning.checks", "hydra_plugins.x.y")} == {"entry"}
    edges = import_layers.graph()
    assert "gan_lightning.runs.assembly" in edges["gan_lightning.train"]  # the graph does see the real imports
    assert "gan_lightning.core.curves" in edges["gan_lightning.gan.module"]  # `from package import module`


def write(root, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checker_finds_a_circle_an_upward_import_and_wings_importing_each_other(tmp_path):
    for package in ("gan_lightning", "gan_lightning/core", "gan_lightning/gan", "gan_lightning/quality"):
        write(tmp_path, f"{package}/__init__.py", "")
    write(tmp_path, "gan_lightning/core/a.py", "def f():\n    from gan_lightning.core import b\n")  # inside a function
    write(tmp_path, "gan_lightning/core/b.py", "from gan_lightning.core.a import f\n")
    write(tmp_path, "gan_lightning/core/c.py", "import gan_lightning.gan.nets\n")
    write(tmp_path, "gan_lightning/gan/nets.py", "from gan_lightning.quality import metrics\n")
    write(tmp_path, "gan_lightning/quality/metrics.py", "from gan_lightning.core.b import f\n")
    write(tmp_path, "hydra_plugins/p.py", "from gan_lightning.gan.nets import x\n")  # the top may import anything
    assert import_layers.violations(tmp_path) == [
        "gan_lightning.core.c (core) imports gan_lightning.gan.nets (gan), a layer above it",
        "gan_lightning.gan.nets imports gan_lightning.quality.metrics: the wings gan and quality do not import each "
        "other",
        "import circle: gan_lightning.core.a <-> gan_lightning.core.b",
    ]
