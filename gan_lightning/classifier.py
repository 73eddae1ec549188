"""Retrain the feature classifier behind FID/KID/IS: `python -m gan_lightning.classifier` (`make classifier`).

The shipped weights are the default everywhere; a retrained file is written as mnist_classifier-<hash>.pt
into paths.cache_dir and used with `classifier=<that file>`. A second judge, built without convolutions:

    python -m gan_lightning.classifier --architecture mlp --seed 1
"""

import argparse
import logging

from gan_lightning.cli.entry import exit_on_user_error, project_config
from gan_lightning.quality.classifier import ARCHITECTURES, save_classifier, train_classifier


def main(argv: list[str] | None = None) -> None:
    """Retrain the classifier on the configured data folder into paths.cache_dir; `make classifier`."""
    parser = argparse.ArgumentParser(description="Retrain the feature classifier of FID/KID/IS.")
    parser.add_argument("--architecture", choices=list(ARCHITECTURES), default="cnn")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    paths = project_config().paths

    @exit_on_user_error
    def retrain() -> None:
        model, test_accuracy = train_classifier(paths.data_dir, seed=args.seed, architecture=args.architecture)
        path = save_classifier(model, test_accuracy, paths.cache_dir)
        print(f"test accuracy {test_accuracy:.4f}; wrote {path}")
        print(f"score with it: python -m gan_lightning.train classifier={path}")

    retrain()


if __name__ == "__main__":
    main()
