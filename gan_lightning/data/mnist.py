"""MNIST as a LightningDataModule: torchvision reads the IDX files once, batches come from uint8 tensors."""

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision.datasets import MNIST
from torchvision.datasets.utils import extract_archive

from gan_lightning.core.errors import ConfigError, DataError, describe

log = logging.getLogger(__name__)

RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DATA_DIR_VARIABLE = "GAN_DATA_DIR"


class ImageTensor(Dataset):
    """Images held in one uint8 tensor, with their labels when a conditional GAN needs them. `__getitems__`
    lets a DataLoader fetch a batch with one index op: the images, or (images, labels)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.images[index] if self.labels is None else (self.images[index], self.labels[index])

    def __getitems__(self, indices: list[int]):
        index = torch.as_tensor(indices, device=self.images.device)
        return self.images[index] if self.labels is None else (self.images[index], self.labels[index])


class EpochOrder(Sampler[int]):
    """A random order per epoch that a resumed run replays: RandomSampler's, picking up mid-epoch.

    Each epoch draws one seed from torch's global stream (as RandomSampler does, so a run's batches are
    the same as with shuffle=True) and permutes with it. `state_dict` records that seed, how many batches
    training has consumed (`consumed()`, counted by the trainer's module, not by this iterator: Lightning
    fetches one batch ahead) and torch's stream; after `load_state_dict`, the next epoch replays the same
    permutation from the first unconsumed batch. Replaying also rewinds torch's stream to the checkpoint:
    the DataLoader's iterator draws a seed of its own when the epoch restarts, a draw the uninterrupted run
    made before the checkpoint, and without the rewind every later z and dropout mask would differ.
    """

    def __init__(self, size: int, batch_size: int, consumed: Callable[[], int]) -> None:
        self.size, self.batch_size, self.consumed = size, batch_size, consumed
        self.seed: int | None = None
        self.start_batch = 0  # set by load_state_dict: the interrupted epoch's first unconsumed batch
        self.stream: torch.Tensor | None = None  # torch's stream at the checkpoint

    def __len__(self) -> int:
        return self.size  # the epoch's length; Lightning's own counters hold the consumed part

    def __iter__(self) -> Iterator[int]:
        if not self.start_batch:  # a new epoch draws its seed, as RandomSampler does
            self.seed = int(torch.empty((), dtype=torch.int64).random_().item())
        elif self.stream is not None:  # runs on the first draw, after the iterator took its seed
            torch.set_rng_state(self.stream)
        order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed))
        start, self.start_batch = self.start_batch * self.batch_size, 0
        yield from order[start:].tolist()

    def state_dict(self) -> dict:
        return {"seed": self.seed, "batches_consumed": self.consumed(), "torch_stream": torch.get_rng_state()}

    def load_state_dict(self, state: dict) -> None:
        self.seed, self.start_batch, self.stream = state["seed"], state["batches_consumed"], state["torch_stream"]


class ResumableLoader(DataLoader):
    """A DataLoader whose order Lightning keeps in checkpoints (it saves loaders that have a state_dict).

    Under DDP Lightning swaps in its DistributedSampler (a fixed order per epoch, no mid-epoch state):
    then there is nothing to keep.
    """

    def state_dict(self) -> dict:
        return self.sampler.state_dict() if isinstance(self.sampler, EpochOrder) else {}

    def load_state_dict(self, state: dict) -> None:
        if state and isinstance(self.sampler, EpochOrder):
            self.sampler.load_state_dict(state)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 MNIST images (N, 28, 28) as floats in [0, 1] of shape (N, 1, 28, 28): what every network here reads."""
    return images.unsqueeze(1).float().div_(255)


def keep_batch(batch):
    """Collate function for ImageTensor: the batch is already one tensor (or images and labels)."""
    return batch


def _missing_message(root: Path, reason: str) -> str:
    return (
        f"MNIST not found in {root / 'MNIST' / 'raw'} ({reason}). That folder needs the four files "
        f"{', '.join(RAW_FILES)} (plain or .gz). Point the project at a folder holding MNIST/raw with the "
        f"environment variable {DATA_DIR_VARIABLE}=/path/to/data (or data.data_dir=...), or run once where "
        f"the download mirrors are reachable."
    )


def load_mnist(root: str | Path, train: bool, download: bool = False) -> MNIST:
    """Load one MNIST split through torchvision, turning its failures into actionable DataErrors."""
    root = Path(root)
    raw = root / "MNIST" / "raw"
    present = [name for name in RAW_FILES if (raw / name).exists() or (raw / f"{name}.gz").exists()]
    for name in present:
        if not (raw / name).exists():  # torchvision reads plain files; it would re-download a .gz it cannot verify
            try:
                extract_archive(str(raw / f"{name}.gz"))  # next to the archive
            except OSError as err:
                raise DataError(
                    f"could not unpack {raw / name}.gz ({err}); unpack it by hand or fix the folder"
                ) from err
    if len(present) < len(RAW_FILES) and not download:
        raise DataError(_missing_message(root, "download is off: data.download=false"))
    try:
        return MNIST(str(root), train=train, download=download)
    # torchvision asserts on a wrong magic number and fails to reshape a file of the wrong length.
    except (RuntimeError, OSError, AssertionError, ValueError) as err:
        if len(present) < len(RAW_FILES):
            raise DataError(_missing_message(root, f"download failed: {err}")) from err
        raise DataError(f"MNIST files in {raw} are corrupt or unreadable ({describe(err)}); replace them") from err


class MNISTDataModule(pl.LightningDataModule):
    """Train/val split of the 60k training images (seeded) and the 10k test images, pixels in [0, 1].

    A training batch holds one minibatch of `batch_size` images for each of the `d_steps` D updates of an
    iteration, back to back: the GAN module being trained says how many (`d_steps`; 1 without a trainer).
    `labels=True` (a class-conditional GAN): every batch is (images, labels), the digits as int64; the split
    and the order are the same as without.
    """

    def __init__(
        self,
        data_dir: str,
        batch_size: int,
        val_size: int,
        split_seed: int,
        eval_batch_size: int,
        download: bool,
        labels: bool = False,
    ) -> None:
        super().__init__()
        self.labels = labels
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.val_size = val_size
        self.split_seed = split_seed
        self.eval_batch_size = eval_batch_size
        self.download = download
        self.train_images: torch.Tensor | None = None

    @property
    def minibatches_per_batch(self) -> int:
        return self.trainer.lightning_module.d_steps if self.trainer is not None else 1

    def prepare_data(self) -> None:
        for train in (True, False):
            load_mnist(self.data_dir, train=train, download=self.download)

    def setup(self, stage: str | None = None) -> None:
        if self.train_images is not None:
            return
        train = load_mnist(self.data_dir, train=True)
        if self.val_size >= len(train.data):
            raise ConfigError(f"data.val_size must be below the {len(train.data)} training images, got {self.val_size}")
        order = torch.randperm(len(train.data), generator=torch.Generator().manual_seed(self.split_seed))
        self.val_images, self.val_labels = train.data[order[: self.val_size]], train.targets[order[: self.val_size]]
        self.train_images, self.train_labels = train.data[order[self.val_size :]], train.targets[order[self.val_size :]]
        test = load_mnist(self.data_dir, train=False)
        self.test_images, self.test_labels = test.data, test.targets
        if len(self.train_images) < self.batch_size * self.minibatches_per_batch:
            raise ConfigError(
                f"data.batch_size x d_steps ({self.batch_size * self.minibatches_per_batch}) exceeds the "
                f"{len(self.train_images)} training images"
            )
        sizes = len(self.train_images), len(self.val_images), len(self.test_images)
        log.info("MNIST: %d train, %d val, %d test images", *sizes)  # pragma: no mutate

    def train_dataloader(self) -> DataLoader:
        images, labels = self.train_images, self.train_labels if self.labels else None
        if self.trainer is not None and self.trainer.strategy.root_device.type == "cuda":
            # 47 MB of uint8 on the GPU (and the labels): batches are gathered there, nothing crosses the bus
            # per step.
            images = images.to(self.trainer.strategy.root_device)
            labels = labels.to(images.device) if labels is not None else None
        batch_size = self.batch_size * self.minibatches_per_batch
        order = EpochOrder(len(images), batch_size, consumed=self._batches_consumed_this_epoch)
        return ResumableLoader(
            ImageTensor(images, labels), batch_size=batch_size, sampler=order, drop_last=True, collate_fn=keep_batch
        )

    def _batches_consumed_this_epoch(self) -> int:
        """Training batches of the current epoch the module has trained on (every epoch has the same count)."""
        return self.trainer.lightning_module.iteration % self.trainer.num_training_batches

    def _eval_loader(self, images: torch.Tensor, labels: torch.Tensor) -> DataLoader:
        dataset = ImageTensor(images, labels if self.labels else None)
        return DataLoader(dataset, batch_size=self.eval_batch_size, collate_fn=keep_batch)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader(self.val_images, self.val_labels)

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader(self.test_images, self.test_labels)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        # Convert after the transfer so that only uint8 crosses to the device.
        return to_unit(batch) if isinstance(batch, torch.Tensor) else (to_unit(batch[0]), batch[1])
