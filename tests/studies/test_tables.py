"""The tables a page and a reproduction share, on hand-made results: rounding, spreads, verdicts."""

import pytest

from gan_lightning.studies.tables import (
    comparison_table,
    differences_table,
    groups_table,
    number,
    provenance,
    runs_table,
)


def results(fids: dict[str, list[float]], saturated: dict[str, list[float]] | None = None) -> dict:
    runs = []
    for group, values in fids.items():
        for seed, fid in enumerate(values, start=1):
            run = {
                "group": group,
                "seed": seed,
                "status": "completed",
                "iterations": 3000,
                "train_minutes": 0.75,
                "wall_minutes": 1.5,
                "metrics": {"val/fid": fid, "test/fid": fid - 3},
            }
            if saturated:
                run["saturation"] = {"saturated_share": saturated[group][seed - 1], "median_g_grad_norm": 0.01}
            runs.append(run)
    machine = {"cpu": "Test CPU", "cores": 2, "gpu": None, "torch": "2.x", "commit": "abc123"}
    return {"command": "python -m gan_lightning.reproduce s", "date": "2026-12-07", "machine": machine, "runs": runs}


@pytest.mark.parametrize(
    "value,shown",
    [(733.4, "733"), (1234.5, "1,234"), (48.46, "48.5"), (2.784, "2.78"), (0.9541, "0.954"), (0.00012, "1.2e-04"),
     (0.0, "0"), (-0.0796, "-0.0796"), (7.0, "7"), (None, "–")],
)  # fmt: skip
def test_numbers_keep_three_significant_digits(value, shown):
    assert number(value) == shown


def test_the_groups_table_holds_each_groups_mean_and_std_over_its_seeds():
    table = groups_table(results({"loss=minimax": [700, 720, 740], "loss=nonsaturating": [480, 500]}))
    lines = table.splitlines()
    assert lines[0] == "| group | runs | iterations | training min | val FID ↓ | test FID ↓ |"
    assert lines[2] == "| `loss=minimax` | 3 | 3,000 | 0.750 ± 0 | 720 ± 20 | 717 ± 20 |"
    assert lines[3] == "| `loss=nonsaturating` | 2 | 3,000 | 0.750 ± 0 | 490 ± 14.1 | 487 ± 14.1 |"


def test_a_clear_difference_is_significant_and_names_the_lower_group():
    table = differences_table(results({"loss=minimax": [700, 720, 740], "loss=nonsaturating": [480, 500, 490]}))
    row = table.splitlines()[2]
    assert row.startswith("| `loss=minimax` | `loss=nonsaturating` | 3 / 3 | 230 | [")
    assert row.endswith("| `loss=nonsaturating` lower (significant at 5 %) |")


def test_an_interval_that_holds_zero_is_not_distinguishable():
    table = differences_table(results({"a": [400, 900, 600], "b": [500, 520, 480]}))
    assert table.splitlines()[2].endswith("| not distinguishable with 3 seeds |")


def test_saturation_columns_appear_where_measured():
    table = runs_table(results({"loss=minimax": [700, 720]}, saturated={"loss=minimax": [0.9, 0.25]}))
    lines = table.splitlines()
    assert lines[0].endswith("| share saturated | median G grad norm |")
    assert lines[2] == "| `loss=minimax` | 1 | 3,000 | 0.750 | 700 | 697 | 0.900 | 0.0100 |"


def test_a_reproduction_agrees_where_the_interval_holds_zero_and_differs_where_not():
    published = results({"g": [100, 104, 102]})
    agreeing = comparison_table(results({"g": [101, 103, 99]}), published).splitlines()
    assert agreeing[2].startswith("| `g` | val FID ↓ | 101 ± 2 | 102 ± 2 | -1 | [-5.53, 3.53] |")
    assert agreeing[2].endswith("| agrees |")
    differing = comparison_table(results({"g": [150, 152, 151]}), published).splitlines()
    assert differing[2].endswith("| differs |")
    assert comparison_table(published, None) == "No published results for this study yet: yours are the first."


def test_provenance_names_the_machine_the_commit_and_the_date():
    line = provenance(results({"g": [1.0, 2.0]}))
    assert line == (
        "2 runs of `python -m gan_lightning.reproduce s` on Test CPU (2 cores, no GPU), torch 2.x, commit abc123, "
        "2026-12-07; the runs' wall-clock minutes add up to 3."
    )
    one = provenance(results({"g": [1.0]}))
    assert one.startswith("1 run of `python -m gan_lightning.reproduce s` on")
    assert one.endswith("2026-12-07; it took 1.50 wall-clock minutes.")
