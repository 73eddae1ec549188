"""Hydra's Optuna sweeper, continuing a stored study where a killed search left it.

`hparams_search=fid_optuna` keeps its study in `<search folder>/study.db` (SQLite). Rerunning the same
command opens that study: the trials it finished count towards `n_trials`; a trial that was running when
the search was killed counts as complete if its run had finished (its metrics.json holds the optimized
metric) and as failed otherwise (with a FAILED file in its folder); the new trials are numbered after the
old ones, so each keeps its own folder and the sweep summary covers all of them.
"""

import json
import logging
from pathlib import Path

import optuna
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
        if search.storage:
            self._continue_stored_study(search)
        return super().sweep(arguments)

    @staticmethod
    def _continue_stored_study(search) -> None:
        try:
            study = optuna.load_study(study_name=search.study_name, storage=search.storage)
        except KeyError:
            return  # a new study
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
