"""Hydra's Optuna sweeper, continuing a stored study where a killed search left it.

`hparams_search=fid_optuna` keeps its study in `<search folder>/study.db` (SQLite). Rerunning the same
command opens that study: the trials it finished count towards `n_trials`; a trial that was running when
the search was killed counts as complete if its run had finished (its metrics.json holds the optimized
metric) and as failed otherwise (with a FAILED file in its folder); the new trials are numbered after the
old ones, so each keeps its own folder and the sweep summary covers all of them. The sampler continues the
study rather than starting over: it is seeded with the configured seed plus the number of trials stored, so
its random start-up trials do not replay the draws of the first run. Trials that run side by side
(`n_jobs` > 1) get TPE's `constant_liar`: a trial still running counts as a poor result, so two trials asked
at once do not land on the same point.
"""

import inspect
import json
import logging
import warnings
from pathlib import Path

import optuna
from hydra.utils import instantiate
from hydra_plugins.hydra_optuna_sweeper.optuna_sweeper import OptunaSweeper
from optuna.trial import TrialState

log = logging.getLogger(__name__)
SQLITE = "sqlite:///"


def _finished_value(folder: Path, metric: str) -> float | None:
    """The optimized metric of a trial whose run finished (its metrics.json), else None."""
    result = folder / "metrics.json"
    return json.loads(result.read_text())["metrics"].get(metric) if result.exists() else None


class ResumableOptunaSweeper(OptunaSweeper):
    def sweep(self, arguments: list[str]) -> None:
        search = self.sweeper  # the plugin's implementation holds the settings
        if search.storage and str(search.storage).startswith(SQLITE):
            Path(str(search.storage).removeprefix(SQLITE)).parent.mkdir(parents=True, exist_ok=True)
        stored = self._continue_stored_study(search) if search.storage else 0
        search.sampler = self._sampler(search, stored)
        return super().sweep(arguments)

    @staticmethod
    def _sampler(search, stored_trials: int) -> optuna.samplers.BaseSampler:
        """The configured sampler, seeded past the stored trials, with constant_liar for parallel trials."""
        config = search.config.hydra.sweeper.sampler
        settings = {}
        if config.get("seed") is not None:
            settings["seed"] = config.seed + stored_trials
        if search.n_jobs > 1 and "constant_liar" in inspect.signature(type(search.sampler)).parameters:
            settings["constant_liar"] = True
        with warnings.catch_warnings():  # constant_liar is chosen knowing Optuna calls it experimental
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            return instantiate(config, **settings) if settings else search.sampler

    @staticmethod
    def _continue_stored_study(search) -> int:
        """Settle the trials a killed search left running; the number of trials the study holds."""
        try:
            study = optuna.load_study(study_name=search.study_name, storage=search.storage)
        except KeyError:
            return 0  # a new study
        sweep_dir = Path(search.config.hydra.sweep.dir)
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
            # Left running by the killed search: its job folder has the same number.
            result = _finished_value(sweep_dir / str(trial.number), search.config.optimized_metric)
            if result is not None:
                study.tell(trial.number, result)
            else:
                study.tell(trial.number, state=TrialState.FAIL)
                if (sweep_dir / str(trial.number)).is_dir():
                    (sweep_dir / str(trial.number) / "FAILED").write_text("Interrupted: the search was killed\n")
        done = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
        search.n_trials = max(search.n_trials - len(done), 0)
        search.job_idx = len(study.trials)  # new trials get new folders
        log.info("Continuing study %s: %d trials done, %d to go", search.study_name, len(done), search.n_trials)
        return len(study.trials)
