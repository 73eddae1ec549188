"""SampleGrid: G's images for one fixed z at the start, every N iterations and at the end; none of a G gone NaN."""

import pytorch_lightning as pl
import torch
from PIL import Image

from gan_lightning.callbacks import SampleGrid
from tests.callbacks.stub import fit
from tests.helpers import tensorboard_events


def image_steps(tmp_path) -> list[int]:
    events = tensorboard_events(tmp_path)
    return [event.step for event in events.Images("samples")]


def test_grids_at_the_start_every_n_iterations_and_at_the_end(tmp_path):
    fit(tmp_path, [SampleGrid(dirpath=tmp_path / "samples", every_n_iterations=2, rows=2, cols=3)], iterations=5)
    assert image_steps(tmp_path) == [0, 2, 4, 5]
    width, height = Image.open(tmp_path / "samples" / "final.png").size
    assert width > height and 3 * 28 <= width < 4 * 28  # three columns, two rows


class BreakG(pl.Callback):
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.iteration == 3:
            with torch.no_grad():
                pl_module.generator.linear.weight.fill_(float("nan"))


def test_a_generator_gone_nan_draws_no_grid(tmp_path):
    fit(tmp_path, [BreakG(), SampleGrid(dirpath=tmp_path / "samples", every_n_iterations=2)], iterations=5)
    assert image_steps(tmp_path) == [0, 2]
