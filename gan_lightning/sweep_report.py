"""Summarize a sweep folder by hand: `python -m gan_lightning.sweep_report outputs/train/multiruns/<time>`.

Writes summary.csv, summary.md, curves.png and samples.png into the folder (what the multirun's own callback
writes after every job) and prints summary.md.
"""

import sys
from pathlib import Path

from gan_lightning.sweeps.report import write_summary


def main() -> None:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python -m gan_lightning.sweep_report <sweep folder>   (e.g. outputs/train/multiruns/<time>)")
    jobs = write_summary(sys.argv[1])
    print((Path(sys.argv[1]) / "summary.md").read_text())
    print(f"{len(jobs)} jobs; wrote summary.csv, summary.md, curves.png and samples.png in {sys.argv[1]}")


if __name__ == "__main__":
    main()
