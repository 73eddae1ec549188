"""Results pages whose tables come from committed results files (docs/results/data/<study>.json).

A page marks each generated table:

    <!-- study: minimax-vs-nonsaturating groups -->
    (the table, written by `python -m gan_lightning.reproduce --render-pages`)
    <!-- end study -->

A differences table may keep to the groups with one override, so that a study of losses x models compares
the losses on each model: `<!-- study: losses-x-models differences model=mlp -->`.

Prose around the markers stays hand-written; the tables between them are rendered by studies/tables.py, the
code that renders a reproduction, so that a page and a rerun cannot disagree in layout or rounding.
"""

import re
from pathlib import Path

from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.studies.catalog import StudyError, find_study
from gan_lightning.studies.results import read_results
from gan_lightning.studies.tables import TABLES, differences_table

RESULTS_DIR = PROJECT_ROOT / "docs" / "results"
DATA_DIR = RESULTS_DIR / "data"
MARKED = re.compile(r"(<!-- study: ([\w-]+) (\w+)(?: (\S+))? -->\n)(.*?)(<!-- end study -->)", re.DOTALL)


def published_file(study: str) -> Path:
    return DATA_DIR / f"{study}.json"


def published(study: str) -> dict | None:
    path = published_file(study)
    return read_results(path) if path.exists() else None


def render(text: str, data_dir: Path = DATA_DIR) -> str:
    """The page with every marked table rendered from its study's committed results file."""

    def table(match: re.Match) -> str:
        opening, study, name, within, _, closing = match.groups()
        find_study(study)
        if name not in TABLES:
            raise StudyError(f"a page asks for table {name!r} of {study}; the tables: {', '.join(TABLES)}")
        if within and name != "differences":
            raise StudyError(f"a page keeps {study}'s {name} table to {within!r}: only differences takes an override")
        path = data_dir / f"{study}.json"
        if not path.exists():
            raise StudyError(f"a page shows {study}'s tables but {path} does not exist: run reproduce {study}")
        results = read_results(path)
        if not within:
            return f"{opening}{TABLES[name](results)}\n{closing}"
        if not any(within in run["group"].split() for run in results["runs"]):
            raise StudyError(f"a page keeps {study}'s differences to {within!r}, which no group of {path} has")
        return f"{opening}{differences_table(results, within)}\n{closing}"

    return MARKED.sub(table, text)


def pages() -> list[Path]:
    return [PROJECT_ROOT / "README.md", *sorted(RESULTS_DIR.glob("*.md"))]


def render_pages() -> list[Path]:
    """Rewrite every page's marked tables from the committed results files; the pages that changed."""
    changed = []
    for page in pages():
        text = page.read_text()
        rendered = render(text)
        if rendered != text:
            page.write_text(rendered)
            changed.append(page)
    return changed
