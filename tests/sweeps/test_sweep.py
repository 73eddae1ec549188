"""Sweeps through Hydra's engines, their summary, and TensorBoard serving a run."""

import csv
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import matplotlib.pyplot as plt
import optuna
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from gan_lightning.core.curves import tag as curve
from gan_lightning.sweeps.plots import read_curves
from gan_lightning.sweeps.report import write_summary
from tests.helpers import CONF_DIR, PROJECT_ROOT, cli_overrides, run_module


def multirun(mnist_dir: Path, sweep: Path, *args: str) -> subprocess.CompletedProcess:
    return run_module(
        "gan_lightning.train", "-m", *cli_overrides(mnist_dir), "test=false", f"hydra.sweep.dir={sweep}", *args
    )


def summary_rows(sweep: Path) -> list[dict]:
    with open(sweep / "summary.csv") as file:
        return list(csv.DictReader(file))


def group_cells(markdown: str, group: str) -> dict[str, str]:
    """The cells of a group's row in summary.md's group table, by column name."""
    lines = markdown.split("## Groups")[1].splitlines()
    header = next(line for line in lines if line.startswith("| group |"))
    row = next(line for line in lines if line.startswith(f"| {group} |"))
    names, cells = (part.strip("|").split("|") for part in (header, row))
    return {name.strip(): cell.strip() for name, cell in zip(names, cells, strict=True)}


def test_two_losses_two_seeds_summary(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    result = multirun(mnist_dir, sweep, "loss=minimax,nonsaturating", "seed=1,2", "iterations=20")
    assert result.returncode == 0, result.stderr[-3000:]
    for job, overrides in (("0", ["loss=minimax", "seed=1"]), ("3", ["loss=nonsaturating", "seed=2"])):
        assert (sweep / job / "checkpoints" / "last.ckpt").exists()  # each job in its own folder
        assert all(o in (sweep / job / ".hydra" / "overrides.yaml").read_text() for o in overrides)
        # In TensorBoard over the sweep, a job's run reads as what the sweep varies.
        assert [p.name for p in (sweep / job / "tensorboard").iterdir()] == [",".join(overrides)]
    rows = summary_rows(sweep)
    assert len(rows) == 4 and {row["status"] for row in rows} == {"completed"}
    assert {row["group"] for row in rows} == {"loss=minimax", "loss=nonsaturating"}
    assert all(float(row["val/fid"]) > 0 and int(row["iterations"]) == 20 for row in rows)
    markdown = (sweep / "summary.md").read_text()
    for loss in ("minimax", "nonsaturating"):
        cells = group_cells(markdown, f"loss={loss}")
        assert cells.pop("group") == f"loss={loss}" and cells.pop("runs") == "2"
        assert {"val/fid", "val/kid", "val/inception_score", "val/mode_classes"} <= set(cells)
        for metric in cells:
            values = [float(row[metric]) for row in rows if row["group"] == f"loss={loss}"]
            # mean ± sample standard deviation over the two seeds, as printed
            assert cells[metric] == f"{statistics.fmean(values):.4g} ± {statistics.stdev(values):.2g}", metric
    assert (sweep / "curves.png").stat().st_size > 10_000
    # The curves drawn come from each job's own TensorBoard run, which a sweep names by its overrides.
    for job in ("0", "3"):
        curves = read_curves(sweep / job)
        assert {curve("g_loss"), curve("d_fake_prob"), curve("g_grad_norm"), "val/fid"} <= set(curves)
        assert curves[curve("d_fake_prob")][0][:3] == [0, 1, 2]  # every logged iteration, from the first
    # Every job's final grid in one picture, one panel per job.
    assert plt.imread(sweep / "samples.png").shape[1] > 4 * plt.imread(sweep / "0" / "samples" / "final.png").shape[1]


def test_a_failed_job_is_summarized_and_the_others_run_to_the_end(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    result = multirun(mnist_dir, sweep, "iterations=20", "trainer.log_every_n_steps=1", "optimizer.d.lr=1e30,1e-3")
    assert result.returncode != 0  # the sweep reports its failure...
    assert (sweep / "0" / "FAILED").exists()
    assert (sweep / "1" / "checkpoints" / "last.ckpt").exists() and not (sweep / "1" / "FAILED").exists()
    rows = {row["job"]: row for row in summary_rows(sweep)}
    assert rows["0"]["status"] == "failed" and "NonFiniteLossError" in rows["0"]["error"]
    assert rows["1"]["status"] == "completed" and float(rows["1"]["val/fid"]) > 0
    assert write_summary(sweep)[1].status == "completed"  # the same by hand


def test_joblib_launcher_runs_jobs_in_parallel_processes(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    result = multirun(mnist_dir, sweep, "hydra/launcher=parallel", "torch_threads=1", "seed=1,2", "iterations=10")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [row["status"] for row in summary_rows(sweep)] == ["completed", "completed"]
    assert "Joblib" in result.stdout + result.stderr


def test_optuna_search_minimizes_validation_fid(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    result = multirun(
        mnist_dir, sweep, "hparams_search=fid_optuna", "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.n_startup_trials=2", "iterations=20",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    rows = summary_rows(sweep)
    assert len(rows) == 2
    fids = [float(row["val/fid"]) for row in rows]
    assert best["best_value"] == pytest.approx(min(fids), rel=1e-9)  # the trial it calls best is the lowest FID
    best_row = rows[fids.index(min(fids))]
    for key, value in best["best_params"].items():
        assert f"{key}={value}" in best_row["overrides"]


def test_the_minutes_search_trains_every_trial_for_the_same_time():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "train", overrides=["hparams_search=dcgan_minutes", "model.generator.channels=32"], return_hydra_config=True
        )
    assert cfg.train_minutes == 4 and cfg.callbacks.compute_clock.budget_minutes == 4  # the clock stops each trial
    assert cfg.model.discriminator._target_.endswith("DCGANDiscriminator")
    assert cfg.model.discriminator.channels == 32  # one width for G and D
    assert cfg.torch_threads == 1 and cfg.hydra.launcher.n_jobs == 2 == cfg.hydra.sweeper.n_jobs
    assert set(cfg.hydra.sweeper.params) == {
        "loss", "optimizer.g.lr", "optimizer.d.lr", "model.generator.channels", "ema", "r1_gamma",
        "model.discriminator.spectral_norm",
    }  # fmt: skip


def test_the_ten_minute_search_trains_every_trial_for_ten_minutes_in_bfloat16_with_d_at_best_10mins_width():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "train",
            overrides=["hparams_search=dcgan_10min", "model.generator.channels=128", "optimizer.g.betas.0=0.0"],
            return_hydra_config=True,
        )
    assert cfg.train_minutes == 10 and cfg.callbacks.compute_clock.budget_minutes == 10
    assert cfg.trainer.precision == "bf16-mixed" and cfg.torch_threads == 1 and cfg.hydra.launcher.n_jobs == 2
    assert (cfg.model.generator.channels, cfg.model.discriminator.channels) == (128, 64)  # D's width is not searched
    assert list(cfg.optimizer.d.betas) == list(cfg.optimizer.g.betas) == [0.0, 0.999]  # one beta1 for both
    assert cfg.hydra.sweeper.study_name == "dcgan_10min"  # its own study, not the 4-minute one
    assert set(cfg.hydra.sweeper.params) == {
        "loss", "optimizer.g.lr", "optimizer.d.lr", "optimizer.g.betas.0", "d_steps",
        "model.generator.channels", "ema", "r1_gamma", "model.discriminator.spectral_norm",
    }  # fmt: skip
    assert cfg.hydra.sweeper.params.loss == "choice(hinge, lsgan)"


def test_slurm_launcher_config_composes():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=["hydra/launcher=slurm"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.hydra.launcher.gpus_per_node == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_tensorboard_serves_scalars_and_samples(make_cfg, tmp_path):
    from gan_lightning.train import train

    train(make_cfg("test=false"))
    port = free_port()
    tensorboard = str(Path(sys.executable).parent / "tensorboard")
    server = subprocess.Popen(
        [tensorboard, "--logdir", str(tmp_path / "run"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/data/plugin"
    try:
        deadline = time.monotonic() + 300  # a busy machine starts TensorBoard slowly
        while True:
            try:
                tags = get_json(f"{base}/scalars/tags")
                if tags:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "tensorboard did not come up"
            time.sleep(0.5)
        run, scalar_tags = next(iter(tags.items()))
        assert {curve("d_loss"), curve("g_loss"), curve("divergence"), "val/fid"} <= set(scalar_tags)
        layout = get_json(f"{base}/custom_scalars/layout")  # the tutorial's four losses on one chart
        tutorial = next(c for c in layout["category"] if c["title"] == "1. the tutorial's curves")
        losses = tutorial["chart"][0]["multiline"]["tag"]
        assert losses == [curve("d_real_loss"), curve("d_fake_loss"), curve("d_loss"), curve("g_loss")]
        images = get_json(f"{base}/images/images?run={run}&tag=samples")
        with urllib.request.urlopen(f"{base}/images/individualImage?{images[-1]['query']}", timeout=10) as response:
            assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    finally:
        server.terminate()
        server.wait(timeout=30)


def sweep_jobs(*overrides: str) -> list[list[str]]:
    """The jobs Hydra's basic sweeper launches for a composed config's sweeper.params: each job's overrides."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=list(overrides), return_hydra_config=True)
    params = OverridesParser.create().parse_overrides([f"{k}={v}" for k, v in cfg.hydra.sweeper.params.items()])
    return [job for batch in BasicSweeper.split_arguments(params, max_batch_size=None) for job in batch]


def test_the_tutorial_sweep_composes_six_jobs():
    jobs = sweep_jobs("sweep=minimax_vs_nonsaturating")
    assert sorted(jobs) == [
        [f"loss={loss}", f"seed={seed}"] for loss in ("minimax", "nonsaturating") for seed in (1, 2, 3)
    ]


def test_a_sweep_preset_runs_its_sweep_without_m(mnist_dir, tmp_path):
    """sweep=<preset> switches Hydra to multirun itself: one job per loss (one seed here), and the summary."""
    sweep = tmp_path / "sweep"
    result = run_module(
        "gan_lightning.train", "sweep=minimax_vs_nonsaturating", "hydra.sweeper.params.seed=1", "iterations=2",
        *cli_overrides(mnist_dir), "test=false", f"hydra.sweep.dir={sweep}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(row["group"] for row in summary_rows(sweep)) == ["loss=minimax", "loss=nonsaturating"]


def test_losses_x_models_sweeps_every_loss_on_every_model():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=["sweep=losses_x_models"], return_hydra_config=True)
    params = cfg.hydra.sweeper.params
    every = {group: sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml")) for group in ("loss", "model")}
    assert {group: sorted(params[group].split(",")) for group in ("loss", "model")} == every
    assert cfg.iterations == 5000 and cfg.data.batch_size == 32 and cfg.ema == 0.999


@pytest.mark.slow
def test_a_killed_search_continues_its_study_when_rerun(mnist_dir, tmp_path):
    search = tmp_path / "train" / "searches" / "gan_fid"
    command = [
        sys.executable, "-m", "gan_lightning.train", "-m", *cli_overrides(mnist_dir), "test=false",
        "hparams_search=fid_optuna", "hydra.sweeper.n_trials=3", "hydra.sweeper.sampler.n_startup_trials=3",
        "iterations=10", f"paths.log_dir={tmp_path}",
    ]  # fmt: skip
    first = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (search / "0" / "metrics.json").exists():
        assert first.poll() is None and time.monotonic() < deadline, "the first trial never finished"
        time.sleep(0.05)
    first.kill()  # SIGKILL: no chance to clean up
    first.wait(timeout=30)
    rerun = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    study = optuna.load_study(study_name="gan_fid", storage=f"sqlite:///{search / 'study.db'}")
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 3  # all the trials asked for, in one study
    assert all(t.state != optuna.trial.TrialState.RUNNING for t in study.trials)
    # The rerun's sampler continued the study instead of replaying the first run's random draws.
    drawn = [tuple(sorted(t.params.items())) for t in study.trials if t.params]
    assert len(drawn) >= 3 and len(set(drawn)) == len(drawn)
    rows = summary_rows(search)
    assert [row["job"] for row in rows] == [str(t.number) for t in study.trials]  # one folder per trial
    assert sum(row["status"] == "completed" for row in rows) == 3
    best = yaml.safe_load((search / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(min(t.value for t in complete))


def test_a_job_whose_folder_holds_its_result_is_not_trained_again(mnist_dir, tmp_path):
    """The quick half of the rerun test below: a finished job is read back, not retrained."""
    sweep = tmp_path / "sweep"
    (sweep / "0").mkdir(parents=True)
    finished = {"iterations": 5, "wall_time_s": 1.0, "metrics": {"val/fid": 123.5}}  # as train.py writes it last
    (sweep / "0" / "metrics.json").write_text(json.dumps(finished))
    result = multirun(mnist_dir, sweep, "seed=1", "iterations=5")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (sweep / "0" / "checkpoints").exists()  # nothing was trained
    assert "Skipped:" in (sweep / "0" / "train.log").read_text()
    assert float(summary_rows(sweep)[0]["val/fid"]) == 123.5


@pytest.mark.slow
def test_rerunning_a_sweep_in_its_folder_runs_only_the_unfinished_jobs(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    assert multirun(mnist_dir, sweep, "seed=1,2", "iterations=5").returncode == 0
    finished = (sweep / "0" / "metrics.json").read_text()
    (sweep / "1" / "metrics.json").unlink()
    (sweep / "1" / "FAILED").write_text("Interrupted\n")  # as a job killed by the cluster
    rerun = multirun(mnist_dir, sweep, "seed=1,2", "iterations=5")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (sweep / "0" / "metrics.json").read_text() == finished  # not trained again
    assert "Skipped:" in (sweep / "0" / "train.log").read_text()
    assert (sweep / "1" / "metrics.json").exists() and not (sweep / "1" / "FAILED").exists()
    assert [row["status"] for row in summary_rows(sweep)] == ["completed", "completed"]


@pytest.mark.slow
def test_the_submitit_launcher_runs_jobs_through_its_local_executor(mnist_dir, tmp_path):
    """The cluster path for real, without a cluster: submitit's local executor runs each job in its own process."""
    sweep = tmp_path / "sweep"
    result = multirun(
        mnist_dir, sweep, "hydra/launcher=submitit_local", "iterations=20", "trainer.log_every_n_steps=1",
        "optimizer.d.lr=1e30,1e-3",
    )  # fmt: skip
    rows = {row["job"]: row for row in summary_rows(sweep)}
    assert rows["0"]["status"] == "failed" and "NonFiniteLossError" in rows["0"]["error"], result.stderr[-3000:]
    assert rows["1"]["status"] == "completed" and float(rows["1"]["val/fid"]) > 0
    assert list((sweep / ".submitit").iterdir())  # the jobs went through submitit
    assert (sweep / "1" / "checkpoints" / "last.ckpt").exists()
