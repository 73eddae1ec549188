"""The benchmark scripts run end to end with tiny arguments (their numbers mean nothing here; they must not rot)."""

import json
import re
import subprocess
import sys

import pytest

from tests.helpers import PROJECT_ROOT, subprocess_env


def run_script(script: str, *args: str) -> subprocess.CompletedProcess:
    """The script on its own tiny synthetic MNIST (what it uses without GAN_DATA_DIR)."""
    command = [sys.executable, str(PROJECT_ROOT / "benchmarks" / script), *args]
    env = {name: value for name, value in subprocess_env().items() if name != "GAN_DATA_DIR"}
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_gpu_check_runs_on_cpu_and_writes_its_report(tmp_path):
    run_script("gpu_check.py", "--device", "cpu", "--iterations", "6", "--warmup", "2", "--out", str(tmp_path))
    report = json.loads((tmp_path / "report.json").read_text())
    assert [row["variant"] for row in report["rows"]] == ["tutorial", "eager", "compile", "reduce-overhead"]
    for row in report["rows"]:
        rate = row["iterations_per_s"]
        assert rate > 0
        assert row["tutorial_100_epochs_min"] == pytest.approx(171_800 / rate / 60, rel=1e-12)
    assert report["machine"]["device"] == "cpu"
    table = (tmp_path / "report.md").read_text()
    assert "| reduce-overhead | compile=true compile_mode=reduce-overhead |" in table


@pytest.mark.slow
def test_the_training_benchmark_prints_both_ratios():
    done = run_script("bench_training.py", "--iterations", "6", "--warmup", "2", "--rounds", "2")
    for reference in ("tutorial", "plain"):
        pattern = rf"ratio project / {reference}: median ([\d.]+)x \(rounds ([\d.]+)x, ([\d.]+)x\)"
        ratio = re.search(pattern, done.stdout)  # each number printed to 2 decimals
        assert ratio, done.stdout
        assert float(ratio.group(1)) == pytest.approx((float(ratio.group(2)) + float(ratio.group(3))) / 2, abs=0.011)
