"""A study's results file: every run's overrides, seed, iterations, training minutes and final metrics, and
the machine that ran them. Tables, comparisons and pages are rendered from it alone."""

import json
import os
import platform
import statistics
import subprocess
from datetime import datetime
from pathlib import Path

import torch

from gan_lightning.core.curves import tag
from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.studies.catalog import Study
from gan_lightning.sweeps.jobs import Job, read_jobs
from gan_lightning.sweeps.plots import read_curves

RESULTS_FILE = "results.json"
INVOCATION = "invocation.json"  # how the study folder was started: its options and commit
SATURATED = 1e-3  # D(G(z)) below this: G's minimax gradient has all but vanished (the tutorial's 0.0001)


def machine(trained_at: str | None = None) -> dict[str, object]:
    """What ran the study: CPU model, cores, GPU if any, torch's version, and the commit that trained its runs
    (`trained_at`, recorded when the study started; else this checkout's)."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "commit": trained_at or commit(),
    }


def commit() -> str:
    """The checkout's commit, with `+changes` when tracked files differ from it; "unknown" outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")  # fmt: skip


def saturation(job: Job) -> dict[str, float]:
    """How long G's gradient stayed saturated: the share of logged iterations with D(G(z)) below SATURATED,
    and the median of G's gradient norm over them."""
    curves = read_curves(job.folder)
    probs = curves.get(tag("d_fake_prob"), ([], []))[1]
    norms = curves.get(tag("g_grad_norm"), ([], []))[1]
    if not probs or not norms:
        return {}
    share = sum(p < SATURATED for p in probs) / len(probs)
    return {"saturated_share": share, "median_g_grad_norm": statistics.median(norms)}


def collect(study: Study, folder: Path, smoke: bool, extra: list[str]) -> dict[str, object]:
    """The results of a study folder's runs so far (a run not finished is listed with its status)."""
    invocation = folder / INVOCATION
    started = json.loads(invocation.read_text()) if invocation.exists() else {}
    runs = []
    for index, (group, _) in enumerate(study.multiruns(smoke)):
        for job in read_jobs(folder / "runs" / str(index)):
            seed = next((int(line.split("=", 1)[1]) for line in job.overrides if line.startswith("seed=")), None)
            run = {"group": group, "seed": seed, "overrides": job.overrides, "status": job.status}
            if job.status == "completed":
                run["iterations"] = job.iterations
                run["train_minutes"] = round(job.metrics.get(tag("wall_clock_s"), 0.0) / 60, 2)
                run["wall_minutes"] = round(job.wall_time_s / 60, 2)
                run["metrics"] = {name: job.metrics[name] for name in study.metrics if name in job.metrics}
                if study.saturation:
                    run["saturation"] = saturation(job)
            elif job.error:
                run["error"] = job.error
            runs.append(run)
    return {
        "study": study.name,
        "command": " ".join(["python -m gan_lightning.reproduce", study.name, *(["--smoke"] if smoke else []), *extra]),
        "smoke": smoke,
        "date": datetime.now().strftime("%Y-%m-%d"),
        "machine": machine(started.get("commit")),
        "planned_runs": study.run_count(smoke),
        "runs": runs,
    }


def write_results(folder: Path, results: dict) -> Path:
    path = folder / RESULTS_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(results, indent=1) + "\n")
    partial.replace(path)  # whole or not at all
    return path


def read_results(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def finished(results: dict) -> bool:
    done = [run for run in results["runs"] if run["status"] == "completed"]
    return len(done) == results["planned_runs"]
