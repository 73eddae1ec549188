"""Pictures of `evaluate`'s diagnostics: the closest fake/training pairs and the per-digit chart."""

from pathlib import Path

import matplotlib
import torch

from gan_lightning.data.images import image_grid, save_png

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def save_closest_pairs(
    fakes: torch.Tensor, train: torch.Tensor, result: dict, path: Path, pairs: int = 16, scale: int = 3
) -> None:
    """The `pairs` fakes closest to a training image, each beside that image (fake left, training image right),
    four pairs a row, enlarged `scale` times so that the strokes can be compared."""
    order = result["fake_distance"].argsort()[:pairs]
    images = torch.stack([image for i in order for image in (fakes[i], train[result["train_neighbour"][i]])])
    grid = image_grid(images, cols=8)
    save_png(grid.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2), path)


def save_per_digit_chart(results: dict[int, dict], path: Path) -> None:
    """Bars per digit: share of the fakes (left axis) and FID against that digit's real images (right)."""
    digits = list(results)
    fig, (share_ax, fid_ax) = plt.subplots(1, 2, figsize=(11, 3.6))
    share_ax.bar(digits, [results[d]["share"] for d in digits], color="tab:blue")
    share_ax.axhline(0.1, color="grey", ls="--", lw=1, label="uniform (0.1)")
    share_ax.set(title="share of the fakes per predicted digit", xticks=digits, xlabel="digit")
    share_ax.legend()
    fids = [results[d]["fid"] if results[d]["fid"] is not None else 0 for d in digits]
    fid_ax.bar(digits, fids, color="tab:orange")
    fid_ax.set(
        title="FID of each digit's fakes vs its real images", xticks=digits, xlabel="digit (no bar: < 500 fakes)"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
