"""Summaries of Hydra multiruns: a table of every job, mean and std per group of seeds, overlaid curves.

    python -m gan_lightning.sweep outputs/train/multiruns/<time>      # by hand, on any sweep folder

During a multirun, SweepSummaryCallback rewrites the summary whenever a job ends, failed jobs included
(Hydra skips `on_multirun_end` when a job raised), so the folder always holds the summary of all jobs so
far. It writes summary.csv, summary.md, curves.png and samples.png (every job's final grid) into the
sweep folder.
"""

import csv
import json
import logging
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

log = logging.getLogger(__name__)

METRICS = [
    "val/fid",
    "val/kid",
    "val/inception_score",
    "val/mode_classes",
    "test/fid",
    "test/d_real_acc",
    "test/d_fake_acc",
]
CURVES = ["train/g_loss", "train/d_fake_prob", "train/g_grad_norm", "val/fid"]


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


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def write_tables(sweep_dir: Path, jobs: list[Job], metrics: list[str]) -> None:
    header = ["job", "group", "overrides", "status", "error", "iterations", "wall_time_s", *metrics]
    with open(sweep_dir / "summary.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for job in jobs:
            row = [
                job.folder.name,
                job.group,
                " ".join(job.overrides),
                job.status,
                job.error,
                job.iterations,
                job.wall_time_s,
            ]
            writer.writerow(row + [job.metrics.get(name, "") for name in metrics])
    lines = [
        f"# Sweep {sweep_dir}",
        "",
        "## Jobs (overrides that differ between jobs)",
        "",
        "| " + " | ".join(header) + " |",
        "|---" * len(header) + "|",
    ]
    for job in jobs:
        cells = [job.folder.name, job.group, " ".join(job.varying), job.status, job.error.replace("|", "/")[:200]]
        cells += [_fmt(job.iterations), _fmt(job.wall_time_s), *(_fmt(job.metrics.get(name)) for name in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Groups (mean ± std over seeds)", "", "| group | runs | " + " | ".join(metrics) + " |"]
    lines.append("|---" * (len(metrics) + 2) + "|")
    for group, stats in group_stats(jobs, metrics).items():
        runs = max((n for _, _, n in stats.values()), default=0)
        cells = [
            f"{mean:.4g} ± {std:.2g}" if name in stats else ""
            for name in metrics
            for mean, std, _ in [stats.get(name, (0, 0, 0))]
        ]
        lines.append(f"| {group} | {runs} | " + " | ".join(cells) + " |")
    (sweep_dir / "summary.md").write_text("\n".join(lines) + "\n")


def read_curves(folder: Path) -> dict[str, tuple[list[int], list[float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder / "tensorboard"), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    return {
        tag: ([e.step for e in events.Scalars(tag)], [e.value for e in events.Scalars(tag)])
        for tag in CURVES
        if tag in tags
    }


def plot_curves(sweep_dir: Path, jobs: list[Job]) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    groups = list(dict.fromkeys(job.group for job in jobs))
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    colors = {group: palette(i % palette.N) for i, group in enumerate(groups)}
    for job in jobs:
        if not (job.folder / "tensorboard").exists():
            continue
        curves = read_curves(job.folder)
        for ax, tag in zip(axes.flat, CURVES, strict=True):
            if tag in curves:
                ax.plot(*curves[tag], color=colors[job.group], alpha=0.8, lw=1)
    for ax, tag in zip(axes.flat, CURVES, strict=True):
        ax.set_title(tag + (" (cross-entropy losses)" if tag == "train/d_fake_prob" else ""))
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    axes.flat[2].set_yscale("log")  # G's gradient norm spans orders of magnitude when minimax saturates
    axes.flat[1].set_yscale("log")
    axes.flat[3].set_yscale("log")  # FIDs of different losses and models span an order of magnitude
    handles = [plt.Line2D([], [], color=color, label=group) for group, color in colors.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4))
    legend_rows = -(-len(handles) // 4)
    fig.tight_layout(rect=(0, 0.02 + 0.035 * legend_rows, 1, 1))
    fig.savefig(sweep_dir / "curves.png", dpi=90)
    plt.close(fig)


def plot_samples(sweep_dir: Path, jobs: list[Job]) -> None:
    """Every job's final sample grid side by side, titled with what sets it apart."""
    grids = [(job, job.folder / "samples" / "final.png") for job in jobs]
    grids = [(job, path) for job, path in grids if path.exists()]
    if not grids:
        return
    cols = min(len(grids), 5)
    rows = -(-len(grids) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.8 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (job, path) in zip(axes.flat, grids, strict=False):
        ax.imshow(plt.imread(path), cmap="gray")
        fid = job.metrics.get("val/fid")
        ax.set_title(" ".join(job.varying) + (f"\nval FID {fid:.0f}" if fid is not None else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(sweep_dir / "samples.png", dpi=90)
    plt.close(fig)


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
        sys.exit("usage: python -m gan_lightning.sweep <sweep folder>   (e.g. outputs/train/multiruns/<time>)")
    jobs = write_summary(sys.argv[1])
    print((Path(sys.argv[1]) / "summary.md").read_text())
    print(f"{len(jobs)} jobs; wrote summary.csv, summary.md, curves.png and samples.png in {sys.argv[1]}")


if __name__ == "__main__":
    main()
