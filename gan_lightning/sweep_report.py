"""Summarize a sweep folder by hand: `python -m gan_lightning.sweep_report outputs/train/multiruns/<time>`.

Writes summary.csv, summary.md, curves.png and samples.png into the folder (what the multirun's own callback
writes after every job) and prints summary.md.
"""

import argparse
from pathlib import Path

from gan_lightning.sweeps.report import write_summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a multirun folder, e.g. outputs/train/multiruns/2026-01-01_12-00-00")
    folder = parser.parse_args(argv).folder
    if not folder.is_dir():
        parser.error(f"{folder} is not a folder")
    jobs = write_summary(folder)
    print((folder / "summary.md").read_text())
    print(f"{len(jobs)} jobs; wrote summary.csv, summary.md, curves.png and samples.png in {folder}")


if __name__ == "__main__":
    main()
