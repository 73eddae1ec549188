"""Every Optuna search in one optuna-dashboard: `python -m gan_lightning.dashboard` (or `make dashboard`).

Each search keeps its study in outputs/train/searches/<study>/study.db. The dashboard serves one storage, so
this command copies every study it finds there into one in-memory storage and serves that at
http://127.0.0.1:8080 (history, parameter importances, the Pareto front of a two-objective search). It is
a snapshot: restart it to see trials finished since. optuna-dashboard is an optional extra:
`pip install -e '.[dashboard]'` (`make install` brings it).

Examples:
    python -m gan_lightning.dashboard
    python -m gan_lightning.dashboard --port 8081
    python -m gan_lightning.dashboard --searches /scratch/outputs/train/searches
"""

import argparse
import logging
from pathlib import Path

import optuna

from gan_lightning.cli.entry import exit_on_user_error, project_config
from gan_lightning.core.errors import GANError
from gan_lightning.core.paths import train_runs
from gan_lightning.sweeps.study_storage import open_storage

log = logging.getLogger("gan_lightning.dashboard")  # also when run as __main__


def gather(searches: Path) -> optuna.storages.InMemoryStorage:
    """One storage holding a copy of every study in searches/*/study.db."""
    files = sorted(searches.glob("*/study.db"))
    if not files:
        raise GANError(f"no study under {searches} (*/study.db): run a search first, e.g. hparams_search=fid_optuna")
    storage = optuna.storages.InMemoryStorage()
    for path in files:
        stored = open_storage(f"sqlite:///{path}")  # a study of an older Optuna is upgraded (a copy kept)
        for summary in optuna.get_all_study_summaries(stored, include_best_trial=False):
            optuna.copy_study(from_study_name=summary.study_name, from_storage=stored, to_storage=storage)
            log.info("%s: %s (%d trials)", path, summary.study_name, summary.n_trials)
    return storage


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve every Optuna search in optuna-dashboard.")
    parser.add_argument("--searches", type=Path, help="the folder of the searches (default: outputs/train/searches)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to serve on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("gan_lightning").setLevel(logging.INFO)

    @exit_on_user_error
    def command() -> None:
        searches = args.searches or train_runs(project_config().paths.log_dir) / "searches"
        storage = gather(searches)
        try:
            from optuna_dashboard import run_server
        except ImportError:
            raise GANError("optuna-dashboard is an optional extra: pip install -e '.[dashboard]'") from None
        print(f"optuna-dashboard on http://{args.host}:{args.port} (a snapshot of {searches}; Ctrl-C stops it)")
        run_server(storage, host=args.host, port=args.port)

    command()


if __name__ == "__main__":
    main()
