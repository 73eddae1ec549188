"""`python -m gan_lightning.reproduce`: the list, a one-line error for an unknown study, every study at the
smoke budget, and a study killed mid-run that continues without training its finished runs again."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gan_lightning.reproduce import main as reproduce_main
from gan_lightning.studies.catalog import STUDIES
from gan_lightning.studies.results import read_results
from gan_lightning.studies.tables import comparison_table, groups_table
from tests.helpers import PROJECT_ROOT, VAL_IMAGES, subprocess_env


def tiny_data(mnist_dir: Path) -> list[str]:
    """Overrides that point every run of a study at the tiny MNIST folder."""
    return [f"data.data_dir={mnist_dir}", "data.download=false", f"data.val_size={VAL_IMAGES}",
            "data.eval_batch_size=64", "trainer.accelerator=cpu"]  # fmt: skip


def reproduce(log_dir: Path, *args: str) -> subprocess.Popen:
    """The command in a child process whose outputs/ and temporary folder are under log_dir."""
    env = subprocess_env({"GAN_LOG_DIR": str(log_dir / "outputs"), "TMPDIR": str(log_dir)})
    command = [sys.executable, "-m", "gan_lightning.reproduce", *args]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def study_folders(log_dir: Path, study: str) -> list[Path]:
    """A smoke run's folders, in the temporary folder (never in outputs/)."""
    assert not (log_dir / "outputs" / "reproduce").exists()
    return sorted((log_dir / "gan_lightning-smoke" / "reproduce" / study).glob("*_*"))


def test_list_names_every_study_with_its_runs_and_page(capsys):
    reproduce_main(["--list"])
    listed = capsys.readouterr().out
    for name, study in STUDIES.items():
        assert f"{name} " in listed and f"docs/results/{study.page}.md" in listed


def test_an_unknown_study_is_one_line_naming_the_nearest(capsys):
    with pytest.raises(SystemExit) as exited:
        reproduce_main(["minimax-vs-nonsaturing"])
    assert str(exited.value.code).startswith("error: no study named 'minimax-vs-nonsaturing'; the studies: ")
    assert str(exited.value.code).endswith("did you mean minimax-vs-nonsaturating?")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", list(STUDIES))
def test_every_study_runs_at_the_smoke_budget_and_renders_its_tables_and_comparison(name, mnist_dir, tmp_path):
    finished = reproduce(tmp_path, name, "--smoke", *tiny_data(mnist_dir))
    out, err = finished.communicate()
    assert finished.returncode == 0, err[-3000:]
    (folder,) = study_folders(tmp_path, name)
    results = read_results(folder / "results.json")
    study = STUDIES[name]
    assert results["smoke"] and results["planned_runs"] == study.run_count(smoke=True)
    assert [run["status"] for run in results["runs"]] == ["completed"] * study.run_count(smoke=True)
    assert [run["group"] for run in results["runs"]][:: min(2, len(study.seeds))] == [
        " ".join(group) or "(default)" for group in study.groups
    ]
    assert all(run["iterations"] == 4 and run["metrics"] for run in results["runs"])
    tables = (folder / "tables.md").read_text()
    assert groups_table(results) in tables
    assert ("## Differences between groups" in tables) == (len(study.groups) > 1)  # one group: nothing to compare
    verdicts = ("| agrees |", "| differs |", "| one run a side: no interval |")  # the last: best-1h's one seed
    assert comparison_table(results, None) in out or any(verdict in out for verdict in verdicts)
    assert (folder / "curves.png").stat().st_size > 0 and (folder / "samples.png").stat().st_size > 0
    if study.saturation:
        assert all(0 <= run["saturation"]["saturated_share"] <= 1 for run in results["runs"])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_study_killed_mid_run_continues_and_trains_no_finished_run_again(mnist_dir, tmp_path):
    args = ("minimax-vs-nonsaturating", "--smoke", *tiny_data(mnist_dir))
    first = reproduce(tmp_path, *args)
    deadline = time.monotonic() + 600
    while not list(tmp_path.glob("gan_lightning-smoke/reproduce/*/*/runs/*/*/metrics.json")):
        assert first.poll() is None and time.monotonic() < deadline, "no run finished"
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)  # its running job dies with it
    first.communicate()
    (folder,) = study_folders(tmp_path, "minimax-vs-nonsaturating")
    kept = {path: path.stat().st_mtime_ns for path in folder.glob("runs/*/*/metrics.json")}
    assert kept and not (folder / "results.json").exists()

    second = reproduce(tmp_path, *args)
    out, err = second.communicate()
    assert second.returncode == 0, err[-3000:]
    assert study_folders(tmp_path, "minimax-vs-nonsaturating") == [folder]  # continued, not started over
    assert {path: path.stat().st_mtime_ns for path in kept} == kept  # finished runs were not trained again
    results = json.loads((folder / "results.json").read_text())
    assert [run["status"] for run in results["runs"]] == ["completed"] * 4
    assert "Continuing minimax-vs-nonsaturating" in err
