"""Precision, recall, density and coverage on feature sets whose answers are known."""

import pytest
import torch

from gan_lightning.quality.prdc import PrecisionRecallDensityCoverage, knn_radii, precision_recall_density_coverage


def points(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).unsqueeze(1)


def test_a_worked_example_in_one_dimension():
    """Reals 0, 1, 2, 10 and fakes 0.5, 5, 20 with k = 1 (worked by hand in the comments)."""
    real, fake = points(0, 1, 2, 10), points(0.5, 5, 20)
    # real balls: radii 1, 1, 1, 8; fake balls: radii 4.5, 4.5, 15
    assert knn_radii(real, k=1).tolist() == [1, 1, 1, 8] and knn_radii(fake, k=1).tolist() == [4.5, 4.5, 15]
    assert knn_radii(points(0, 3), k=1).tolist() == [3, 3]  # k + 1 points are enough
    result = precision_recall_density_coverage(real, fake, k=1)
    assert result["precision"] == pytest.approx(2 / 3)  # 0.5 (in 0's ball) and 5 (in 10's); 20 in none
    assert result["recall"] == 1.0  # every real lies in some fake ball (10 in 20's, radius 15)
    assert result["density"] == pytest.approx(3 / 3)  # 0.5 in two real balls, 5 in one, 20 in none
    assert result["coverage"] == 0.75  # the nearest fake of 0, 1 and 10 is inside their ball; of 2 it is not


def test_identical_sets_score_one_and_far_apart_sets_zero():
    torch.manual_seed(0)
    real = torch.randn(300, 8)
    same = precision_recall_density_coverage(real, real.clone(), k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    assert same["density"] >= 1.0  # each fake sits at least in its own real's ball
    apart = precision_recall_density_coverage(real, torch.randn(200, 8) + 100, k=5)
    assert apart == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_fakes_from_the_same_distribution_have_density_near_one():
    torch.manual_seed(1)
    result = precision_recall_density_coverage(torch.randn(2000, 4), torch.randn(2000, 4), k=5)
    assert 0.9 < result["density"] < 1.1 and result["precision"] > 0.9 and result["recall"] > 0.9
    assert 0.9 < result["coverage"] <= 1.0


def test_a_collapsed_generator_is_precise_but_recalls_and_covers_almost_nothing():
    torch.manual_seed(2)
    real = torch.randn(500, 6)
    collapsed = real[:1].repeat(400, 1)  # every fake is the same real-looking image
    result = precision_recall_density_coverage(real, collapsed, k=5)
    assert result["precision"] == 1.0
    assert result["recall"] == 1 / 500  # fake balls have radius 0: only that one real is inside
    assert result["coverage"] < 0.05


def test_chunks_do_not_change_the_answer():
    torch.manual_seed(3)
    real, fake = torch.randn(257, 5), torch.randn(131, 5) * 1.3
    whole = precision_recall_density_coverage(real, fake, k=3, chunk=10_000)
    assert precision_recall_density_coverage(real, fake, k=3, chunk=7) == whole


def test_the_metric_keeps_real_features_across_a_reset():
    metric = PrecisionRecallDensityCoverage(torch.nn.Flatten(), k=1)
    real = torch.tensor([[0.0], [1.0], [2.0], [10.0]]).view(4, 1, 1, 1)
    metric.update(real[:2], real=True)
    metric.update(real[2:], real=True)
    metric.update(torch.tensor([0.5, 5.0, 20.0]).view(3, 1, 1, 1), real=False)
    assert metric.compute()["coverage"] == 0.75
    metric.reset()
    metric.update(real, real=False)  # fakes identical to the kept reals
    # density: the real balls (radii 1, 1, 1, 8) hold the fakes 0, 1, 2, 10 twice, 3, 3 and once: 9 / (1 x 4)
    assert metric.compute() == {"precision": 1.0, "recall": 1.0, "density": 2.25, "coverage": 1.0}


def test_a_real_whose_nearest_fake_sits_on_its_ball_is_covered():
    result = precision_recall_density_coverage(points(0, 2, 4), points(6, 20), k=1)  # real radii 2; 6 is 2 from 4
    assert result["coverage"] == pytest.approx(1 / 3)


def test_k_is_five_unless_told():
    torch.manual_seed(4)
    real, fake = torch.randn(300, 3), torch.randn(200, 3) * 1.2
    default = precision_recall_density_coverage(real, fake)
    assert (
        default
        == precision_recall_density_coverage(real, fake, k=5)
        != precision_recall_density_coverage(real, fake, k=6)
    )
    assert PrecisionRecallDensityCoverage(torch.nn.Flatten()).k == 5
