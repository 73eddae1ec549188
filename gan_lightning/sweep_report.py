"""Summaries of Hydra multiruns: a table of every job, mean and std per group of seeds, overlaid curves.

    python -m gan_lightning.sweep_report outputs/train/multiruns/<time>   # by hand, on any sweep folder

During a multirun, SweepSummaryCallback rewrites the summary whenever a job ends, failed jobs included
(Hydra skips `on_multirun_end` when a job raised), so the folder always holds the summary of all jobs so
far. It writes summary.csv, summary.md, curves.png and samples.png (every job's final grid) into the
sweep folder.
"""

import csv
import io
import json
import logging
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import scipy.stats
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode

from gan_lightning.sweep_plots import plot_curves, plot_samples

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


@dataclass
class Job:
    folder: Path
    overrides: list[str]
    status: str  # completed, failed, running
    error: str = ""
    iterations: int | None = None
    wall_time_s: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    varying: list[str] = field(default_factory=list)  # overrides not shared by every job of the sweep

    @property
    def group(self) -> str:
        """Jobs that differ only by seed form one group."""
        return " ".join(o for o in self.varying if not o.startswith("seed=")) or "(all jobs)"


def read_jobs(sweep_dir: Path) -> list[Job]:
    jobs = []
    folders = [p.parent.parent for p in sweep_dir.glob("*/.hydra/overrides.yaml")]
    for folder in sorted(folders, key=lambda p: (len(p.name), p.name)):
        overrides = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text()) or []
        if (folder / "metrics.json").exists():
            result = json.loads((folder / "metrics.json").read_text())
            jobs.append(
                Job(folder, overrides, "completed", iterations=result["iterations"],
                    wall_time_s=result["wall_time_s"], metrics=result["metrics"])
            )  # fmt: skip
        elif (folder / "FAILED").exists():
            jobs.append(Job(folder, overrides, "failed", error=(folder / "FAILED").read_text().strip()))
        else:
            jobs.append(Job(folder, overrides, "running"))
    shared = set.intersection(*(set(job.overrides) for job in jobs)) if len(jobs) > 1 else set()
    for job in jobs:
        job.varying = [o for o in job.overrides if o not in shared]
    return jobs


def group_stats(jobs: list[Job], metrics: list[str]) -> dict[str, dict[str, tuple[float, float, int]]]:
    """Per group and metric: (mean, sample std, number of completed runs)."""
    groups: dict[str, dict[str, tuple[float, float, int]]] = {}
    for group in dict.fromkeys(job.group for job in jobs):
        done = [job for job in jobs if job.group == group and job.status == "completed"]
        groups[group] = {}
        for name in metrics:
            values = [job.metrics[name] for job in done if name in job.metrics]
            if values:
                std = statistics.stdev(values) if len(values) > 1 else 0.0
                groups[group][name] = (statistics.fmean(values), std, len(values))
    return groups


def welch_interval(a: list[float], b: list[float], level: float = 0.95) -> tuple[float, float, float] | None:
    """mean(a) - mean(b) and its Welch confidence interval (unequal variances); None below 2 runs a side."""
    if len(a) < 2 or len(b) < 2:
        return None
    difference = statistics.fmean(a) - statistics.fmean(b)
    var_a, var_b = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if var_a + var_b == 0:
        return difference, difference, difference
    freedom = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    half_width = scipy.stats.t.ppf((1 + level) / 2, freedom) * math.sqrt(var_a + var_b)
    return difference, difference - half_width, difference + half_width


@dataclass
class Comparison:
    first: str
    second: str
    differs_in: str
    runs: tuple[int, int]
    interval: tuple[float, float, float] | None

    @property
    def verdict(self) -> str:
        if self.interval is None:
            return "needs at least 2 seeds per group"
        difference, low, high = self.interval
        if low > 0 or high < 0:
            better = self.first if difference < 0 else self.second
            return f"significant at 5 %: {better} is lower"
        return f"not distinguishable with {min(self.runs)} seeds"


def comparisons(jobs: list[Job], metric: str = "val/fid") -> list[Comparison]:
    """Every pair of groups that differ in exactly one override, with the difference in mean `metric`."""
    values: dict[str, list[float]] = {}
    for job in jobs:
        if job.status == "completed" and metric in job.metrics:
            values.setdefault(job.group, []).append(job.metrics[metric])
    settings = {group: dict(o.split("=", 1) for o in group.split()) for group in values if "=" in group}
    found = []
    for i, first in enumerate(settings):
        for second in list(settings)[i + 1 :]:
            a, b = settings[first], settings[second]
            different = [key for key in a if a[key] != b.get(key)]
            if a.keys() == b.keys() and len(different) == 1:
                runs = (len(values[first]), len(values[second]))
                interval = welch_interval(values[first], values[second])
                found.append(Comparison(first, second, different[0], runs, interval))
    return found


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def write_tables(sweep_dir: Path, jobs: list[Job], metrics: list[str]) -> None:
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
    write_tables(sweep_dir, jobs, metrics)
    plot_curves(sweep_dir, jobs)
    plot_samples(sweep_dir, jobs)
    return jobs


class SweepSummaryCallback(Callback):
    """Hydra callback: rewrite the sweep's summary after every job of a multirun."""

    def on_job_end(self, config, job_return, **kwargs) -> None:
        if HydraConfig.get().mode != RunMode.MULTIRUN:
            return
        try:
            jobs = write_summary(config.hydra.sweep.dir)
            log.info("Sweep summary (%d jobs): %s", len(jobs), Path(config.hydra.sweep.dir) / "summary.md")
        except Exception as err:  # a summary problem must not fail the job it follows
            log.warning("Could not write the sweep summary: %s", err)


def main() -> None:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python -m gan_lightning.sweep_report <sweep folder>   (e.g. outputs/train/multiruns/<time>)")
    jobs = write_summary(sys.argv[1])
    print((Path(sys.argv[1]) / "summary.md").read_text())
    print(f"{len(jobs)} jobs; wrote summary.csv, summary.md, curves.png and samples.png in {sys.argv[1]}")


if __name__ == "__main__":
    main()
