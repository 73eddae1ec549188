"""Summaries of Hydra multiruns: a table of every job, mean and std per group of seeds, overlaid curves.

    python -m gan_lightning.sweep_report outputs/train/multiruns/<time>   # by hand, on any sweep folder

During a multirun, SweepSummaryCallback rewrites the summary whenever a job ends, failed jobs included
(Hydra skips `on_multirun_end` when a job raised), so the folder always holds the summary of all jobs so
far. It writes summary.csv, summary.md, curves.png and samples.png (every job's final grid) into the
sweep folder; a search of two objectives adds its Pareto front (a table in summary.md, pareto.png).
"""

import csv
import io
import logging
from pathlib import Path

from hydra.experimental.callback import Callback

from gan_lightning.cli.resolvers import in_multirun
from gan_lightning.sweeps.jobs import Job, read_jobs
from gan_lightning.sweeps.pareto import objectives, pareto_table, plot_pareto
from gan_lightning.sweeps.plots import plot_curves, plot_samples
from gan_lightning.sweeps.statistics import comparisons, group_stats

log = logging.getLogger(__name__)

METRICS = [
    "val/fid",
    "val/kid",
    "val/inception_score",
    "val/mode_classes",
    "val/precision",
    "val/recall",
    "val/density",
    "val/coverage",
    "test/fid",
    "test/d_real_acc",
    "test/d_fake_acc",
]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def write_tables(sweep_dir: Path, jobs: list[Job], metrics: list[str], sections: list[str] = ()) -> None:
    header = ["job", "group", "overrides", "status", "error", "iterations", "wall_time_s", *metrics]
    table = io.StringIO()
    writer = csv.writer(table)  # rows end in \r\n, as csv files do
    writer.writerow(header)
    for job in jobs:
        row = [job.folder.name, job.group, " ".join(job.overrides), job.status, job.error]
        writer.writerow(row + [job.iterations, job.wall_time_s, *(job.metrics.get(name) for name in metrics)])
    (sweep_dir / "summary.csv").write_bytes(table.getvalue().encode())
    lines = [
        f"# Sweep {sweep_dir}",
        "",
        "## Jobs (overrides that differ between jobs)",
        "",
        "| " + " | ".join(header) + " |",
        "|---" * len(header) + "|",
    ]
    for job in jobs:
        cells = [
            job.folder.name,
            job.group,
            " ".join(job.varying),
            job.status,
            " ".join(job.error.split()).replace("|", "/")[:200],
        ]
        cells += [_fmt(job.iterations), _fmt(job.wall_time_s), *(_fmt(job.metrics.get(name)) for name in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Groups (mean ± std over seeds)", "", "| group | runs | " + " | ".join(metrics) + " |"]
    lines.append("|---" * (len(metrics) + 2) + "|")
    for group, stats in group_stats(jobs, metrics).items():
        runs = max((n for _, _, n in stats.values()), default=0)
        cells = [f"{stats[name][0]:.4g} ± {stats[name][1]:.2g}" if name in stats else "" for name in metrics]
        lines.append(f"| {group} | {runs} | " + " | ".join(cells) + " |")
    lines += comparison_table(jobs)
    lines += sections
    (sweep_dir / "summary.md").write_text("\n".join(lines) + "\n")


def comparison_table(jobs: list[Job], metric: str = "val/fid") -> list[str]:
    found = comparisons(jobs, metric)
    if not found:
        return []
    lines = ["", f"## Differences in mean {metric} (95 % Welch confidence interval)", ""]
    tested = [c for c in found if c.interval is not None]
    if not tested:
        pairs = f"{len(found)} pairs of groups differ" if len(found) > 1 else "1 pair of groups differs"
        return lines + [f"{pairs} in one override, but no pair has 2 completed runs on each side: add seeds."]
    lines += [
        f"| first | second | differs in | runs | mean {metric}: first - second | 95 % interval | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in tested:
        difference, low, high = c.interval
        runs = f"{c.runs[0]} / {c.runs[1]}"
        lines.append(
            f"| {c.first} | {c.second} | {c.differs_in} | {runs} | {difference:.4g} | [{low:.4g}, {high:.4g}] "
            f"| {c.verdict} |"
        )
    return lines


def write_summary(sweep_dir: str | Path) -> list[Job]:
    sweep_dir = Path(sweep_dir)
    jobs = read_jobs(sweep_dir)
    present = {name for job in jobs for name in job.metrics}
    metrics = [name for name in METRICS if name in present]
    goals = objectives(sweep_dir, jobs)
    two_objectives = len(goals) > 1
    write_tables(sweep_dir, jobs, metrics, pareto_table(jobs, goals) if two_objectives else [])
    if two_objectives:
        plot_pareto(sweep_dir, jobs, goals)
    plot_curves(sweep_dir, jobs)
    plot_samples(sweep_dir, jobs)
    return jobs


class SweepSummaryCallback(Callback):
    """Hydra callback: rewrite the sweep's summary after every job of a multirun."""

    def on_job_end(self, config, job_return, **kwargs) -> None:
        if not in_multirun():
            return
        try:
            jobs = write_summary(config.hydra.sweep.dir)
            log.info("Sweep summary (%d jobs): %s", len(jobs), Path(config.hydra.sweep.dir) / "summary.md")
        except Exception as err:  # a summary problem must not fail the job it follows
            log.warning("Could not write the sweep summary: %s", err)
