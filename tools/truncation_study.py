"""The truncation trick's trade-off for one trained generator: FID, precision, recall, density and coverage
of n samples at each truncation radius, against the 10,000 MNIST test images (GAN_DATA_DIR), as a
Markdown table (docs: Results > Ask for a digit).

    python tools/truncation_study.py outputs/train/multiruns/<date>_<time>/0/checkpoints/last.ckpt

A conditional generator draws a uniform mix of digits (the same for every radius), and a last column says
how many the feature classifier reads as the digit asked for; every radius draws from the same seed, so the
rows differ by the truncation alone.
"""

import argparse

import torch

from gan_lightning import load_generator, score
from gan_lightning.gan.sampling import digit_labels
from gan_lightning.quality.classifier import load_classifier

RADII = (None, 2.0, 1.5, 1.0, 0.7, 0.5)
COLUMNS = ("fid", "precision", "recall", "density", "coverage")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ckpt_path", help="a checkpoint, a run folder, last / best, or an exported folder")
    parser.add_argument("--n", type=int, default=10000, help="samples per radius (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generator = load_generator(args.ckpt_path)
    asked = digit_labels(args.n, None, args.seed) if generator.num_classes else None  # what sample() asks for
    classifier, _ = load_classifier(None)
    extra = ["read as asked"] if asked is not None else []
    print("| truncation | " + " | ".join([*COLUMNS, *extra]) + " |")
    print("|---" * (len(COLUMNS) + len(extra) + 1) + "|")
    for radius in RADII:
        images = generator.sample(args.n, seed=args.seed, truncation=radius)
        metrics = score(images)
        cells = [f"{metrics[name]:.3f}" if name != "fid" else f"{metrics[name]:.1f}" for name in COLUMNS]
        if asked is not None:
            with torch.no_grad():
                read = torch.cat([classifier(batch).argmax(dim=1) for batch in images.split(1000)])
            cells.append(f"{(read == asked).double().mean() * 100:.1f} %")
        print(f"| {radius or 'none'} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
