"""The MNIST feature network behind the quality metrics: a small CNN, trained once and cached.

    python -m gan_lightning.classifier        # or `make classifier`; otherwise trained on first need

The cache file is named after a fingerprint of the training images, and every metric it produces is
reported with the hash of its weights, so numbers from different runs are known to be comparable.
"""

import hashlib
import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from gan_lightning.data import load_mnist
from gan_lightning.errors import DataError

log = logging.getLogger(__name__)


class MNISTClassifier(nn.Module):
    """Two conv blocks and a 128-unit feature layer; images in [0, 1], shape (N, 1, 28, 28)."""

    num_features = 128

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, self.num_features), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.num_features, 10))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def _fingerprint(images: torch.Tensor) -> str:
    return hashlib.sha256(images.contiguous().numpy().tobytes()).hexdigest()[:12]


def _to_unit(images: torch.Tensor) -> torch.Tensor:
    return images.unsqueeze(1).float().div_(255)


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000) -> float:
    model.eval()
    correct = sum(
        (model(_to_unit(images[i : i + batch_size])).argmax(1) == labels[i : i + batch_size]).sum().item()
        for i in range(0, len(images), batch_size)
    )
    return correct / len(images)


def train_classifier(
    data_dir: str, epochs: int = 3, batch_size: int = 128, seed: int = 0
) -> tuple[MNISTClassifier, float]:
    """Train on the 60k training images; return the model and its accuracy on the 10k test images."""
    train, test = load_mnist(data_dir, train=True, download=False), load_mnist(data_dir, train=False, download=False)
    generator = torch.Generator().manual_seed(seed)
    # The classifier may be trained in the middle of a GAN run: keep that run's random stream untouched.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return _train(train, test, generator, epochs, batch_size)


def _train(train, test, generator: torch.Generator, epochs: int, batch_size: int) -> tuple[MNISTClassifier, float]:
    model = MNISTClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * (len(train.data) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=max(steps, 1))
    with tqdm(total=steps, desc="Training the MNIST feature classifier", unit="batch") as progress:
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(train.data), generator=generator)
            for i in range(0, len(order) - batch_size + 1, batch_size):
                index = order[i : i + batch_size]
                loss = F.cross_entropy(model(_to_unit(train.data[index])), train.targets[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                progress.update()
                progress.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    return model.eval(), accuracy(model, test.data, test.targets)


def classifier_path(cache_dir: str | Path, data_dir: str) -> Path:
    images = load_mnist(data_dir, train=True, download=False).data
    return Path(cache_dir) / f"mnist_classifier-{_fingerprint(images)}.pt"


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def load_or_train_classifier(cache_dir: str | Path, data_dir: str) -> tuple[MNISTClassifier, str]:
    """The cached classifier for these training images, trained first if missing. Returns (model, hash)."""
    path = classifier_path(cache_dir, data_dir)
    if not path.exists():
        log.info("No MNIST feature classifier in %s yet: training one (once, a few minutes on 2 CPU cores)", path)
        model, test_accuracy = train_classifier(data_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"state_dict": model.state_dict(), "test_accuracy": test_accuracy}, path)
        except OSError as err:
            raise DataError(
                f"cannot write the classifier cache {path} ({err}); set GAN_CACHE_DIR to a writable folder"
            ) from err
        log.info("Classifier test accuracy %.4f, saved to %s", test_accuracy, path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = MNISTClassifier()
    model.load_state_dict(state["state_dict"])
    return model.eval().requires_grad_(False), file_hash(path)


def main() -> None:
    """Train (or find) the classifier for the configured data folder; `make classifier`."""
    from hydra import compose, initialize_config_dir

    from gan_lightning.config import CONF_DIR, exit_on_user_error

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        paths = compose("train").paths
    _, digest = exit_on_user_error(load_or_train_classifier)(paths.cache_dir, paths.data_dir)
    print(f"{classifier_path(paths.cache_dir, paths.data_dir)} (hash {digest})")


if __name__ == "__main__":
    main()
