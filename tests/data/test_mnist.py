"""The datamodule reads IDX files through torchvision, splits them, and explains missing data."""

import gzip
import shutil

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch.utils.data import RandomSampler
from torchvision.datasets import MNIST

from gan_lightning.checks import check_config
from gan_lightning.core.errors import ConfigError, DataError
from gan_lightning.data.mnist import (
    DATA_DIR_VARIABLE,
    RAW_FILES,
    EpochOrder,
    ImageTensor,
    ResumableLoader,
    keep_batch,
    load_mnist,
)
from tests.helpers import TEST_IMAGES, TRAIN_IMAGES, datamodule, write_mnist


def image_ids(batch: torch.Tensor) -> list[int]:
    """The index each synthetic image carries in its first two pixels."""
    return (batch[:, 0, 0].long() * 256 + batch[:, 0, 1].long()).tolist()


def make_datamodule(root, **overrides):
    dm = datamodule(root, **{"batch_size": 20, "val_size": 60, **overrides})
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
    assert torch.equal(dm.test_images, MNIST(str(mnist_dir), train=False).data)
    assert sorted(image_ids(dm.train_images)) == image_ids(MNIST(str(mnist_dir), train=True).data)


def test_every_training_image_once_per_epoch_in_a_fresh_order(mnist_dir):
    dm = make_datamodule(mnist_dir)  # 260 training images, batches of 20: no remainder
    epochs = [[i for batch in dm.train_dataloader() for i in image_ids(batch)] for _ in range(2)]
    assert sorted(epochs[0]) == sorted(image_ids(dm.train_images))
    assert epochs[0] != epochs[1] and epochs[0] != image_ids(dm.train_images)  # shuffled, each epoch anew


def test_a_partial_last_batch_is_dropped(mnist_dir):
    dm = make_datamodule(mnist_dir, batch_size=100)  # 260 images: two full batches
    assert [len(batch) for batch in dm.train_dataloader()] == [100, 100]


def test_validation_and_test_batches_are_eval_batch_size_in_a_fixed_order(mnist_dir):
    dm = make_datamodule(mnist_dir, eval_batch_size=25)  # 60 val and 64 test images
    for loader, images in ((dm.val_dataloader(), dm.val_images), (dm.test_dataloader(), dm.test_images)):
        batches = list(loader)
        assert [len(b) for b in batches] == [25, 25, len(images) - 50]
        assert image_ids(torch.cat(batches)) == image_ids(images)


def test_batches_hold_one_minibatch_per_d_step_and_become_unit_floats(mnist_dir, make_cfg):
    """The data module asks the GAN module it trains for its d_steps (3 here): 3 x 20 images a batch."""
    trainer = pl.Trainer(accelerator="cpu", logger=False)
    trainer.strategy.connect(instantiate(make_cfg("d_steps=3").gan))
    dm = datamodule(mnist_dir, batch_size=20, val_size=60)
    dm.trainer = trainer
    dm.setup("fit")
    raw = next(iter(dm.train_dataloader()))
    assert raw.shape == (60, 28, 28) and raw.dtype == torch.uint8
    batch = dm.on_after_batch_transfer(raw.clone(), 0)
    assert batch.shape == (60, 1, 28, 28) and batch.dtype == torch.float32
    torch.testing.assert_close(batch[:, 0], raw.float() / 255)
    assert batch.min() >= 0 and batch.max() <= 1


@pytest.mark.parametrize("batch_size,d_steps,refused", [(260, 1, False), (261, 1, True), (100, 3, True)])
def test_a_batch_larger_than_the_training_images_is_refused(mnist_dir, make_cfg, batch_size, d_steps, refused):
    trainer = pl.Trainer(accelerator="cpu", logger=False)
    trainer.strategy.connect(instantiate(make_cfg(f"d_steps={d_steps}").gan))
    dm = datamodule(mnist_dir, batch_size=batch_size, val_size=60)
    dm.trainer = trainer
    if not refused:
        dm.setup("fit")
        return
    message = rf"data\.batch_size x d_steps \({batch_size * d_steps}\) exceeds the 260 training images"
    with pytest.raises(ConfigError, match=message):
        dm.setup("fit")


def gzip_all(raw, names=RAW_FILES) -> None:
    for name in names:
        with open(raw / name, "rb") as src, gzip.open(raw / f"{name}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        (raw / name).unlink()


def test_reads_gzipped_files_only(tmp_path):
    raw = write_mnist(tmp_path, n_train=100, n_test=10) / "MNIST" / "raw"
    gzip_all(raw)
    dm = datamodule(tmp_path, batch_size=10, val_size=10, download=True)
    dm.prepare_data()  # unpacked here; nothing is downloaded
    assert all((raw / name).exists() for name in RAW_FILES)
    dm.setup("fit")
    assert len(dm.train_images) == 90 and len(dm.test_images) == 10


def test_a_broken_archive_is_reported(tmp_path):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    gzip_all(raw)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match=f"could not unpack {raw / 't10k-labels-idx1-ubyte'}.gz .*; unpack it by hand"):
        load_mnist(tmp_path, train=True)


def test_missing_data_names_folder_variable_and_files(tmp_path):
    with pytest.raises(DataError) as err:
        datamodule(tmp_path).prepare_data()
    assert str(err.value) == (
        f"MNIST not found in {tmp_path / 'MNIST' / 'raw'} (download is off: data.download=false). That folder "
        f"needs the four files {', '.join(RAW_FILES)} (plain or .gz). Point the project at a folder holding "
        f"MNIST/raw with the environment variable {DATA_DIR_VARIABLE}=/path/to/data (or data.data_dir=...), or "
        f"run once where the download mirrors are reachable."
    )


def test_preparing_checks_the_test_files_too(tmp_path):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    (raw / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match="MNIST not found"):
        datamodule(tmp_path).prepare_data()


def test_failed_download_names_folder_variable_and_files(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # a port nothing listens on
    with pytest.raises(DataError, match="download failed") as err:
        datamodule(tmp_path, download=True).prepare_data()
    assert DATA_DIR_VARIABLE in str(err.value) and all(name in str(err.value) for name in RAW_FILES)
    assert "Dataset not found" not in str(err.value)  # it did try the mirrors


@pytest.mark.parametrize(
    "content,reason",
    [(b"\x00\x00\x07\x07" + b"\x00" * 64, r"\(AssertionError\)"), (None, r"\(RuntimeError: shape .+\)")],
)
def test_corrupt_file_is_reported(tmp_path, content, reason):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(content if content is not None else images.read_bytes()[:-100])
    with pytest.raises(DataError, match=f"^MNIST files in {raw} are corrupt or unreadable {reason}; replace them$"):
        datamodule(tmp_path).prepare_data()


@pytest.mark.parametrize("override", ["data.batch_size=0", "data.eval_batch_size=0", "data.val_size=-1"])
def test_non_positive_sizes_are_refused(make_cfg, override):
    with pytest.raises(ConfigError, match=override.split("=")[0].replace(".", r"\.")):
        check_config(make_cfg(override))


def test_a_validation_split_as_large_as_the_data_is_refused(mnist_dir):
    with pytest.raises(ConfigError, match=f"data.val_size must be below the {TRAIN_IMAGES} training images"):
        datamodule(mnist_dir, val_size=TRAIN_IMAGES).setup("fit")


def test_preparing_reads_the_test_split_too(tmp_path):
    raw = write_mnist(tmp_path, n_train=50, n_test=10) / "MNIST" / "raw"
    images = raw / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])  # all four files there, the test images cut short
    with pytest.raises(DataError, match=f"^MNIST files in {raw} are corrupt"):
        datamodule(tmp_path).prepare_data()


def loader(order: EpochOrder | None = None) -> ResumableLoader:
    return ResumableLoader(
        ImageTensor(torch.zeros(40, 28, 28, dtype=torch.uint8)), 4, sampler=order, collate_fn=keep_batch
    )


def test_the_epoch_order_is_random_samplers_and_an_interrupted_epoch_resumes_at_its_first_unconsumed_batch():
    torch.manual_seed(5)
    shuffled = list(RandomSampler(range(40)))
    torch.manual_seed(5)
    first = EpochOrder(40, batch_size=4, consumed=lambda: 3)
    assert first.state_dict()["seed"] is None  # before the first epoch: nothing drawn yet
    order = list(first)
    assert order == shuffled  # the same batches as shuffle=True
    state = loader(first).state_dict()
    assert state["seed"] == first.seed and state["batches_consumed"] == 3
    assert torch.equal(state["torch_stream"], torch.get_rng_state())
    torch.manual_seed(123)  # a new process, another stream
    resumed = EpochOrder(40, batch_size=4, consumed=lambda: 0)
    loader(resumed).load_state_dict(state)
    assert list(resumed) == order[12:]  # the rest of the interrupted epoch
    assert torch.equal(torch.get_rng_state(), state["torch_stream"])  # the stream rewound to the checkpoint
    following = list(resumed)
    assert sorted(following) == list(range(40)) and following != order  # the next epoch: whole, with a new seed


def test_a_loader_without_an_epoch_order_keeps_no_state():
    assert loader().state_dict() == {}
    loader().load_state_dict({"seed": 1, "batches_consumed": 2, "torch_stream": torch.get_rng_state()})  # ignored
    untouched = EpochOrder(40, batch_size=4, consumed=lambda: 0)
    loader(untouched).load_state_dict({})  # a checkpoint of a run without one
    assert untouched.start_batch == 0 and untouched.stream is None
