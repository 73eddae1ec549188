"""The quality metrics behave as their definitions promise, on a tiny classifier trained on tiny data."""

import hashlib

import pytest
import torch

from gan_lightning.calibrate import reference_sets
from gan_lightning.classifier import main
from gan_lightning.data.mnist import load_mnist, to_unit
from gan_lightning.quality.classifier import (
    ClassifierError,
    MLPClassifier,
    MNISTClassifier,
    load_classifier,
    save_classifier,
    train_classifier,
)
from gan_lightning.quality.metrics import ModeCoverage, QualityMetrics, score_sets
from gan_lightning.quality.prdc import NAMES
from tests.helpers import write_mnist


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


def test_a_retrained_classifier_is_saved_under_its_hash_and_loads_back(classifier, digits, tmp_path):
    path = save_classifier(classifier, 0.95, tmp_path)
    loaded, digest = load_classifier(path)
    assert path.name == f"mnist_classifier-{digest}.pt" and digest == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    images = to_unit(digits[2].data[:50])
    with torch.no_grad():  # float16 weights: the same predictions within rounding
        torch.testing.assert_close(loaded(images), classifier(images), rtol=1e-2, atol=2e-2)


def test_a_second_classifier_of_another_architecture_trains_saves_and_loads_as_itself(digits, tmp_path):
    model, test_accuracy = train_classifier(str(digits[0]), epochs=4, batch_size=32, seed=1, architecture="mlp")
    assert type(model) is MLPClassifier and test_accuracy > 0.9
    assert not any(isinstance(layer, torch.nn.Conv2d) for layer in model.modules())
    images = to_unit(digits[2].data[:50])
    assert model.features(images).shape == (50, MNISTClassifier.num_features)  # FID's feature size
    loaded, _ = load_classifier(save_classifier(model, test_accuracy, tmp_path))
    assert type(loaded) is MLPClassifier
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), model(images), rtol=1e-2, atol=2e-2)


def test_a_classifier_file_of_an_unknown_architecture_is_refused_by_name(classifier, tmp_path):
    path = save_classifier(classifier, 0.9, tmp_path)
    state = torch.load(path, weights_only=True)
    assert state["architecture"] == "cnn"
    torch.save({**state, "architecture": "vit"}, tmp_path / "other.pt")
    with pytest.raises(ClassifierError, match="unknown classifier architecture 'vit'; known: cnn, mlp"):
        load_classifier(tmp_path / "other.pt")


def test_the_classifier_command_trains_the_architecture_and_seed_asked_for(digits, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_DIR", str(digits[0]))
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path))
    runs = {}
    for seed in (1, 2):
        main(["--architecture", "mlp", "--seed", str(seed)])
        (path,) = set(tmp_path.glob("mnist_classifier-*.pt")) - set(runs.values())
        runs[seed] = path
    assert all(type(load_classifier(path)[0]) is MLPClassifier for path in runs.values())
    assert runs[1].read_bytes() != runs[2].read_bytes()  # the seed reached the training
    assert f"classifier={runs[2]}" in capsys.readouterr().out


def test_fid_of_a_set_against_itself_is_about_zero(classifier, digits):
    metrics = QualityMetrics(classifier, kid_subset_size=100)
    images = to_unit(digits[2].data)
    metrics.update_real(images)
    metrics.update_fake(images)
    results = metrics.compute()
    assert abs(results["fid"]) < 1e-2
    # KID compares random subsets of the two sets: unbiased, so zero within its spread.
    assert abs(results["kid"]) < 3 * results["kid_std"]


def test_real_vs_real_is_far_below_real_vs_noise(classifier, digits):
    _, train, test = digits
    sets = reference_sets(train.data, train.targets, n=200)
    results = score_sets(QualityMetrics(classifier, kid_subset_size=100), to_unit(test.data), sets, batch=50)
    real, noise = results["real training images"], results["uniform noise"]
    assert real["fid"] * 10 < noise["fid"]
    assert real["kid"] < noise["kid"]
    assert real["inception_score"] > noise["inception_score"]


def test_a_single_digit_shows_bad_mode_coverage(classifier, digits):
    _, train, _ = digits
    single = ModeCoverage(classifier)
    single.update(to_unit(train.data[train.targets == 1]))
    balanced = ModeCoverage(classifier)
    balanced.update(to_unit(train.data))
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


class PixelDigit(torch.nn.Module):
    """A classifier whose answer is known: the digit written in pixel (0, 0) as digit / 10, logit 10 for it."""

    num_features = 10

    def __init__(self) -> None:
        super().__init__()
        self.features = lambda images: torch.nn.functional.one_hot(self.digits(images), 10).float() * 10

    @staticmethod
    def digits(images: torch.Tensor) -> torch.Tensor:
        return (images[:, 0, 0, 0] * 10).round().long()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)


def written(digits: list[int]) -> torch.Tensor:
    images = torch.zeros(len(digits), 1, 28, 28)
    images[:, 0, 0, 0] = torch.tensor(digits, dtype=torch.float) / 10
    return images


def test_mode_coverage_has_the_known_kl_classes_and_confidence():
    coverage = ModeCoverage(PixelDigit())
    coverage.update(written([1] * 20 + [3] * 30))
    coverage.update(written([5] * 49 + [7]))  # state adds up over batches
    result = coverage.compute()
    shares = torch.tensor([0.2, 0.3, 0.49, 0.01], dtype=torch.float64)
    assert float(result["kl"]) == pytest.approx(float((shares * (shares * 10).log()).sum()), rel=1e-9)
    assert int(result["classes"]) == 4  # 1 % (digit 7) is the threshold, included
    confidence = torch.tensor([10.0] + [0.0] * 9).softmax(0)[0].item()
    assert float(result["confidence"]) == pytest.approx(confidence, rel=1e-6)
    balanced = ModeCoverage(PixelDigit())
    balanced.update(written(list(range(10)) * 3))
    assert float(balanced.compute()["kl"]) == pytest.approx(0.0, abs=1e-12)


def test_kid_subsets_shrink_to_the_smaller_set_and_real_features_survive_a_reset():
    metrics = QualityMetrics(PixelDigit(), kid_subset_size=1000)
    reals = written(list(range(10)) * 3)
    metrics.update_real(reals)
    metrics.update_fake(written([4] * 20))
    results = metrics.compute()
    assert metrics.kid.subset_size == 20 and metrics.real_count == 30  # min(1000, 30 reals, 20 fakes)
    assert metrics.prdc.k == 5 and QualityMetrics(PixelDigit(), kid_subset_size=10, prdc_k=3).prdc.k == 3
    assert int(results["mode_classes"]) == 1 and results["fid"] > 10
    metrics.reset_fake()
    metrics.update_fake(reals)  # the same images as the kept reals
    again = metrics.compute()
    assert abs(again["fid"]) < 1e-3 and int(again["mode_classes"]) == 10
    assert set(again) == {"fid", "kid", "kid_std", "inception_score", "mode_kl", "mode_classes", "confidence", *NAMES}
    assert again["precision"] == again["recall"] == again["coverage"] == 1.0  # the same images as the reals


def test_coverage_states_add_up_across_processes():
    """Distributed validation merges each process's counts by summing them: halves merged equal the whole."""
    digits = [1] * 20 + [3] * 30 + [5] * 49 + [7]
    whole, first, second = (ModeCoverage(PixelDigit()) for _ in range(3))
    whole.update(written(digits))
    first.update(written(digits[:37]))
    second.update(written(digits[37:]))
    first.merge_state(second)
    for name, value in whole.compute().items():
        assert float(first.compute()[name]) == pytest.approx(float(value), rel=1e-12), name


def test_inception_score_is_exp_of_the_mean_kl_over_one_split():
    metrics = QualityMetrics(PixelDigit(), kid_subset_size=1000)
    images = written([0, 1, 2, 3] * 5)  # confident and spread over four classes
    metrics.update_real(images)
    metrics.update_fake(images)
    p = torch.tensor([10.0] + [0.0] * 9).softmax(0)  # each image's class probabilities, up to permutation
    marginal = torch.zeros(10)
    for shift in range(4):
        marginal += p.roll(shift) / 4
    expected = torch.exp(torch.stack([(p.roll(s) * (p.roll(s).log() - marginal.log())).sum() for s in range(4)]).mean())
    assert metrics.compute()["inception_score"] == pytest.approx(expected.item(), rel=1e-5)


def test_the_feature_network_is_frozen_and_reals_count_over_batches():
    classifier = PixelDigit()
    classifier.weight = torch.nn.Parameter(torch.zeros(1))
    metrics = QualityMetrics(classifier, kid_subset_size=1000)
    assert not classifier.weight.requires_grad and not classifier.training
    for _ in range(2):
        metrics.update_real(written(list(range(10))))  # 20 reals in two batches
    metrics.update_fake(written([4] * 30))
    metrics.compute()
    assert metrics.real_count == 20 and metrics.kid.subset_size == 20  # min(1000, 20 reals, 30 fakes)


def test_a_classifier_folder_that_cannot_be_written_names_the_variable(classifier, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ClassifierError, match=f"cannot write the classifier into {blocker / 'cache'} .* GAN_CACHE_DIR"):
        save_classifier(classifier, 0.9, blocker / "cache")
