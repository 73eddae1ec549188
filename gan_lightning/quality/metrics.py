"""Sample-quality metrics in the MNIST domain, through torchmetrics, on the project's feature classifier.

FID and KID compare the classifier's 128-d features of real and generated images, and so do precision,
recall, density and coverage (prdc.py: how the fakes fail, not only how far they are); the Inception
Score and mode coverage read its class predictions. Images are floats in [0, 1], shape (N, 1, 28, 28).
"""

import warnings

import torch
from torch import nn
from torchmetrics import Metric
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from gan_lightning.data.labels import DIGITS
from gan_lightning.quality.classifier import MNISTClassifier
from gan_lightning.quality.prdc import PrecisionRecallDensityCoverage


class ClassifierFeatures(nn.Module):
    """The classifier's penultimate features: the 'Inception' network for FID and KID."""

    def __init__(self, classifier: MNISTClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.num_features = classifier.num_features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier.features(images)


class ModeCoverage(Metric):
    """How evenly generated images spread over the ten digits, by the classifier's predictions.

    `kl`: KL(predicted class histogram || uniform), 0 for perfect balance, ln 10 = 2.30 for a single digit;
    `classes`: the digits that take at least `min_share` of the samples; `confidence`: mean max softmax.
    """

    full_state_update = False

    def __init__(self, classifier: MNISTClassifier, min_share: float = 0.01) -> None:
        super().__init__()
        self.classifier = classifier
        self.min_share = min_share
        self.add_state("counts", torch.zeros(DIGITS, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("confidence_sum", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, images: torch.Tensor) -> None:
        probabilities = self.classifier(images).softmax(dim=1)
        self.counts += torch.bincount(probabilities.argmax(dim=1), minlength=DIGITS)
        self.confidence_sum += probabilities.max(dim=1).values.double().sum()

    def compute(self) -> dict[str, torch.Tensor]:
        total = self.counts.sum()
        share = self.counts.double() / total
        nonzero = share > 0
        kl = (share[nonzero] * (share[nonzero] * DIGITS).log()).sum()
        return {
            "kl": kl,
            "classes": (share >= self.min_share).sum(),
            "confidence": self.confidence_sum / total,
        }


class AskedDigitAccuracy(Metric):
    """A conditional G's fidelity to its labels: the share of its fakes the classifier reads as the digit they
    were asked for (all fakes together; a stub that always draws the asked digit + 1 scores 0)."""

    full_state_update = False

    def __init__(self, classifier: MNISTClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.add_state("correct", torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("asked", torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.correct += (self.classifier(images).argmax(dim=1) == labels).sum()
        self.asked += len(labels)

    def compute(self) -> torch.Tensor:
        return self.correct.double() / self.asked


class QualityMetrics(nn.Module):
    """FID, KID, Inception Score and mode coverage of generated vs real images.

    Real features are kept across `reset()`, so a fixed real set (validation or test images) is embedded once.
    """

    def __init__(self, classifier: MNISTClassifier, kid_subset_size: int, prdc_k: int = 5) -> None:
        super().__init__()
        classifier = classifier.eval().requires_grad_(False)
        features = ClassifierFeatures(classifier)
        # With a network of our own, torchmetrics passes the [0, 1] floats to it as they are.
        self.fid = FrechetInceptionDistance(feature=features, reset_real_features=False)
        with warnings.catch_warnings():
            # Their notice that features are buffered: here one evaluation's images, 10,000 at most.
            warnings.filterwarnings("ignore", message=".*will save all extracted features in buffer")
            self.kid = KernelInceptionDistance(feature=features, reset_real_features=False)  # subset size: compute()
            self.inception_score = InceptionScore(feature=classifier, splits=1)
        self.coverage = ModeCoverage(classifier)
        self.prdc = PrecisionRecallDensityCoverage(features, k=prdc_k)
        self.asked_digit = AskedDigitAccuracy(classifier)
        self.kid_subset_size = kid_subset_size
        self.real_count = 0

    def update_real(self, images: torch.Tensor) -> None:
        self.fid.update(images, real=True)
        self.kid.update(images, real=True)
        self.prdc.update(images, real=True)
        self.real_count += len(images)

    def update_fake(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        """Fakes, with the digits they were asked for when G is conditional (then `asked_digit_acc` too)."""
        # A generator run in mixed precision returns bfloat16 or float16 images; the classifier is float32.
        images = images.float()
        if labels is not None:
            self.asked_digit.update(images, labels)
        self.fid.update(images, real=False)
        self.kid.update(images, real=False)
        self.inception_score.update(images)
        self.coverage.update(images)
        self.prdc.update(images, real=False)

    def compute(self) -> dict[str, float]:
        # KID needs subsets no larger than either sample set.
        n_fake = int(self.coverage.counts.sum())
        self.kid.subset_size = min(self.kid_subset_size, self.real_count, n_fake)
        kid_mean, kid_std = self.kid.compute()
        with warnings.catch_warnings():  # its std over one split is undefined, and unused here
            warnings.simplefilter("ignore")
            is_mean, _ = self.inception_score.compute()
        coverage = self.coverage.compute()
        results = {
            "fid": self.fid.compute(),
            "kid": kid_mean,
            "kid_std": kid_std,
            "inception_score": is_mean,
            "mode_kl": coverage["kl"],
            "mode_classes": coverage["classes"],
            "confidence": coverage["confidence"],
            **self.prdc.compute(),
        }
        if self.asked_digit.asked:
            results["asked_digit_acc"] = self.asked_digit.compute()
        return {name: float(value) for name, value in results.items()}

    def reset_fake(self) -> None:
        for metric in (self.fid, self.kid, self.inception_score, self.coverage, self.prdc, self.asked_digit):
            metric.reset()


def score_sets(metrics: QualityMetrics, real: torch.Tensor, sets: dict[str, torch.Tensor], batch: int = 1000) -> dict:
    """Each set of images scored against the same real images (their features computed once), in batches."""
    for start in range(0, len(real), batch):
        metrics.update_real(real[start : start + batch])
    results = {}
    for name, images in sets.items():
        for start in range(0, len(images), batch):
            metrics.update_fake(images[start : start + batch])
        results[name] = metrics.compute()
        metrics.reset_fake()
    return results
