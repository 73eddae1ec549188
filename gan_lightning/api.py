"""The Python API: load a trained generator, draw images, and score images from any model with the same judge.

```python
from gan_lightning import load_generator, score
g = load_generator("outputs/train/runs/2026-12-06_12-00-00/checkpoints/last.ckpt")  # or an exported folder
images = g.sample(64, seed=0)      # float32 tensor (64, 1, 28, 28) in [0, 1]
score(images.squeeze(1).numpy())   # FID, KID, IS, precision/recall/density/coverage vs the 10k test images
```
"""

from pathlib import Path

import numpy as np
import torch

from gan_lightning.artifacts.loading import TrainedGenerator, load_trained_generator
from gan_lightning.cli.entry import project_config
from gan_lightning.core.paths import train_runs
from gan_lightning.data.mnist import load_mnist, to_unit
from gan_lightning.gan.sampling import asked_digits, generate
from gan_lightning.quality.classifier import load_classifier
from gan_lightning.quality.metrics import QualityMetrics, score_sets


class Generator:
    """A trained generator: `sample(n, seed)` draws what `python -m gan_lightning.sample` draws."""

    def __init__(self, trained: TrainedGenerator) -> None:
        self.trained = trained
        self.net, self.latent_dim, self.num_classes = trained.net, trained.latent_dim, trained.num_classes
        self.iteration, self.path = trained.iteration, trained.path

    def sample(
        self,
        n: int,
        seed: int = 0,
        digit: int | None = None,
        truncation: float | None = None,
        batch_size: int = 1000,
        device: str = "cpu",
    ) -> torch.Tensor:
        """n images, float32 (n, 1, 28, 28) in [0, 1]; the same seed gives the same images. A conditional
        generator draws `digit` (a uniform mix when None); `truncation` truncates z's normal at that radius."""
        labels = asked_digits(self.trained, n, digit, seed)
        images = generate(
            self.net,
            self.latent_dim,
            n,
            seed,
            batch_size=batch_size,
            device=device,
            labels=labels,
            truncation=truncation,
        )
        return torch.from_numpy(images).unsqueeze(1)


def load_generator(path: str | Path) -> Generator:
    """A checkpoint, a run folder, `last` / `best` (the newest under the project's outputs/train) or a folder
    written by `python -m gan_lightning.export`. Nothing in it is unpickled beyond tensors and plain values."""
    return Generator(load_trained_generator(path, train_runs(project_config().paths.log_dir)))


def score(images: np.ndarray | torch.Tensor, classifier: str | None = None, kid_subset_size: int = 1000) -> dict:
    """evaluate's quality metrics of images (N, 28, 28) or (N, 1, 28, 28) in [0, 1] against the 10,000 MNIST test
    images (read from the configured data folder, GAN_DATA_DIR), on the shipped feature classifier or `classifier`."""
    fakes = torch.as_tensor(np.asarray(images), dtype=torch.float32)
    fakes = fakes.unsqueeze(1) if fakes.dim() == 3 else fakes
    if fakes.shape[1:] != (1, 28, 28) or fakes.min() < 0 or fakes.max() > 1:
        raise ValueError(f"images must be (N, 28, 28) or (N, 1, 28, 28) in [0, 1], got {tuple(fakes.shape)}")
    real = to_unit(load_mnist(project_config().paths.data_dir, train=False).data)
    network, _ = load_classifier(classifier)
    metrics = QualityMetrics(network, min(kid_subset_size, len(fakes), len(real)))
    return score_sets(metrics, real, {"images": fakes})["images"]
