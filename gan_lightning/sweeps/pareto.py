"""The Pareto front of a search with several objectives (hparams_search=fid_and_minutes): the trials no other
trial beats on every objective at once, as a table with the overrides that reproduce each and as a picture
(the first objective against the second, every trial a point, the front drawn)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

from gan_lightning.core.curves import tag  # noqa: E402
from gan_lightning.sweeps.jobs import Job  # noqa: E402

# How an objective is shown: its label and the factor from the logged unit (seconds are shown as minutes).
SHOWN = {tag("wall_clock_s"): ("training minutes", 1 / 60)}


def objectives(sweep_dir: Path, jobs: list[Job]) -> list[tuple[str, str]]:
    """(metric, direction) for each optimized metric of the search, read from its first job's config; one
    pair or none for a search of one objective or a plain sweep."""
    hydra_files = jobs[0].folder / ".hydra" if jobs else None
    if hydra_files is None or not (hydra_files / "config.yaml").exists() or not (hydra_files / "hydra.yaml").exists():
        return []
    config = yaml.safe_load((hydra_files / "config.yaml").read_text())
    metrics = config.get("optimized_metric")
    if not isinstance(metrics, list):
        return []
    sweeper = yaml.safe_load((hydra_files / "hydra.yaml").read_text())["hydra"]["sweeper"]
    directions = sweeper.get("directions") or sweeper.get("direction")
    directions = [directions] * len(metrics) if isinstance(directions, str) else directions
    return list(zip(metrics, directions, strict=True))


def scored(jobs: list[Job], goals: list[tuple[str, str]]) -> list[tuple[Job, list[float]]]:
    """Every completed job with its objectives' values, each turned so that lower is better."""
    found = []
    for job in jobs:
        if job.status == "completed" and all(metric in job.metrics for metric, _ in goals):
            sign = [1.0 if direction == "minimize" else -1.0 for _, direction in goals]
            found.append((job, [s * job.metrics[metric] for s, (metric, _) in zip(sign, goals, strict=True)]))
    return found


def front(jobs: list[Job], goals: list[tuple[str, str]]) -> list[Job]:
    """The jobs no other job dominates (at least as good on every objective, better on one), in order of
    the first objective."""
    points = scored(jobs, goals)

    def dominated(values: list[float]) -> bool:
        return any(
            all(o <= v for o, v in zip(other, values, strict=True))
            and any(o < v for o, v in zip(other, values, strict=True))
            for _, other in points
        )

    kept = [(job, values) for job, values in points if not dominated(values)]
    return [job for job, _ in sorted(kept, key=lambda pair: pair[1])]


def shown(metric: str, value: float) -> float:
    return value * SHOWN.get(metric, (metric, 1.0))[1]


def label(metric: str) -> str:
    return SHOWN.get(metric, (metric, 1.0))[0]


def pareto_table(jobs: list[Job], goals: list[tuple[str, str]]) -> list[str]:
    """summary.md's section: the front's trials with their values and the overrides that reproduce each."""
    best = front(jobs, goals)
    header = ["trial", *(f"{label(metric)} ({direction})" for metric, direction in goals), "overrides"]
    lines = ["", f"## Pareto front ({len(best)} of {len(scored(jobs, goals))} completed trials)", ""]
    lines += ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for job in best:
        values = [f"{shown(metric, job.metrics[metric]):.4g}" for metric, _ in goals]
        lines.append(f"| {job.folder.name} | " + " | ".join(values) + f" | `{' '.join(job.overrides)}` |")
    return lines


def plot_pareto(sweep_dir: Path, jobs: list[Job], goals: list[tuple[str, str]]) -> None:
    """pareto.png: the first objective against the second, every completed trial a point, the front drawn."""
    (first, _), (second, _) = goals[:2]
    points = scored(jobs, goals)
    best = front(jobs, goals)
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter(
        [shown(second, job.metrics[second]) for job, _ in points],
        [shown(first, job.metrics[first]) for job, _ in points],
        color="0.6", label="trial",
    )  # fmt: skip
    xs = [shown(second, job.metrics[second]) for job in best]
    ys = [shown(first, job.metrics[first]) for job in best]
    ax.plot(xs, ys, "o-", color="C3", label="Pareto front")
    for job, x, y in zip(best, xs, ys, strict=True):
        ax.annotate(job.folder.name, (x, y), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel(label(second))
    ax.set_ylabel(label(first))
    ax.legend()
    ax.set_title(f"{sweep_dir.name}: {len(best)} of {len(points)} trials on the front")
    fig.tight_layout()
    fig.savefig(sweep_dir / "pareto.png", dpi=100)
    plt.close(fig)
