"""Results pages whose tables come from committed results files (docs/results/data/<study>.json).

A page marks each generated table:

    <!-- study: minimax-vs-nonsaturating groups -->
    (the table, written by `python -m gan_lightning.reproduce --render-pages`)
    <!-- end study -->

Prose around the markers stays hand-written; the tables between them are rendered by studies/tables.py, the
code that renders a reproduction, so that a page and a rerun cannot disagree in layout or rounding.
"""

import re
from pathlib import Path

from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.studies.catalog import StudyError, find_study
from gan_lightning.studies.results import read_results
from gan_lightning.studies.tables import TABLES

RESULTS_DIR = PROJECT_ROOT / "docs" / "results"
DATA_DIR = RESULTS_DIR / "data"
MARKED = re.compile(r"(<!-- study: ([\w-]+) (\w+) -->\n)(.*?)(<!-- end study -->)", re.DOTALL)


def published_file(study: str) -> Path:
    return DATA_DIR / f"{study}.json"


def published(study: str) -> dict | None:
    path = published_file(study)
    return read_results(path) if path.exists() else None


def render(text: str, data_dir: Path = DATA_DIR) -> str:
    """The page with every marked table rendered from its study's committed results file."""

    def table(match: re.Match) -> str:
        opening, study, name, _, closing = match.groups()
        find_study(study)
        if name not in TABLES:
            raise StudyError(f"a page asks for table {name!r} of {study}; the tables: {', '.join(TABLES)}")
        path = data_dir / f"{study}.json"
        if not path.exists():
            raise StudyError(f"a page shows {study}'s tables but {path} does not exist: run reproduce {study}")
        return f"{opening}{TABLES[name](read_results(path))}\n{closing}"

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
