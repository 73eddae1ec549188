"""The project's Hydra sweeper over Optuna's ask-and-tell API (Optuna 4 and 5), continuing a stored study.

It reads the keys of Hydra's own Optuna sweeper (`storage`, `study_name`, `n_trials`, `n_jobs`, `direction`
or `directions`, `sampler`, `params` with choice/range/interval/tag(log)), so `hparams_search/*.yaml` read as
they would there. What it adds:

- **A rerun continues the study.** The trials a stored study finished count towards `n_trials`; a trial
  left running by a killed search counts as complete if its run finished (its metrics.json holds the
  optimized metrics) and as failed otherwise (a FAILED file in its folder). New trials are numbered after
  the old ones, so every trial keeps its own job folder.
- **The sampler continues too.** It is seeded with the configured seed plus the number of stored trials, so
  its random start-up trials do not replay the first run's draws. Trials asked side by side (`n_jobs` > 1)
  get `constant_liar` where the sampler has it: a running trial counts as a poor result, so two trials
  asked at once do not land on the same point.
- **Two objectives** (`directions: [minimize, minimize]`, `optimized_metric: [val/fid, ...]`): each trial
  returns one value per metric; optimization_results.yaml holds the Pareto front (and the sweep summary
  draws it: gan_lightning/sweeps/pareto.py).
- **An old study.db** is upgraded to today's schema on first use, its original kept beside it
  (gan_lightning/sweeps/study_storage.py).
"""

import inspect
import json
import logging
import math
import sys
import warnings
from pathlib import Path

import optuna
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf
from optuna.trial import TrialState

from gan_lightning.core.errors import GANError
from gan_lightning.sweeps.study_storage import open_storage
from hydra_plugins.gan_lightning_optuna.search_space import SearchSpace, parse

log = logging.getLogger(__name__)
DIRECTIONS = ("minimize", "maximize")


class SweeperError(GANError):
    """A sweeper setting that cannot work, said in one line."""


def objectives(config: DictConfig) -> list[str]:
    """The metric names a trial returns (optimized_metric: one name or a list)."""
    wanted = config.get("optimized_metric")
    return list(wanted) if isinstance(wanted, ListConfig) else [wanted]


def finished_values(folder: Path, metrics: list[str]) -> list[float] | None:
    """The optimized metrics of a trial whose run finished (its metrics.json), else None."""
    result = folder / "metrics.json"
    if not result.exists():
        return None
    found = json.loads(result.read_text())["metrics"]
    return [found[name] for name in metrics] if all(name in found for name in metrics) else None


class OptunaSweeper(Sweeper):
    def __init__(
        self,
        sampler: DictConfig | str,  # its config (_recursive_: false): the sweeper builds it, seeded
        storage: str | None = None,
        study_name: str | None = None,
        n_trials: int = 20,
        n_jobs: int = 1,
        direction: str | list[str] | None = "minimize",
        directions: list[str] | None = None,
        max_failure_rate: float = 0.0,
        params: DictConfig | None = None,
    ) -> None:
        self.sampler_config = sampler
        self.storage = storage
        self.study_name = study_name
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.direction = direction
        self.directions = directions
        self.max_failure_rate = max_failure_rate
        self.params = OmegaConf.to_container(params) if isinstance(params, DictConfig) else params
        self.config: DictConfig | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )
        self.sweep_dir = Path(config.hydra.sweep.dir)

    def sweep(self, arguments: list[str]) -> None:
        try:
            self._sweep(arguments)
        except GANError as err:  # a setting, a search space or a storage that cannot work: one line
            sys.exit(f"error: {err}")

    def _sweep(self, arguments: list[str]) -> None:
        directions = self._directions()
        metrics = objectives(self.config)
        if len(metrics) != len(directions):
            raise SweeperError(
                f"{len(directions)} direction(s) {directions} for {len(metrics)} optimized metric(s) {metrics}: "
                "give one direction per metric"
            )
        space = parse(self.params, arguments)
        storage = open_storage(self.storage)
        stored = self._settle_stored_trials(storage, directions, metrics)
        sampler = self._sampler(space, stored)
        study = optuna.create_study(
            study_name=self.study_name, storage=storage, sampler=sampler, directions=directions, load_if_exists=True
        )
        done = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
        to_go = max(self._total_trials(space) - len(done), 0)
        job_index = len(study.trials)  # new trials get new folders
        log.info(
            "Study %s (%s, %s): %d trials done, %d to go",
            study.study_name, type(sampler).__name__, " and ".join(directions), len(done), to_go,
        )  # fmt: skip
        while to_go > 0:
            batch = min(to_go, self.n_jobs)
            trials = [study.ask(space.distributions) for _ in range(batch)]
            returns = self.launcher.launch([space.overrides(t.params) for t in trials], initial_job_idx=job_index)
            job_index += len(returns)
            failures = [
                self._tell(study, trial, job, len(directions)) for trial, job in zip(trials, returns, strict=True)
            ]
            self._write_results(study, metrics)
            failed = sum(failures)
            if failed / len(returns) > self.max_failure_rate:
                raise SweeperError(
                    f"{failed} of {len(returns)} trials failed (max_failure_rate={self.max_failure_rate}); "
                    f"why is in their job folders under {self.sweep_dir}"
                )
            to_go -= batch

    def _directions(self) -> list[str]:
        if self.directions is not None and self.direction not in (None, "minimize"):
            raise SweeperError("hydra.sweeper sets both direction and directions: keep one")
        chosen = self.directions if self.directions is not None else self.direction
        chosen = [chosen] if isinstance(chosen, str) else list(chosen)
        wrong = [d for d in chosen if d not in DIRECTIONS]
        if wrong or not chosen:
            raise SweeperError(f"hydra.sweeper direction(s) {chosen}: each one must be minimize or maximize")
        return chosen

    def _total_trials(self, space: SearchSpace) -> int:
        if isinstance(self.sampler_config, DictConfig) and self.sampler_config.get("_partial_"):
            return min(self.n_trials, math.prod(len(values) for values in space.grid().values()))
        return self.n_trials

    def _sampler(self, space: SearchSpace, stored_trials: int) -> optuna.samplers.BaseSampler:
        """The configured sampler, seeded past the stored trials, with constant_liar for parallel trials."""
        config = self.sampler_config
        if not isinstance(config, DictConfig):
            raise SweeperError(
                f"hydra.sweeper.sampler={config} replaces the sampler's settings (its seed among them): choose a "
                f"sampler with hydra/sweeper/sampler={config} (tpe, gp, grid or random)"
            )
        target = get_class(config._target_)
        accepted = inspect.signature(target).parameters
        settings = OmegaConf.to_container(config)
        ignored = [key for key in settings if not key.startswith("_") and key not in accepted]
        for key in ignored:  # e.g. n_startup_trials, which a grid has no use for
            log.info("%s takes no %s: left out", target.__name__, key)
            settings.pop(key)
        if settings.get("seed") is not None:
            settings["seed"] += stored_trials
        if "constant_liar" in accepted:  # said either way: Optuna 4 and 5 differ in its default
            settings["constant_liar"] = self.n_jobs > 1
        with warnings.catch_warnings():  # constant_liar and GPSampler are chosen knowing they are experimental
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            sampler = instantiate(settings)
            return sampler(space.grid()) if settings.get("_partial_") else sampler

    def _settle_stored_trials(self, storage, directions: list[str], metrics: list[str]) -> int:
        """Settle the trials a killed search left running; the number of trials the study holds."""
        if storage is None:
            return 0
        try:
            study = optuna.load_study(study_name=self.study_name, storage=storage)
        except KeyError:
            return 0  # a new study
        stored = [d.name.lower() for d in study.directions]
        if stored != directions:
            raise SweeperError(
                f"study {self.study_name} in {self.storage} was made to {' and '.join(stored)}, not to "
                f"{' and '.join(directions)}: give this search its own study_name"
            )
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
            folder = self.sweep_dir / str(trial.number)  # left running by the killed search: same number
            values = finished_values(folder, metrics)
            if values is not None:
                study.tell(trial.number, values)
            else:
                study.tell(trial.number, state=TrialState.FAIL)
                if folder.is_dir():
                    (folder / "FAILED").write_text("Interrupted: the search was killed\n")
        return len(study.trials)

    @staticmethod
    def _tell(study: optuna.Study, trial: optuna.Trial, job, objectives_count: int) -> bool:
        """Tell the study what the trial's job returned; True when it failed."""
        try:
            returned = job.return_value  # raises what the job raised
            values = list(returned) if isinstance(returned, list | tuple | ListConfig) else [returned]
            values = [float(v) for v in values]
            if len(values) != objectives_count:
                raise ValueError(f"returned {len(values)} values for {objectives_count} objectives")
        except Exception as err:  # noqa: BLE001 - a failed trial is recorded, the search goes on
            log.warning("Trial %d failed: %s", trial.number, " ".join(str(err).split())[:300])
            study.tell(trial, state=TrialState.FAIL)
            return True
        if any(math.isnan(v) for v in values):
            log.warning("Trial %d returned NaN: recorded as failed", trial.number)
            study.tell(trial, state=TrialState.FAIL)
            return True
        study.tell(trial, values)
        return False

    def _write_results(self, study: optuna.Study, metrics: list[str]) -> None:
        """optimization_results.yaml: the best trial, or the Pareto front of several metrics."""
        complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
        if not complete:
            return
        if len(metrics) == 1:
            best = study.best_trial
            results = {"name": "optuna", "best_params": best.params, "best_value": best.value}
        else:
            front = [{"params": t.params, "values": t.values} for t in study.best_trials]
            results = {"name": "optuna", "solutions": front}
        OmegaConf.save(OmegaConf.create(results), self.sweep_dir / "optimization_results.yaml")
