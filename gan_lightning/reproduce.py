"""Rerun a results page: `python -m gan_lightning.reproduce <study>` (`--list` names them).

Trains the study's runs (one Hydra multirun per group, through the configured launcher; add overrides such
as `hydra/launcher=parallel torch_threads=1`), continues where it stopped when rerun, and writes into
outputs/reproduce/<study>/<date>_<time>/: results.json (every run and the machine), tables.md (the page's
tables), comparison.md (yours against the published numbers, a Welch 95 % interval and a verdict per group),
curves.png and samples.png. `--smoke` runs the study at a tiny budget (4 iterations, two seeds) into a
temporary folder.

    python -m gan_lightning.reproduce --list
    python -m gan_lightning.reproduce minimax-vs-nonsaturating
    python -m gan_lightning.reproduce minimax-vs-nonsaturating --smoke
    python -m gan_lightning.reproduce --publish outputs/reproduce/minimax-vs-nonsaturating/<date>_<time>
"""

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from gan_lightning.cli.entry import exit_on_user_error, project_config
from gan_lightning.studies.catalog import STUDIES, StudyError, find_study
from gan_lightning.studies.pages import published, published_file, render_pages
from gan_lightning.studies.report import write_report
from gan_lightning.studies.results import RESULTS_FILE, finished, read_results
from gan_lightning.studies.runner import run_study, study_folder

log = logging.getLogger("gan_lightning.reproduce")  # also when run as __main__


def list_studies() -> str:
    lines = []
    for study in STUDIES.values():
        found = published(study.name)
        when = f"published {found['date']}" if found else "not published yet"
        lines.append(f"{study.name:<26}{study.run_count():>3} runs  docs/results/{study.page}.md ({when})")
        lines.append(f"{'':<26}{study.question}")
    return "\n".join(lines)


def publish(folder: Path) -> str:
    """Make a finished reproduction the published one: its results file into docs/results/data/, pages rerendered."""
    path = folder / RESULTS_FILE
    if not path.exists():
        raise StudyError(f"{folder} holds no {RESULTS_FILE}: give the folder a reproduction wrote")
    results = read_results(path)
    if results["smoke"] or not finished(results):
        raise StudyError(f"{path} is a smoke run or not finished: only a whole study is published")
    target = published_file(results["study"])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    changed = render_pages()
    return f"published {target}; pages rerendered: {', '.join(str(p) for p in changed) or 'none changed'}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rerun the study behind a results page.")
    parser.add_argument("study", nargs="?", help="a study name (--list shows them)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every run, e.g. hydra/launcher=parallel")
    parser.add_argument("--list", action="store_true", help="name every study")
    parser.add_argument("--smoke", action="store_true", help="a tiny budget: 4 iterations, two seeds")
    parser.add_argument("--render-pages", action="store_true", help="rewrite the pages' tables from docs/results/data")
    parser.add_argument("--publish", type=Path, metavar="FOLDER", help="publish a finished reproduction")
    args = parser.parse_intermixed_args(argv)  # overrides may follow --smoke
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("gan_lightning").setLevel(logging.INFO)  # the project's lines, not every library's

    @exit_on_user_error
    def command() -> None:
        if args.list:
            print(list_studies())
        elif args.render_pages:
            changed = render_pages()
            print("rerendered: " + (", ".join(str(p) for p in changed) or "nothing changed"))
        elif args.publish:
            print(publish(args.publish))
        elif args.study:
            reproduce(args.study, args.smoke, args.overrides)
        else:
            parser.error("name a study, or --list")

    command()


def reproduce(name: str, smoke: bool, extra: list[str]) -> None:
    study = find_study(name)
    # A smoke run's files only show that the study runs: a temporary folder, not outputs/.
    root = Path(tempfile.gettempdir()) / "gan_lightning-smoke" if smoke else project_config().paths.log_dir
    folder, continued = study_folder(study, root, smoke, extra)
    log.info("%s %s: %s", "Continuing" if continued else "Running", study.name, folder)
    try:
        run_study(study, folder, smoke, extra)
    except KeyboardInterrupt:
        write_report(study, folder, smoke, extra)
        sys.exit(f"stopped; the same command continues it (finished runs are kept): {folder}")
    print(write_report(study, folder, smoke, extra))
    print(f"tables, comparison and pictures: {folder}")


if __name__ == "__main__":
    main()
