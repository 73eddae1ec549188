"""How a generator fails, digit by digit, and whether it copies its training images. Used by `evaluate`.

All on the feature classifier: its predictions say which digit a fake is, its 128-d features where it lies.
The pictures of these results are drawn by quality/plots.py.
"""

import torch

from gan_lightning.data.labels import DIGITS
from gan_lightning.quality.prdc import precision_recall_density_coverage


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
    for digit in range(DIGITS):
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


def per_class(
    asked: torch.Tensor,
    fake_probs: torch.Tensor,
    fake_features: torch.Tensor,
    real_features: torch.Tensor,
    real_labels: torch.Tensor,
    min_fakes: int = 500,
    prdc_k: int = 5,
) -> dict:
    """A conditional G, digit by digit, on the fakes asked for each digit: the share the classifier reads as that
    digit (asked-for accuracy), their FID against that digit's real images (intra-class FID; None below
    `min_fakes`) and their precision / recall / density / coverage against those images; with the accuracy over
    all fakes and the mean of the intra-class FIDs."""
    read = fake_probs.argmax(dim=1)
    digits = {}
    for digit in range(DIGITS):
        mine, real = asked == digit, real_features[real_labels == digit]
        count = int(mine.sum())
        enough = count >= min_fakes
        digits[digit] = {
            "asked": count,
            "accuracy": float((read[mine] == digit).double().mean()) if count else None,
            "fid": frechet_distance(fake_features[mine], real) if enough else None,
            **(precision_recall_density_coverage(real, fake_features[mine], prdc_k) if enough else {}),
        }
    fids = [d["fid"] for d in digits.values() if d["fid"] is not None]
    return {
        "accuracy": float((read == asked).double().mean()),
        "mean_intra_fid": sum(fids) / len(fids) if fids else None,
        "digits": digits,
    }


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
