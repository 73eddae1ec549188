"""Run a study: one Hydra multirun of `gan_lightning.train` per group, into
outputs/reproduce/<study>/<date>_<time>/, continuing the newest unfinished folder of the same invocation.

A rerun trains only the runs that did not finish: a finished job's folder holds its metrics.json, which
`skip_finished` returns without training; an unfinished job's folder (killed mid-run) is cleared first, so its
run starts over cleanly. Each multirun is a child process (Hydra owns its process: its launcher, its
logging); its output goes to reproduce.log, and a progress bar says which run of how many is training.
"""

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.studies.catalog import Study, StudyError
from gan_lightning.studies.results import INVOCATION, RESULTS_FILE, commit, finished, read_results
from gan_lightning.sweeps.jobs import Job, read_jobs

LOG = "reproduce.log"
CHILD_PID = "running.pid"  # the multirun now training, while it runs


def study_folder(study: Study, log_dir: str | Path, smoke: bool, extra: list[str]) -> tuple[Path, bool]:
    """The folder to run in, and whether it continues an earlier invocation (the newest folder of this study,
    started with the same options, not finished); else a new dated folder."""
    root = Path(log_dir) / "reproduce" / study.name
    invocation = {"smoke": smoke, "extra": extra}
    newest = max((path for path in root.glob("*") if (path / INVOCATION).exists()), default=None)
    if newest is not None and same_options(json.loads((newest / INVOCATION).read_text()), invocation):
        results = newest / RESULTS_FILE
        if not results.exists() or not finished(read_results(results)):
            return newest, True
    folder = root / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    folder.mkdir(parents=True)
    # The commit that trains the study's runs: its results file names it, whenever its tables are written.
    (folder / INVOCATION).write_text(json.dumps({**invocation, "commit": commit()}) + "\n")
    return folder, False


def same_options(started: dict, asked: dict) -> bool:
    return {key: started.get(key) for key in asked} == asked


def study_jobs(folder: Path) -> list[Job]:
    """Every run of the study folder so far, each group's multirun read as a sweep's jobs."""
    return [job for sweep_dir in sorted((folder / "runs").glob("*")) for job in read_jobs(sweep_dir)]


def clear_unfinished(sweep_dir: Path) -> None:
    """Remove the folders of jobs that did not finish (killed mid-run, or failed): they start over."""
    for job in read_jobs(sweep_dir):
        if job.status != "completed":
            shutil.rmtree(job.folder)


def ended(folder: Path) -> int:
    """Runs of the study folder that finished (or failed for good)."""
    return sum(job.status != "running" for job in study_jobs(folder))


def training_now(folder: Path) -> str:
    """The seeds of the runs training now (job folders with a config and no result yet), e.g. "seed=3"."""
    running = [job for job in study_jobs(folder) if job.status == "running"]
    return " ".join(o for job in running for o in job.overrides if o.startswith("seed="))


def wait_for_stopped_run(folder: Path, timeout_s: float = 300.0) -> None:
    """A killed study's run gets SIGTERM and saves a checkpoint on its way out: let it end before its folder is
    cleared for the rerun."""
    pid_file = folder / CHILD_PID
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + timeout_s
    while alive(pid):
        if time.monotonic() > deadline:
            raise StudyError(f"the stopped study's run (process {pid}) is still running: stop it, then rerun")
        time.sleep(0.5)
    pid_file.unlink()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process took the number
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(")")[-1].split()[0] == "Z")  # a zombie has ended


def die_with_parent() -> None:
    """In the child: get SIGTERM when the study's process dies (a killed study must not leave a run behind)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def run_study(study: Study, folder: Path, smoke: bool, extra: list[str]) -> None:
    """Every group's multirun, with a progress bar over the study's runs."""
    total = study.run_count(smoke)
    log_path = folder / LOG
    wait_for_stopped_run(folder)
    # smoothing=0: the time left from the average over every run that ended, not the last few seconds
    with tqdm(total=total, initial=ended(folder), desc=study.name, unit="run", smoothing=0, dynamic_ncols=True) as bar:
        for index, (group, overrides) in enumerate(study.multiruns(smoke)):
            sweep_dir = folder / "runs" / str(index)
            clear_unfinished(sweep_dir)
            command = [sys.executable, "-m", "gan_lightning.train", "-m", *overrides, *extra,
                       f"hydra.sweep.dir={sweep_dir}"]  # fmt: skip
            with log_path.open("a") as log:
                log.write(f"\n$ {' '.join(command)}\n")
                log.flush()
                child = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=die_with_parent if sys.platform == "linux" else None)  # fmt: skip
                (folder / CHILD_PID).write_text(str(child.pid))
                follow(child, folder, bar, group)
                (folder / CHILD_PID).unlink()
            if child.returncode and not any(job.status == "completed" for job in read_jobs(sweep_dir)):
                tail = " ".join(log_path.read_text().strip().splitlines()[-1:])
                raise StudyError(f"group `{group}` of {study.name} could not run ({tail}); the whole log: {log_path}")


def follow(child: subprocess.Popen, folder: Path, bar: tqdm, group: str) -> None:
    """Wait for the child, moving the bar as its runs end and naming the runs training now (tqdm estimates the
    time left from the runs that ended); Ctrl-C waits for the child's own clean stop."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(2.0):
            bar.set_postfix_str(f"training {group} {training_now(folder)}".strip(), refresh=False)
            bar.update(ended(folder) - bar.n)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        child.wait()
    except KeyboardInterrupt:
        child.wait()  # the child got the same Ctrl-C: it saves its checkpoint and stops
        raise
    finally:
        stop.set()
        watcher.join()
        bar.update(ended(folder) - bar.n)
