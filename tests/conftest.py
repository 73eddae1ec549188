"""Fixtures: the tiny MNIST folder and configs composed for a run in tmp_path (helpers live in tests/helpers.py)."""

import os
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from gan_lightning.cli.resolvers import register_resolvers
from tests.helpers import compose_train, tiny_overrides, write_mnist

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two workers on a 2-core machine: one torch thread each (and in the processes they
    # start), or the two slow each other down several-fold.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)

register_resolvers()  # for the tests that compose configs themselves, as every entry point does first


@pytest.fixture(autouse=True)
def runs_in_tmp_path(tmp_path, monkeypatch) -> Path:
    """Every command a test runs (in process or as a subprocess) writes its run folders under tmp_path, never into
    the checkout's outputs/."""
    runs = tmp_path / "outputs"
    monkeypatch.setenv("GAN_LOG_DIR", str(runs))
    return runs


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    return write_mnist(tmp_path_factory.mktemp("data"))


@pytest.fixture
def make_cfg(tmp_path, mnist_dir):
    """Compose conf/train.yaml with tiny-run overrides plus the test's own, writing into tmp_path/run."""

    def make(*overrides: str, output_dir: Path | None = None) -> DictConfig:
        return compose_train(*tiny_overrides(mnist_dir, output_dir or tmp_path / "run"), *overrides)

    return make


def pytest_collection_modifyitems(items) -> None:
    """Slow tests (real MNIST, compilation, DDP) get a longer limit than pyproject's per-test timeout."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(1800))
