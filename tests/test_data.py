"""The datamodule reads IDX files through torchvision, splits them, and explains missing data."""

import gzip
import shutil

import pytest
import torch
from torchvision.datasets import MNIST

from gan_lightning.data import DATA_DIR_VARIABLE, RAW_FILES, MNISTDataModule
from gan_lightning.errors import ConfigError, DataError
from tests.conftest import TEST_IMAGES, TRAIN_IMAGES, write_mnist


def image_ids(batch: torch.Tensor) -> list[int]:
    """The index each synthetic image carries in its first two pixels."""
    return (batch[:, 0, 0].long() * 256 + batch[:, 0, 1].long()).tolist()


def make_datamodule(root, **kwargs) -> MNISTDataModule:
    dm = MNISTDataModule(str(root), download=False, **{"batch_size": 20, "val_size": 60, **kwargs})
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_split_sizes_and_disjoint_split(mnist_dir):
    dm = make_datamodule(mnist_dir)
    assert (len(dm.train_images), len(dm.val_images), len(dm.test_images)) == (TRAIN_IMAGES - 60, 60, TEST_IMAGES)
    assert set(image_ids(dm.train_images)).isdisjoint(image_ids(dm.val_images))
    assert dm.train_images.dtype == torch.uint8  # kept compact in memory


def test_split_is_seeded(mnist_dir):
    same = make_datamodule(mnist_dir, split_seed=3), make_datamodule(mnist_dir, split_seed=3)
    other = make_datamodule(mnist_dir, split_seed=4)
    assert image_ids(same[0].val_images) == image_ids(same[1].val_images)
    assert image_ids(same[0].val_images) != image_ids(other.val_images)


def test_images_are_those_torchvision_reads(mnist_dir):
    dm = make_datamodule(mnist_dir, val_size=0)
    reference = MNIST(str(mnist_dir), train=False).data
    assert torch.equal(dm.test_images, reference)


def test_every_training_image_once_per_epoch(mnist_dir):
    dm = make_datamodule(mnist_dir)  # 260 training images, batches of 20: no remainder
    ids = [i for batch in dm.train_dataloader() for i in image_ids(batch)]
    assert sorted(ids) == sorted(image_ids(dm.train_images))


def test_batches_hold_one_minibatch_per_d_step_and_become_unit_floats(mnist_dir):
    dm = make_datamodule(mnist_dir, draws_per_step=3)
    raw = next(iter(dm.train_dataloader()))
    assert raw.shape == (60, 28, 28) and raw.dtype == torch.uint8
    batch = dm.on_after_batch_transfer(raw.clone(), 0)
    assert batch.shape == (60, 1, 28, 28) and batch.dtype == torch.float32
    torch.testing.assert_close(batch[:, 0], raw.float() / 255)
    assert batch.min() >= 0 and batch.max() <= 1


def test_reads_gzipped_files_only(tmp_path):
    raw = write_mnist(tmp_path, n_train=100, n_test=10) / "MNIST" / "raw"
    for name in RAW_FILES:
        with open(raw / name, "rb") as src, gzip.open(raw / f"{name}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        (raw / name).unlink()
    dm = MNISTDataModule(str(tmp_path), batch_size=10, val_size=10, download=True)
    dm.prepare_data()  # torchvision extracts the archives; nothing is downloaded
    dm.setup("fit")
    assert len(dm.train_images) == 90


def test_missing_data_names_folder_variable_and_files(tmp_path):
    with pytest.raises(DataError) as err:
        MNISTDataModule(str(tmp_path), download=False).prepare_data()
    message = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in message and DATA_DIR_VARIABLE in message
    assert all(name in message for name in RAW_FILES)


def test_failed_download_names_folder_variable_and_files(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # a port nothing listens on
    with pytest.raises(DataError, match="download failed") as err:
        MNISTDataModule(str(tmp_path), download=True).prepare_data()
    assert DATA_DIR_VARIABLE in str(err.value) and all(name in str(err.value) for name in RAW_FILES)


def test_corrupt_file_is_reported(tmp_path):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x07\x07" + b"\x00" * 64)
    with pytest.raises(DataError, match="corrupt"):
        MNISTDataModule(str(tmp_path), download=False).prepare_data()


@pytest.mark.parametrize("key", ["batch_size", "eval_batch_size", "draws_per_step"])
def test_non_positive_sizes_are_refused(tmp_path, key):
    with pytest.raises(ConfigError, match=f"data.{key}"):
        MNISTDataModule(str(tmp_path), **{key: 0})
