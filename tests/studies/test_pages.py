"""Results pages: every marked table is what the committed results file renders, so a page cannot drift from
its data; a marker naming an unknown table or a study without a results file is refused by name."""

import json

import pytest

from gan_lightning.studies.catalog import StudyError
from gan_lightning.studies.pages import MARKED, pages, render
from gan_lightning.studies.tables import differences_table, groups_table
from tests.studies.test_tables import results


def test_a_marked_table_is_rendered_from_the_study_results_file(tmp_path):
    data = results({"loss=minimax": [700, 720, 740], "loss=nonsaturating": [480, 500, 490]})
    (tmp_path / "minimax-vs-nonsaturating.json").write_text(json.dumps(data))
    page = "Prose.\n<!-- study: minimax-vs-nonsaturating groups -->\nstale\n<!-- end study -->\nMore prose.\n"
    rendered = render(page, tmp_path)
    expected = f"<!-- study: minimax-vs-nonsaturating groups -->\n{groups_table(data)}\n<!-- end study -->"
    assert rendered == f"Prose.\n{expected}\nMore prose.\n"
    assert render(rendered, tmp_path) == rendered  # rendering a rendered page changes nothing


def test_a_differences_marker_with_an_override_renders_the_pairs_of_groups_that_hold_it(tmp_path):
    data = results({"loss=minimax model=mlp": [700, 720, 740], "loss=hinge model=mlp": [480, 500, 490],
                    "loss=minimax model=dcgan": [600, 650, 700]})  # fmt: skip
    (tmp_path / "losses-x-models.json").write_text(json.dumps(data))
    page = "<!-- study: losses-x-models differences model=mlp -->\n<!-- end study -->\n"
    rows = render(page, tmp_path).splitlines()[3:-1]
    assert [row.split(" | ")[:2] for row in rows] == [["| `loss=minimax model=mlp`", "`loss=hinge model=mlp`"]]
    assert render(page, tmp_path) == page.replace("\n<!--", f"\n{differences_table(data, 'model=mlp')}\n<!--", 1)


@pytest.mark.parametrize(
    "marker,message",
    [("minimax-vs-nonsaturating charts", "a page asks for table 'charts' of minimax-vs-nonsaturating; the tables: "),
     ("default-run groups", "a page shows default-run's tables but "),
     ("no-such-study groups", "no study named 'no-such-study'"),
     ("minimax-vs-nonsaturating groups loss=minimax",
      "a page keeps minimax-vs-nonsaturating's groups table to 'loss=minimax': only differences takes an override"),
     ("minimax-vs-nonsaturating differences model=mlp",
      "a page keeps minimax-vs-nonsaturating's differences to 'model=mlp', which no group of ")],
)  # fmt: skip
def test_a_marker_for_an_unknown_table_or_a_missing_results_file_is_refused_by_name(tmp_path, marker, message):
    (tmp_path / "minimax-vs-nonsaturating.json").write_text(json.dumps(results({"g": [1.0]})))
    with pytest.raises(StudyError, match="^" + message.replace("(", r"\(")):
        render(f"<!-- study: {marker} -->\n<!-- end study -->\n", tmp_path)


def test_every_pages_tables_are_what_its_committed_results_files_render():
    marked = [page for page in pages() if MARKED.search(page.read_text())]
    assert any(page.name == "minimax-vs-nonsaturating.md" for page in marked)
    assert any(page.name == "README.md" for page in marked)
    for page in marked:
        assert render(page.read_text()) == page.read_text(), f"{page}: python -m gan_lightning.reproduce --render-pages"
