"""What the quality metrics read for known image sets: `python -m gan_lightning.calibrate` (`make calibrate`).

Each set of 10,000 images is scored against the 10,000 test images, like `evaluate` scores a generator:
real training images (the floor a perfect generator reaches), one digit only (mode collapse), and noise.
"""

import argparse
import json
import logging
from pathlib import Path

import torch

from gan_lightning.cli.entry import exit_on_user_error, project_config
from gan_lightning.data.mnist import load_mnist, to_unit
from gan_lightning.quality.classifier import load_classifier
from gan_lightning.quality.metrics import QualityMetrics, score_sets
from gan_lightning.quality.prdc import NAMES

log = logging.getLogger(__name__)
COLUMNS = ("fid", "kid", "inception_score", "mode_kl", "mode_classes", "confidence", *NAMES)


def reference_sets(
    train_images: torch.Tensor, train_labels: torch.Tensor, n: int, seed: int = 0
) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    ones = train_images[train_labels == 1]
    return {
        "real training images": to_unit(train_images[torch.randperm(len(train_images), generator=generator)[:n]]),
        "one digit only (1s)": to_unit(ones[torch.randint(len(ones), (n,), generator=generator)]),
        "uniform noise": torch.rand(n, 1, 28, 28, generator=generator),
    }


def markdown_table(results: dict, classifier_hash: str) -> str:
    lines = [f"| vs the 10k test images (classifier {classifier_hash}) | " + " | ".join(COLUMNS) + " |"]
    lines.append("|---" * (len(COLUMNS) + 1) + "|")
    for name, row in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.4g}" for c in COLUMNS) + " |")
    return "\n".join(lines)


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cfg = project_config()
    paths = cfg.paths
    classifier, digest = load_classifier()
    train = load_mnist(paths.data_dir, train=True, download=False)
    test = load_mnist(paths.data_dir, train=False, download=False)
    results = score_sets(
        QualityMetrics(classifier, cfg.callbacks.sample_quality.kid_subset_size),
        to_unit(test.data),
        reference_sets(train.data, train.targets, len(test.data)),
    )
    out = Path(paths.log_dir) / "calibration.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"classifier_hash": digest, "results": results}, indent=2))
    print(markdown_table(results, digest))
    print(f"\n(written to {out})")


if __name__ == "__main__":
    main()
