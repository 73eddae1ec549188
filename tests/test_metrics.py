"""The quality metrics behave as their definitions promise, on a tiny classifier trained on tiny data."""

import hashlib

import pytest
import torch

from gan_lightning.calibrate import calibrate, reference_sets
from gan_lightning.classifier import load_classifier, save_classifier, train_classifier
from gan_lightning.data import load_mnist
from gan_lightning.metrics import ModeCoverage, QualityMetrics
from tests.conftest import write_mnist


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = write_mnist(tmp_path_factory.mktemp("digits"), n_train=600, n_test=200)
    train, test = load_mnist(root, train=True, download=False), load_mnist(root, train=False, download=False)
    return root, train, test


@pytest.fixture(scope="module")
def classifier(digits):
    model, test_accuracy = train_classifier(str(digits[0]), epochs=4, batch_size=32)
    assert test_accuracy > 0.9  # the synthetic digits are easy
    return model


def unit(images: torch.Tensor) -> torch.Tensor:
    return images.unsqueeze(1).float() / 255


def test_a_retrained_classifier_is_saved_under_its_hash_and_loads_back(classifier, digits, tmp_path):
    path = save_classifier(classifier, 0.95, tmp_path)
    loaded, digest = load_classifier(path)
    assert path.name == f"mnist_classifier-{digest}.pt" and digest == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    images = unit(digits[2].data[:50])
    with torch.no_grad():  # float16 weights: the same predictions within rounding
        torch.testing.assert_close(loaded(images), classifier(images), rtol=1e-2, atol=2e-2)


def test_fid_of_a_set_against_itself_is_about_zero(classifier, digits):
    metrics = QualityMetrics(classifier, kid_subset_size=100)
    images = unit(digits[2].data)
    metrics.update_real(images)
    metrics.update_fake(images)
    results = metrics.compute()
    assert abs(results["fid"]) < 1e-2
    # KID compares random subsets of the two sets: unbiased, so zero within its spread.
    assert abs(results["kid"]) < 3 * results["kid_std"]


def test_real_vs_real_is_far_below_real_vs_noise(classifier, digits):
    _, train, test = digits
    sets = reference_sets(train.data, train.targets, n=200)
    results = calibrate(QualityMetrics(classifier, kid_subset_size=100), unit(test.data), sets, batch=50)
    real, noise = results["real training images"], results["uniform noise"]
    assert real["fid"] * 10 < noise["fid"]
    assert real["kid"] < noise["kid"]
    assert real["inception_score"] > noise["inception_score"]


def test_a_single_digit_shows_bad_mode_coverage(classifier, digits):
    _, train, _ = digits
    single = ModeCoverage(classifier)
    single.update(unit(train.data[train.targets == 1]))
    balanced = ModeCoverage(classifier)
    balanced.update(unit(train.data))
    single_result, balanced_result = single.compute(), balanced.compute()
    assert int(single_result["classes"]) == 1
    assert float(single_result["kl"]) > 2.0  # ln 10 = 2.30 for one class
    assert int(balanced_result["classes"]) == 10 and float(balanced_result["kl"]) < 0.1


def test_training_the_classifier_leaves_the_global_random_stream_alone(digits):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    train_classifier(str(digits[0]), epochs=1, batch_size=64)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)
