"""Run a study: one Hydra multirun of `gan_lightning.train` per group, into
outputs/reproduce/<study>/<date>_<time>/, continuing the newest unfinished folder of the same invocation.

A rerun trains only the runs that did not finish: a finished job's folder holds its metrics.json, which
`skip_finished` returns without training; an unfinished job's folder (killed mid-run) is cleared first, so its
run starts over cleanly. Each multirun is a child process (Hydra owns its process: its launcher, its
logging); its output goes to reproduce.log, and a progress bar says which run of how many is training.
"""

import ctypes
import json
import shutil
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.studies.catalog import Study, StudyError
from gan_lightning.studies.results import RESULTS_FILE, finished, read_results

INVOCATION = "invocation.json"
LOG = "reproduce.log"


def study_folder(study: Study, log_dir: str | Path, smoke: bool, extra: list[str]) -> tuple[Path, bool]:
    """The folder to run in, and whether it continues an earlier invocation (the newest folder of this study,
    started with the same options, not finished); else a new dated folder."""
    root = Path(log_dir) / "reproduce" / study.name
    invocation = {"smoke": smoke, "extra": extra}
    newest = max((path for path in root.glob("*") if (path / INVOCATION).exists()), default=None)
    if newest is not None and json.loads((newest / INVOCATION).read_text()) == invocation:
        results = newest / RESULTS_FILE
        if not results.exists() or not finished(read_results(results)):
            return newest, True
    folder = root / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    folder.mkdir(parents=True)
    (folder / INVOCATION).write_text(json.dumps(invocation) + "\n")
    return folder, False


def job_folders(sweep_dir: Path) -> list[Path]:
    return sorted(path.parent.parent for path in sweep_dir.glob("*/.hydra/overrides.yaml"))


def clear_unfinished(sweep_dir: Path) -> None:
    """Remove the folders of jobs that neither finished nor failed (killed mid-run): they start over."""
    for folder in job_folders(sweep_dir):
        if not (folder / "metrics.json").exists():
            shutil.rmtree(folder)


def ended(folder: Path) -> int:
    """Runs of the study folder that finished (or failed for good)."""
    return sum(
        (job / "metrics.json").exists() or (job / "FAILED").exists()
        for job in (folder / "runs").glob("*/*")
        if job.is_dir()
    )


def die_with_parent() -> None:
    """In the child: get SIGTERM when the study's process dies (a killed study must not leave a run behind)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def run_study(study: Study, folder: Path, smoke: bool, extra: list[str]) -> None:
    """Every group's multirun, with a progress bar over the study's runs."""
    total = study.run_count(smoke)
    log_path = folder / LOG
    with tqdm(total=total, initial=ended(folder), desc=study.name, unit="run", dynamic_ncols=True) as bar:
        for index, (group, overrides) in enumerate(study.multiruns(smoke)):
            sweep_dir = folder / "runs" / str(index)
            clear_unfinished(sweep_dir)
            command = [sys.executable, "-m", "gan_lightning.train", "-m", *overrides, *extra,
                       f"hydra.sweep.dir={sweep_dir}"]  # fmt: skip
            bar.set_postfix_str(group)
            with log_path.open("a") as log:
                log.write(f"\n$ {' '.join(command)}\n")
                log.flush()
                child = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=die_with_parent if sys.platform == "linux" else None)  # fmt: skip
                follow(child, folder, bar)
            if child.returncode and not any((job / "metrics.json").exists() for job in job_folders(sweep_dir)):
                tail = " ".join(log_path.read_text().strip().splitlines()[-1:])
                raise StudyError(f"group `{group}` of {study.name} could not run ({tail}); the whole log: {log_path}")


def follow(child: subprocess.Popen, folder: Path, bar: tqdm) -> None:
    """Wait for the child, moving the bar as its runs end; Ctrl-C waits for the child's own clean stop."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(2.0):
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
