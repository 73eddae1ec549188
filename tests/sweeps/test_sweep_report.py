"""The sweep summary on a sweep folder written by hand: statuses, groups and their statistics are exact."""

import csv
import json
import logging
import sys
from pathlib import Path

import pytest
import scipy.stats
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig

from gan_lightning.core.curves import tag as curve
from gan_lightning.core.paths import CONF_DIR
from gan_lightning.sweep_report import main
from gan_lightning.sweeps.jobs import read_jobs
from gan_lightning.sweeps.plots import fid_against_compute
from gan_lightning.sweeps.report import SweepSummaryCallback, write_summary
from gan_lightning.sweeps.statistics import comparisons, group_stats, verdict, welch_interval

FIDS = {"0": 400.0, "1": 300.0, "2": 100.0, "3": 140.0}


def job(sweep: Path, number: str, overrides: list[str], metrics: dict | None = None, failed: str = "") -> None:
    folder = sweep / number
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if metrics is not None:
        result = {"iterations": 20, "wall_time_s": 1.5, "classifier_hash": "x", "metrics": metrics}
        (folder / "metrics.json").write_text(json.dumps(result))
    if failed:
        (folder / "FAILED").write_text(failed + "\n")


@pytest.fixture
def sweep(tmp_path) -> Path:
    shared = ["iterations=20"]
    for number, loss, seed in (("0", "minimax", 1), ("1", "minimax", 2), ("2", "nonsaturating", 1)):
        metrics = {"val/fid": FIDS[number], "val/kid": FIDS[number] / 10, "test/d_real_acc": 0.5}
        job(tmp_path, number, [*shared, f"loss={loss}", f"seed={seed}"], metrics)
    job(tmp_path, "3", [*shared, "loss=nonsaturating", "seed=2"], failed="NonFiniteLossError: d_loss | nan")
    job(tmp_path, "10", [*shared, "loss=hinge", "seed=1"])  # still running: no result yet
    return tmp_path


def test_jobs_are_read_in_order_with_their_status_and_what_sets_them_apart(sweep):
    jobs = read_jobs(sweep)
    assert [j.folder.name for j in jobs] == ["0", "1", "2", "3", "10"]  # numeric order, not "10" before "2"
    assert [j.status for j in jobs] == ["completed", "completed", "completed", "failed", "running"]
    assert jobs[0].varying == ["loss=minimax", "seed=1"]  # iterations=20 is shared, so not listed
    assert [j.group for j in jobs] == ["loss=minimax", "loss=minimax", "loss=nonsaturating", "loss=nonsaturating",
                                       "loss=hinge"]  # fmt: skip
    assert jobs[3].error == "NonFiniteLossError: d_loss | nan" and jobs[0].iterations == 20
    assert jobs[0].wall_time_s == 1.5 and jobs[1].metrics["val/fid"] == 300.0


def test_groups_take_the_mean_and_sample_std_of_their_completed_runs(sweep):
    stats = group_stats(read_jobs(sweep), ["val/fid", "val/kid", "test/fid"])
    assert stats["loss=minimax"]["val/fid"] == (350.0, pytest.approx(70.71067811865476), 2)  # std of 400, 300
    assert stats["loss=minimax"]["val/kid"] == (35.0, pytest.approx(7.071067811865476), 2)
    assert stats["loss=nonsaturating"]["val/fid"] == (100.0, 0.0, 1)  # the failed seed does not count
    assert "test/fid" not in stats["loss=minimax"] and stats["loss=hinge"] == {}


def test_a_sweep_of_one_job_groups_it_as_all_jobs(tmp_path):
    job(tmp_path, "0", ["loss=minimax"], {"val/fid": 5.0})
    (only,) = read_jobs(tmp_path)
    assert only.varying == ["loss=minimax"] and only.group == "loss=minimax"
    job(tmp_path / "seeds", "0", ["seed=1"], {"val/fid": 5.0})
    assert read_jobs(tmp_path / "seeds")[0].group == "(all jobs)"


def test_the_written_tables_hold_every_job_and_the_group_statistics(sweep):
    write_summary(sweep)
    with open(sweep / "summary.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["job"] for row in rows] == ["0", "1", "2", "3", "10"]
    assert rows[0]["overrides"] == "iterations=20 loss=minimax seed=1" and float(rows[0]["val/fid"]) == 400.0
    assert rows[3]["status"] == "failed" and rows[3]["val/fid"] == "" and rows[4]["status"] == "running"
    markdown = (sweep / "summary.md").read_text()
    assert (
        "| 3 | loss=nonsaturating | loss=nonsaturating seed=2 | failed | NonFiniteLossError: d_loss / nan |" in markdown
    )
    assert "| loss=minimax | 2 | 350 ± 71 | 35 ± 7.1 | 0.5 ± 0 |" in markdown
    assert "| loss=nonsaturating | 1 | 100 ± 0 | 10 ± 0 | 0.5 ± 0 |" in markdown
    assert "| loss=hinge | 0 |  |  |  |" in markdown
    assert (sweep / "curves.png").stat().st_size > 0


EXPECTED_MARKDOWN = """# Sweep {sweep}

## Jobs (overrides that differ between jobs)

| job | group | overrides | status | error | iterations | wall_time_s | val/fid | val/kid | test/d_real_acc |
|---|---|---|---|---|---|---|---|---|---|
| 0 | loss=minimax | loss=minimax seed=1 | completed |  | 20 | 1.5 | 400 | 40 | 0.5 |
| 1 | loss=minimax | loss=minimax seed=2 | completed |  | 20 | 1.5 | 300 | 30 | 0.5 |
| 2 | loss=nonsaturating | loss=nonsaturating seed=1 | completed |  | 20 | 1.5 | 100 | 10 | 0.5 |
| 3 | loss=nonsaturating | loss=nonsaturating seed=2 | failed | NonFiniteLossError: d_loss / nan |  |  |  |  |  |
| 10 | loss=hinge | loss=hinge seed=1 | running |  |  |  |  |  |  |

## Groups (mean ± std over seeds)

| group | runs | val/fid | val/kid | test/d_real_acc |
|---|---|---|---|---|
| loss=minimax | 2 | 350 ± 71 | 35 ± 7.1 | 0.5 ± 0 |
| loss=nonsaturating | 1 | 100 ± 0 | 10 ± 0 | 0.5 ± 0 |
| loss=hinge | 0 |  |  |  |

## Differences in mean val/fid (95 % Welch confidence interval)

1 pair of groups differs in one override, but no pair has 2 completed runs on each side: add seeds.
"""

EXPECTED_CSV = [
    "job,group,overrides,status,error,iterations,wall_time_s,val/fid,val/kid,test/d_real_acc",
    "0,loss=minimax,iterations=20 loss=minimax seed=1,completed,,20,1.5,400.0,40.0,0.5",
    "1,loss=minimax,iterations=20 loss=minimax seed=2,completed,,20,1.5,300.0,30.0,0.5",
    "2,loss=nonsaturating,iterations=20 loss=nonsaturating seed=1,completed,,20,1.5,100.0,10.0,0.5",
    "3,loss=nonsaturating,iterations=20 loss=nonsaturating seed=2,failed,NonFiniteLossError: d_loss | nan,,,,,",
    "10,loss=hinge,iterations=20 loss=hinge seed=1,running,,,,,,",
]


def test_summary_files_are_exactly_the_documented_tables(sweep):
    """Other tools and people read these files: their text is fixed to the letter (metrics in METRICS order)."""
    write_summary(sweep)
    assert (sweep / "summary.md").read_text() == EXPECTED_MARKDOWN.format(sweep=sweep)
    assert (sweep / "summary.csv").read_bytes().decode().split("\r\n") == [*EXPECTED_CSV, ""]


def test_a_long_error_is_cut_to_200_characters_in_the_markdown_table(tmp_path):
    job(tmp_path, "0", ["seed=1"], failed="E" * 300)
    job(tmp_path, "1", ["seed=2"], {"val/fid": 1.0})
    write_summary(tmp_path)
    (row,) = [line for line in (tmp_path / "summary.md").read_text().splitlines() if line.startswith("| 0 |")]
    assert f"| failed | {'E' * 200} |" in row


def test_an_override_shared_by_both_jobs_of_a_two_job_sweep_is_not_what_sets_them_apart(tmp_path):
    job(tmp_path, "0", ["iterations=20", "seed=1"], {"val/fid": 1.0})
    job(tmp_path, "1", ["iterations=20", "seed=2"], {"val/fid": 2.0})
    assert [j.varying for j in read_jobs(tmp_path)] == [["seed=1"], ["seed=2"]]


def test_every_jobs_final_grid_lands_in_one_picture(sweep):
    import matplotlib.pyplot as plt
    import numpy as np

    grid = sweep / "0" / "samples" / "final.png"
    grid.parent.mkdir()
    plt.imsave(grid, np.zeros((10, 10)), cmap="gray")
    write_summary(sweep)
    assert (sweep / "samples.png").stat().st_size > 0


def test_the_command_prints_the_summary_and_says_what_it_wrote(sweep, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sweep_report", str(sweep)])
    main()
    out = capsys.readouterr().out
    assert out.startswith(EXPECTED_MARKDOWN.format(sweep=sweep))
    assert out.endswith(f"5 jobs; wrote summary.csv, summary.md, curves.png and samples.png in {sweep}\n")


@pytest.mark.parametrize("args", [[], ["not/a/folder"], ["a", "b"]])
def test_the_command_explains_its_usage(args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sweep_report", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2 and capsys.readouterr().err.startswith("usage: sweep_report [-h] folder")


def hydra_job_config(sweep: Path, mode: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"hydra.sweep.dir={sweep}", f"hydra.mode={mode}"], return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    return cfg


def test_the_hydra_callback_rewrites_the_summary_after_each_multirun_job(sweep, caplog):
    try:
        with caplog.at_level(logging.INFO):
            SweepSummaryCallback().on_job_end(hydra_job_config(sweep, "MULTIRUN"), job_return=None)
        assert (sweep / "summary.md").read_text() == EXPECTED_MARKDOWN.format(sweep=sweep)
        assert f"Sweep summary (5 jobs): {sweep / 'summary.md'}" in caplog.messages
        (sweep / "summary.md").unlink()
        SweepSummaryCallback().on_job_end(hydra_job_config(sweep, "RUN"), job_return=None)
        assert not (sweep / "summary.md").exists()  # a single run has no sweep to summarize
        missing = sweep / "gone"
        with caplog.at_level(logging.WARNING):  # a summary problem must not fail the job it follows
            SweepSummaryCallback().on_job_end(hydra_job_config(missing, "MULTIRUN"), job_return=None)
        assert caplog.messages[-1].startswith("Could not write the sweep summary: [Errno 2] No such file")
    finally:
        HydraConfig.instance().cfg = None


def test_an_error_of_several_lines_stays_on_its_row(tmp_path):
    job(tmp_path, "0", ["seed=1"], failed="InstantiationException: Error locating target 'x'\nfull_key: callbacks.y")
    job(tmp_path, "1", ["seed=2"], {"val/fid": 1.0})
    write_summary(tmp_path)
    rows = [line for line in (tmp_path / "summary.md").read_text().splitlines() if line.startswith("| 0 |")]
    assert rows == [
        "| 0 | (all jobs) | seed=1 | failed | InstantiationException: Error locating target 'x' full_key: callbacks.y |"
        "  |  |  |"
    ]


def test_welch_interval_matches_the_worked_example_and_scipys_test():
    # a = 1, 2, 3 and b = 4, 5, 6: difference -3, standard error sqrt(1/3 + 1/3), 4 degrees of freedom, t = 2.776
    difference, low, high = welch_interval([1, 2, 3], [4, 5, 6])
    assert difference == -3 and low == pytest.approx(-5.2669, abs=1e-4) and high == pytest.approx(-0.7331, abs=1e-4)
    assert welch_interval([1.0], [2.0, 3.0]) is None and welch_interval([1.0, 2.0], [3.0]) is None
    assert welch_interval([1.0, 2.0], [3.0, 5.0]) is not None  # two runs a side are enough
    assert welch_interval([5.0, 5.0], [3.0, 3.0]) == (2.0, 2.0, 2.0)  # no spread: the interval is the point
    for a, b in (([10, 12, 9, 11], [10.5, 13, 8]), ([1, 2, 3], [1.5, 2.5, 9])):
        _, low, high = welch_interval(a, b)
        significant = scipy.stats.ttest_ind(a, b, equal_var=False).pvalue < 0.05
        assert significant == (low > 0 or high < 0)  # the interval and the test agree


def test_the_verdict_speaks_at_the_intervals_own_level():
    # a = 1, 2, 3 against b = 4, 5, 6: the 90 % interval [-4.74, -1.26] excludes 0, the 99 % one [-6.76, 0.76] not
    assert verdict(welch_interval([1, 2, 3], [4, 5, 6], 0.90), "a", "b", 3, 0.90) == "a lower (significant at 10 %)"
    assert verdict(welch_interval([4, 5, 6], [1, 2, 3], 0.95), "a", "b", 3) == "b lower (significant at 5 %)"
    assert verdict(welch_interval([1, 2, 3], [4, 5, 6], 0.99), "a", "b", 3, 0.99) == "not distinguishable with 3 seeds"


def test_groups_that_differ_in_one_override_are_compared_with_a_verdict(tmp_path):
    fids = {("minimax", "mlp"): [900, 950, 1000], ("nonsaturating", "mlp"): [400, 450, 500],
            ("minimax", "dcgan"): [880, 1500, 300], ("nonsaturating", "dcgan"): [800, 700, 900]}  # fmt: skip
    for number, ((loss, model), values) in enumerate((key, fids[key]) for key in fids):
        for seed, fid in enumerate(values):
            job(tmp_path, f"{number}{seed}", [f"loss={loss}", f"model={model}", f"seed={seed}"], {"val/fid": fid})
    found = {(c.first, c.second): c for c in comparisons(read_jobs(tmp_path))}
    assert len(found) == 4  # the two diagonal pairs differ in two overrides: not compared
    clear = found[("loss=minimax model=mlp", "loss=nonsaturating model=mlp")]
    assert clear.differs_in == "loss" and clear.runs == (3, 3) and clear.interval[0] == 500
    assert clear.verdict == "loss=nonsaturating model=mlp lower (significant at 5 %)"
    noisy = found[("loss=minimax model=dcgan", "loss=nonsaturating model=dcgan")]
    assert noisy.differs_in == "loss" and noisy.verdict == "not distinguishable with 3 seeds"
    write_summary(tmp_path)
    assert (
        "| loss=minimax model=mlp | loss=nonsaturating model=mlp | loss | 3 / 3 | 500 |"
        in (tmp_path / "summary.md").read_text()
    )


def test_fid_is_read_against_the_compute_spent_by_its_iteration():
    curves = {"val/fid": ([99, 199], [300.0, 200.0]), curve("wall_clock_s"): ([49, 99, 149, 199], [30, 60, 90, 120])}
    minutes, fids = fid_against_compute(curves, curve("wall_clock_s"), 60)
    assert minutes.tolist() == [1.0, 2.0] and fids.tolist() == [300.0, 200.0]
    assert fid_against_compute(curves, curve("images_seen"), 1e6) is None  # a run of version 0.1: no such curve


def test_the_comparison_table_as_written(tmp_path):
    for number, (tag, fid) in enumerate((("x=1", 100), ("x=1", 110), ("x=1", 120), ("x=2", 300), ("x=2", 330))):
        job(tmp_path, str(number), [f"note={tag}", "loss=hinge", f"seed={number}"], {"val/fid": fid})
    job(tmp_path, "5", ["note=x=2", "loss=hinge", "seed=5"], {"val/kid": 1.0})  # completed, but no val/fid
    write_summary(tmp_path)
    table = (
        (tmp_path / "summary.md").read_text().split("## Differences in mean val/fid (95 % Welch confidence interval)")
    )
    lines = table[1].strip().splitlines()
    assert lines[:2] == [
        "| first | second | differs in | runs | mean val/fid: first - second | 95 % interval | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    assert lines[2].startswith("| note=x=1 | note=x=2 | note | 3 / 2 | -205 | [")


def test_pairs_with_one_run_a_side_are_counted_and_sent_back_for_seeds(tmp_path):
    for number, (loss, model) in enumerate((("minimax", "mlp"), ("hinge", "mlp"), ("hinge", "dcgan"))):
        job(tmp_path, str(number), [f"loss={loss}", f"model={model}", "seed=1"], {"val/fid": 100.0 + number})
    write_summary(tmp_path)  # two pairs differ in one override; minimax-mlp and hinge-dcgan in two
    summary = (tmp_path / "summary.md").read_text()
    assert summary.endswith(
        "2 pairs of groups differ in one override, but no pair has 2 completed runs on each side: add seeds.\n"
    )


def test_sample_grid_titles_shorten_numbers_and_wrap_to_one_grids_width():
    from gan_lightning.sweeps.plots import grid_title

    overrides = [
        "loss=lsgan", "optimizer.g.lr=0.0009351631148366853", "optimizer.d.lr=0.00026433083077080253",
        "model.generator.channels=32", "ema=0.9999", "model.discriminator.spectral_norm=False", "seed=1",
    ]  # fmt: skip
    title = grid_title(overrides)
    assert all(len(line) <= 40 for line in title.splitlines())
    # Long numbers to 3 significant digits; short ones as written (0.9999 to 3 digits would read 1).
    assert title.split() == [
        "loss=lsgan", "optimizer.g.lr=0.000935", "optimizer.d.lr=0.000264", "model.generator.channels=32",
        "ema=0.9999", "model.discriminator.spectral_norm=False", "seed=1",
    ]  # fmt: skip
