"""The jobs of a Hydra multirun, read from its folder: overrides, status, and the results each job wrote."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml


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
