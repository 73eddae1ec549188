"""The MNIST feature network behind the quality metrics: a small CNN whose weights ship with the package.

Every FID, KID, IS and mode-coverage number depends on this network, so everyone scores with the same
weights: `assets/mnist_classifier.pt` (float16, 99.10 % test accuracy), verified against SHIPPED_SHA256
whenever it is loaded. Numbers are reported with the first 12 hex digits of that hash.

    python -m gan_lightning.classifier        # `make classifier`: retrain into paths.cache_dir

A retrained network is written as `mnist_classifier-<hash>.pt` and used with `classifier=<that file>`;
its name carries its hash, so a file changed after it was written is refused. A second opinion on a
ranking comes from a network that shares neither weights nor architecture with the shipped one:

    python -m gan_lightning.classifier --architecture mlp --seed 1
"""

import hashlib
import logging
import re
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from gan_lightning.core.errors import GANError, describe
from gan_lightning.data.mnist import load_mnist, to_unit

log = logging.getLogger(__name__)

SHIPPED_WEIGHTS = Path(__file__).resolve().parent / "assets" / "mnist_classifier.pt"
SHIPPED_SHA256 = "4ccced37013dfe39375e276c6cf83cf0fa0c76f15642a43cb216c0a1af5e135d"
_NAMED_BY_HASH = re.compile(r"mnist_classifier-([0-9a-f]{12})\.pt")


class ClassifierError(GANError):
    """The classifier's weights are missing, changed or unreadable."""


class MNISTClassifier(nn.Module):
    """Two conv blocks and a 128-unit feature layer; images in [0, 1], shape (N, 1, 28, 28)."""

    num_features = 128
    architecture = "cnn"  # saved in each retrained file; files without it (the shipped one) are this CNN

    def __init__(self) -> None:
        super().__init__()
        self.features = self.feature_layers()
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.num_features, 10))

    def feature_layers(self) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, self.num_features), nn.ReLU(),
        )  # fmt: skip

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


class MLPClassifier(MNISTClassifier):
    """No convolutions: pixels -> 512 -> 128 features, the same head. A judge built differently from the
    shipped CNN, so that a generator tuned against one network's quirks would not fool both."""

    architecture = "mlp"

    def feature_layers(self) -> nn.Sequential:
        return nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, self.num_features), nn.ReLU()
        )


ARCHITECTURES = {network.architecture: network for network in (MNISTClassifier, MLPClassifier)}


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000) -> float:
    model.eval()
    correct = sum(
        (model(to_unit(images[i : i + batch_size])).argmax(1) == labels[i : i + batch_size]).sum().item()
        for i in range(0, len(images), batch_size)
    )
    return correct / len(images)


def train_classifier(
    data_dir: str, epochs: int = 3, batch_size: int = 128, seed: int = 0, architecture: str = "cnn"
) -> tuple[MNISTClassifier, float]:
    """Train on the 60k training images; return the model and its accuracy on the 10k test images."""
    network = architecture_class(architecture)
    train, test = load_mnist(data_dir, train=True, download=False), load_mnist(data_dir, train=False, download=False)
    generator = torch.Generator().manual_seed(seed)
    # Training may happen inside another program: keep its random stream untouched.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return _train(network(), train, test, generator, epochs, batch_size)


def architecture_class(name: str) -> type[MNISTClassifier]:
    if name not in ARCHITECTURES:
        raise ClassifierError(f"unknown classifier architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name]


def _train(
    model: MNISTClassifier, train, test, generator: torch.Generator, epochs: int, batch_size: int
) -> tuple[MNISTClassifier, float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * (len(train.data) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=max(steps, 1))
    with tqdm(total=steps, desc="Training the MNIST feature classifier", unit="batch") as progress:
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(train.data), generator=generator)
            for i in range(0, len(order) - batch_size + 1, batch_size):
                index = order[i : i + batch_size]
                loss = F.cross_entropy(model(to_unit(train.data[index])), train.targets[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                progress.update()
                progress.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    return model.eval(), accuracy(model, test.data, test.targets)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_classifier(model: MNISTClassifier, test_accuracy: float, folder: str | Path) -> Path:
    """Write float16 weights as `<folder>/mnist_classifier-<hash>.pt`; return the path."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".pt", delete=False) as file:
            weights = {name: tensor.half() for name, tensor in model.state_dict().items()}
            state = {"state_dict": weights, "test_accuracy": test_accuracy, "architecture": model.architecture}
            torch.save(state, file)
        temporary = Path(file.name)
        temporary.chmod(0o644)
        path = folder / f"mnist_classifier-{sha256(temporary)[:12]}.pt"
        temporary.replace(path)
    except OSError as err:
        raise ClassifierError(
            f"cannot write the classifier into {folder} ({err}); set GAN_CACHE_DIR to a writable folder"
        ) from err
    return path


def weights_hash(path: str | Path | None = None) -> str:
    """The 12-hex-digit hash that numbers scored with this classifier file (None: the shipped one) carry."""
    return sha256(SHIPPED_WEIGHTS if path is None else Path(path))[:12]


def _check_hash(path: Path, digest: str) -> None:
    if path == SHIPPED_WEIGHTS and digest != SHIPPED_SHA256:
        raise ClassifierError(
            f"classifier weights {path} have hash {digest[:12]}, not the shipped {SHIPPED_SHA256[:12]}: the file "
            f"was changed; restore it (git checkout {path.name}) or retrain with `make classifier`"
        )
    named = _NAMED_BY_HASH.fullmatch(path.name)
    if named and digest[:12] != named.group(1):
        raise ClassifierError(
            f"classifier weights {path} have hash {digest[:12]}, but their name says {named.group(1)}: the file "
            f"was changed after it was written; delete it and retrain with `make classifier`"
        )


def load_classifier(path: str | Path | None = None) -> tuple[MNISTClassifier, str]:
    """The feature classifier (eval mode, frozen) and the first 12 hex digits of its file's SHA-256.

    `path`: None for the shipped weights; otherwise a file written by save_classifier. The file is hash-checked
    and read with weights_only=True, so a tampered or foreign file is refused and never executed.
    """
    path = SHIPPED_WEIGHTS if path is None else Path(path).resolve()
    if not path.is_file():
        raise ClassifierError(f"classifier weights {path} do not exist; set classifier=null for the shipped ones")
    digest = sha256(path)
    _check_hash(path, digest)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = architecture_class(state.get("architecture", "cnn"))()
        model.load_state_dict({name: tensor.float() for name, tensor in state["state_dict"].items()})
    except Exception as err:  # a foreign pickle, a truncated file, other tensors
        raise ClassifierError(
            f"classifier weights {path} are not a gan_lightning classifier ({describe(err)})"
        ) from err
    return model.eval().requires_grad_(False), digest[:12]
