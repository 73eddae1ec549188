"""How a generator fails, digit by digit, and whether it copies its training images. Used by `evaluate`.

All on the feature classifier: its predictions say which digit a fake is, its 128-d features where it lies.
"""

from pathlib import Path

import matplotlib
import torch

from gan_lightning.images import image_grid, save_png

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

NUM_CLASSES = 10


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """FID between two feature sets (N, D): |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))."""
    a, b = a.double(), b.double()
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # tr((S_a S_b)^(1/2)) is the sum of the square roots of the eigenvalues of S_a S_b (real, >= 0 up to rounding).
    root_trace = torch.linalg.eigvals(cov_a @ cov_b).real.clamp(min=0).sqrt().sum()
    return float((mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * root_trace)


def per_digit(
    fake_probs: torch.Tensor,
    fake_features: torch.Tensor,
    real_features: torch.Tensor,
    real_labels: torch.Tensor,
    min_fakes: int = 500,
) -> dict[int, dict[str, float | int | None]]:
    """For each digit the classifier sees among the fakes: how many, its share, the mean confidence, and the
    FID of those fakes against the real images of that digit (None below `min_fakes`: too few to estimate)."""
    confidence, predicted = fake_probs.max(dim=1)
    results = {}
    for digit in range(NUM_CLASSES):
        mine = predicted == digit
        count = int(mine.sum())
        fid = None
        if count >= min_fakes:
            fid = frechet_distance(fake_features[mine], real_features[real_labels == digit])
        results[digit] = {
            "count": count,
            "share": count / len(predicted),
            "confidence": float(confidence[mine].mean()) if count else None,
            "fid": fid,
        }
    return results


def nearest(queries: torch.Tensor, keys: torch.Tensor, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query, the distance to its nearest key and that key's index."""
    found = [torch.cdist(queries[i : i + chunk], keys).min(dim=1) for i in range(0, len(queries), chunk)]
    return torch.cat([f.values for f in found]), torch.cat([f.indices for f in found])


def memorization(
    fake_features: torch.Tensor, train_features: torch.Tensor, test_features: torch.Tensor, percentile: float = 1.0
) -> dict:
    """Do fakes sit closer to training images than real unseen images do?

    The threshold is the `percentile` of the real test images' distances to their nearest training image;
    a generator that copies training images puts far more than `percentile` % of its fakes below it.
    """
    fake_distance, fake_neighbour = nearest(fake_features, train_features)
    test_distance, _ = nearest(test_features, train_features)
    threshold = float(torch.quantile(test_distance, percentile / 100))
    return {
        "share_closer_than_test_percentile": float((fake_distance < threshold).float().mean()),
        "percentile": percentile,
        "threshold": threshold,
        "fake_median_distance": float(fake_distance.median()),
        "test_median_distance": float(test_distance.median()),
        "fake_distance": fake_distance,
        "train_neighbour": fake_neighbour,
    }


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
