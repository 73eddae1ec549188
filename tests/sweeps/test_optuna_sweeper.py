"""The project's Optuna sweeper: its search space, samplers, two objectives, old studies and optuna-dashboard."""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import open_dict
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from gan_lightning.core.curves import tag
from gan_lightning.core.errors import GANError
from gan_lightning.sweeps.jobs import Job
from gan_lightning.sweeps.pareto import front
from gan_lightning.sweeps.study_storage import open_storage
from hydra_plugins.gan_lightning_optuna.search_space import parse
from tests.helpers import CONF_DIR, PROJECT_ROOT, cli_overrides, run_module

OLD_STUDY = Path(__file__).parents[1] / "fixtures" / "study_optuna_2_10.db"  # written by Optuna 2.10.1


def search(mnist_dir: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    return run_module(
        "gan_lightning.train", *cli_overrides(mnist_dir), "test=false", f"hydra.sweep.dir={folder}", *args
    )


def test_sweep_overrides_become_optunas_distributions():
    space = parse(
        {"optimizer.g.lr": "tag(log, interval(1e-4, 1e-3))", "data.batch_size": "choice(32, 64)", "iterations": "20"},
        ["d_steps=range(1, 4)", "ema=range(0.9, 1.0, 0.05)", "r1_gamma=interval(0, 10)", "iterations=30"],
    )
    assert space.distributions == {
        "optimizer.g.lr": FloatDistribution(1e-4, 1e-3, log=True),
        "data.batch_size": CategoricalDistribution([32, 64]),
        "d_steps": IntDistribution(1, 3),  # Hydra's range stops before its end
        "ema": FloatDistribution(0.9, 0.95, step=0.05),
        "r1_gamma": FloatDistribution(0, 10),  # an interval is a float parameter, as in Hydra
    }
    assert space.fixed == {"iterations": "30"}  # the command line wins over params
    assert space.overrides({"d_steps": 2}) == ("d_steps=2", "iterations=30")
    grid = parse(None, ["d_steps=range(1, 4)", "data.batch_size=choice(32, 64)", "ema=range(0.9, 1.0, 0.05)"]).grid()
    assert grid == {"d_steps": [1, 2, 3], "data.batch_size": [32, 64], "ema": [0.9, 0.95]}


def test_a_grid_over_an_interval_is_refused_by_name():
    with pytest.raises(GANError, match="^the grid sampler needs choice.*; optimizer.g.lr is an interval$"):
        parse({"optimizer.g.lr": "interval(1e-4, 1e-3)"}, []).grid()


def sweeper_config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("train", overrides=["hparams_search=fid_optuna", *overrides], return_hydra_config=True)


def configured_sweeper(cfg):
    """The sweeper as Hydra builds it, with the config its setup() is given."""
    sweeper = instantiate(cfg.hydra.sweeper)
    sweeper.config = cfg
    return sweeper


@pytest.mark.parametrize(
    "choice,sampler", [("tpe", optuna.samplers.TPESampler), ("gp", optuna.samplers.GPSampler),
                       ("random", optuna.samplers.RandomSampler)],
)  # fmt: skip
def test_each_sampler_is_seeded_past_the_trials_a_study_holds(choice, sampler):
    cfg = sweeper_config(f"hydra/sweeper/sampler={choice}")
    sweeper = configured_sweeper(cfg)
    space = parse(sweeper.params, [])

    def draws(sampler: optuna.samplers.BaseSampler) -> list[float]:
        study = optuna.create_study(sampler=sampler)
        return [study.ask({"x": FloatDistribution(0, 1)}).params["x"] for _ in range(3)]  # start-up: seeded draws

    assert type(sweeper._sampler(space, stored_trials=0)) is sampler
    first = draws(sweeper._sampler(space, 0))
    assert first == draws(sweeper._sampler(space, 0))  # seeded: the same seed repeats its draws
    assert first != draws(sweeper._sampler(space, 3))  # a continued study's sampler draws anew


@pytest.mark.parametrize("n_jobs,liar", [(2, True), (1, False)])
def test_parallel_trials_count_the_running_ones_as_poor(n_jobs, liar):
    """constant_liar where trials run side by side, so that two trials asked at once do not land on one point."""
    cfg = sweeper_config(f"hydra.sweeper.n_jobs={n_jobs}")
    sampler = configured_sweeper(cfg)._sampler(parse(None, []), 0)
    assert sampler._constant_liar is liar


def test_the_grid_sampler_walks_the_params_choices():
    cfg = sweeper_config("hydra/sweeper/sampler=grid")
    with open_dict(cfg):
        cfg.hydra.sweeper.params = {"data.batch_size": "choice(32, 64)"}
    sweeper = configured_sweeper(cfg)
    space = parse(sweeper.params, [])
    grid = sweeper._sampler(space, 0)
    assert type(grid) is optuna.samplers.GridSampler and sweeper._total_trials(space) == 2  # 12 capped to the grid


def test_naming_a_sampler_as_a_value_gets_the_group_spelling(tmp_path):
    cfg = sweeper_config()
    with open_dict(cfg):
        cfg.hydra.sweeper.sampler = "gp"
    sweeper = configured_sweeper(cfg)
    with pytest.raises(GANError, match=r"choose a sampler with hydra/sweeper/sampler=gp \(tpe, gp, grid or random\)"):
        sweeper._sampler(parse(None, []), 0)


def test_the_front_holds_the_trials_no_other_beats_on_both(tmp_path):
    minutes = tag("wall_clock_s")
    points = {"0": (50.0, 60), "1": (40.0, 120), "2": (45.0, 130), "3": (30.0, 600), "4": (30.0, 700)}
    jobs = [Job(tmp_path / n, [f"trial={n}"], "completed", metrics={"val/fid": f, minutes: s}) for n, (f, s) in
            points.items()]  # fmt: skip
    goals = [("val/fid", "minimize"), (minutes, "minimize")]
    assert [job.folder.name for job in front(jobs, goals)] == ["3", "1", "0"]  # 2 and 4 are beaten on both
    assert [job.folder.name for job in front(jobs, [("val/fid", "maximize"), (minutes, "minimize")])] == ["0"]


@pytest.mark.slow
def test_a_search_of_fid_and_minutes_writes_its_pareto_front(mnist_dir, tmp_path):
    folder = tmp_path / "search"
    result = search(
        mnist_dir, folder, "hparams_search=fid_and_minutes", "hydra.sweeper.n_trials=3",
        "hydra.sweeper.sampler.n_startup_trials=3", "iterations=choice(2,4,6)", "model.generator.channels=choice(8,16)",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    study = optuna.load_study(study_name="fid_and_minutes", storage=f"sqlite:///{folder / 'study.db'}")
    assert [d.name for d in study.directions] == ["MINIMIZE", "MINIMIZE"]
    assert len(study.trials) == 3 and all(len(t.values) == 2 for t in study.trials)
    best = {t.number for t in study.best_trials}
    summary = (folder / "summary.md").read_text()
    section = summary.split("## Pareto front")[1]
    listed = {int(line.split("|")[1]) for line in section.splitlines() if line.startswith("| ") and "trial" not in line}
    assert listed == best  # the summary's front is Optuna's
    assert "iterations=" in section and (folder / "pareto.png").stat().st_size > 10_000
    solutions = yaml.safe_load((folder / "optimization_results.yaml").read_text())["solutions"]
    assert len(solutions) == len(best)


def test_a_study_of_optuna_2_10_is_upgraded_in_place_with_its_original_kept(tmp_path, caplog):
    path = tmp_path / "study.db"
    shutil.copy(OLD_STUDY, path)
    with caplog.at_level("INFO"):
        storage = open_storage(f"sqlite:///{path}")
    study = optuna.load_study(study_name="gan_fid", storage=storage)
    assert [t.value for t in study.trials] == [410.5, 388.25]  # the trials survive the upgrade
    kept = tmp_path / "study.db.schema-v2.6.0.a"
    assert kept.read_bytes() == OLD_STUDY.read_bytes()
    notices = [r.getMessage() for r in caplog.records if "Upgraded" in r.getMessage()]
    assert len(notices) == 1 and str(kept) in notices[0]
    open_storage(f"sqlite:///{path}")  # upgraded once: opened as it is
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.db", "study.db.schema-v2.6.0.a"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_dashboard_serves_the_study_a_search_wrote(mnist_dir, tmp_path):
    pytest.importorskip("optuna_dashboard", reason="optuna-dashboard is the [dashboard] extra")
    searches = tmp_path / "train" / "searches"
    result = search(
        mnist_dir, searches / "gan_fid", "hparams_search=fid_optuna", "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.n_startup_trials=2", "iterations=4",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    port = free_port()
    command = [sys.executable, "-m", "gan_lightning.dashboard", "--searches", str(searches), "--port", str(port)]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as response:
                    studies = json.loads(response.read())["study_summaries"]
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()[-3000:]
                assert time.monotonic() < deadline, "the dashboard never answered"
                time.sleep(0.2)
        assert [(s["study_name"], s["directions"]) for s in studies] == [("gan_fid", ["minimize"])]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{studies[0]['study_id']}") as response:
            trials = json.loads(response.read())["trials"]
        stored = optuna.load_study(study_name="gan_fid", storage=f"sqlite:///{searches / 'gan_fid' / 'study.db'}")
        assert sorted(t["values"][0] for t in trials) == sorted(t.value for t in stored.trials)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_dashboard_without_a_search_says_what_to_run(tmp_path):
    result = run_module("gan_lightning.dashboard", "--searches", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: no study under {tmp_path} (*/study.db): run a search first, e.g. hparams_search=fid_optuna"
    )
