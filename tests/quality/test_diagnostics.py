"""Per-digit quality and the memorization check, on feature sets whose answers are known."""

import numpy as np
import pytest
import scipy.linalg
import torch

from gan_lightning.quality.diagnostics import frechet_distance, memorization, nearest, per_digit
from gan_lightning.quality.plots import save_per_digit_chart


def reference_fid(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook formula with scipy's matrix square root (as pytorch-fid computes it)."""
    mean_a, mean_b, cov_a, cov_b = a.mean(0), b.mean(0), np.cov(a.T), np.cov(b.T)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def test_frechet_distance_matches_the_textbook_formula():
    torch.manual_seed(0)
    a, b = torch.randn(800, 6), torch.randn(700, 6) * 1.5 + 0.7
    assert frechet_distance(a, b) == pytest.approx(reference_fid(a.numpy(), b.numpy()), rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def one_hot(digits: list[int], confidence: float) -> torch.Tensor:
    probs = torch.full((len(digits), 10), (1 - confidence) / 9)
    probs[torch.arange(len(digits)), torch.tensor(digits)] = confidence
    return probs


def test_per_digit_counts_shares_confidence_and_fid_where_there_are_enough_fakes():
    torch.manual_seed(1)
    real_labels = torch.arange(1000) % 10  # 100 reals per digit, each digit around its own centre
    real_features = torch.randn(1000, 4) + real_labels[:, None].float()
    threes = real_features[real_labels == 3]
    fake_features = torch.cat([threes.repeat(6, 1), torch.randn(10, 4)])  # 600 threes that copy the real 3s
    fake_probs = torch.cat([one_hot([3] * 600, 0.9), one_hot([7] * 10, 0.6)])
    results = per_digit(fake_probs, fake_features, real_features, real_labels, min_fakes=500)
    assert results[3]["count"] == 600 and results[3]["share"] == pytest.approx(600 / 610)
    assert results[3]["confidence"] == pytest.approx(0.9) and results[7]["confidence"] == pytest.approx(0.6)
    assert results[3]["fid"] == pytest.approx(0.0, abs=0.1)  # the same distribution as the real 3s
    assert results[7]["fid"] is None  # 10 fakes: too few to estimate an FID
    assert results[0] == {"count": 0, "share": 0.0, "confidence": None, "fid": None}
    exactly = per_digit(fake_probs[100:], fake_features[100:], real_features, real_labels)  # 500 threes, defaults
    assert exactly[3]["count"] == 500 and exactly[3]["fid"] is not None  # 500 is enough
    assert per_digit(fake_probs[101:], fake_features[101:], real_features, real_labels)[3]["fid"] is None


def test_a_generator_that_outputs_training_images_is_caught():
    torch.manual_seed(2)
    train, test = torch.randn(2000, 8), torch.randn(300, 8)
    copies = memorization(train[:500].clone(), train, test)
    assert copies["share_closer_than_test_percentile"] == 1.0 and copies["fake_median_distance"] == 0.0
    fresh = memorization(torch.randn(500, 8), train, test)  # new samples of the same distribution
    assert fresh["share_closer_than_test_percentile"] < 0.05  # about the 1 % the threshold lets through
    test_distance = nearest(test, train)[0]
    assert copies["threshold"] == fresh["threshold"] == pytest.approx(float(torch.quantile(test_distance, 0.01)))
    assert copies["percentile"] == 1.0 and copies["test_median_distance"] == pytest.approx(
        float(test_distance.median())
    )
    assert torch.allclose(copies["fake_distance"], torch.zeros(500), atol=0.01)  # cdist's rounding, not a miss
    assert copies["train_neighbour"].tolist() == list(range(500))


def test_a_fake_exactly_at_the_threshold_is_not_counted_as_closer():
    train, test = torch.tensor([[0.0], [100.0]]), torch.tensor([[3.0], [50.0]])  # percentile 0: threshold 3
    result = memorization(torch.tensor([[3.0], [2.9]]), train, test, percentile=0.0)
    assert result["threshold"] == 3.0 and result["share_closer_than_test_percentile"] == 0.5


def test_nearest_finds_the_closest_key_across_chunks():
    keys = torch.tensor([[0.0], [10.0], [20.0]])
    distance, index = nearest(torch.tensor([[9.0], [21.0], [-1.0]]), keys, chunk=2)
    assert index.tolist() == [1, 2, 0] and distance.tolist() == [1.0, 1.0, 1.0]


def test_the_per_digit_chart_is_written(tmp_path):
    results = {d: {"count": 1, "share": 0.1, "confidence": 0.9, "fid": None if d else 5.0} for d in range(10)}
    save_per_digit_chart(results, tmp_path / "per_digit.png")
    assert (tmp_path / "per_digit.png").stat().st_size > 10_000
