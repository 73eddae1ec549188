"""How the fakes fail, not only how far they are: k-NN precision, recall, density and coverage.

On the feature classifier's 128-d features (Kynkäänniemi et al. 2019; Naeem et al. 2020). Each real image
gets a ball reaching its k-th nearest real neighbour, each fake one reaching its k-th nearest fake:
- precision: share of fakes inside some real ball (fakes look real; low: blurry or broken digits);
- recall: share of reals inside some fake ball (the fakes' variety reaches the reals'; low: mode dropping);
- density: mean number of real balls around each fake, over k (1 when fakes spread like reals);
- coverage: share of reals whose own ball holds a fake (robust to outliers; low: mode dropping).
Written here rather than taken from the `prdc` package, which builds full distance matrices (10k x 10k in
float64 through scikit-learn); this works in chunks with torch and keeps the real features across
validations, like the FID does.
"""

import torch
from torch import nn
from torchmetrics import Metric
from torchmetrics.utilities.data import dim_zero_cat

NAMES = ("precision", "recall", "density", "coverage")


def knn_radii(points: torch.Tensor, k: int, chunk: int = 2048) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point."""
    radii = [
        torch.cdist(points[start : start + chunk], points).topk(k + 1, dim=1, largest=False).values[:, k]
        for start in range(0, len(points), chunk)
    ]
    return torch.cat(radii)


def precision_recall_density_coverage(
    real: torch.Tensor, fake: torch.Tensor, k: int = 5, chunk: int = 2048
) -> dict[str, float]:
    """The four numbers for feature sets real (N, D) and fake (M, D); see the module's docstring."""
    real_radii, fake_radii = knn_radii(real, k, chunk), knn_radii(fake, k, chunk)
    precise = dense = 0
    for start in range(0, len(fake), chunk):
        inside = torch.cdist(fake[start : start + chunk], real) <= real_radii  # fake j in the ball of real i
        precise += int(inside.any(dim=1).sum())
        dense += int(inside.sum())
    recalled = covered = 0
    for start in range(0, len(real), chunk):
        distances = torch.cdist(real[start : start + chunk], fake)
        recalled += int((distances <= fake_radii).any(dim=1).sum())
        covered += int((distances.min(dim=1).values <= real_radii[start : start + chunk]).sum())
    return {
        "precision": precise / len(fake),
        "recall": recalled / len(real),
        "density": dense / (k * len(fake)),
        "coverage": covered / len(real),
    }


class PrecisionRecallDensityCoverage(Metric):
    """The four numbers as a torchmetrics Metric over images; real features survive `reset()`."""

    full_state_update = False

    def __init__(self, feature: nn.Module, k: int = 5) -> None:
        super().__init__()
        self.feature, self.k = feature, k
        self.add_state("real_features", default=[], dist_reduce_fx="cat")
        self.add_state("fake_features", default=[], dist_reduce_fx="cat")

    def update(self, images: torch.Tensor, real: bool) -> None:
        features = self.feature(images).float()
        (self.real_features if real else self.fake_features).append(features)

    def compute(self) -> dict[str, float]:
        return precision_recall_density_coverage(
            dim_zero_cat(self.real_features), dim_zero_cat(self.fake_features), self.k
        )

    def reset(self) -> None:
        real = list(self.real_features)  # a fixed real set is embedded once per stage; reset() clears lists
        super().reset()
        self.real_features = real
