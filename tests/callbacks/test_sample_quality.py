"""SampleQuality: the stage's fakes scored against its real images; the reals themselves score as perfect."""

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from gan_lightning.callbacks import SampleQuality
from tests.callbacks.stub import StubGAN
from tests.helpers import synthetic_digits


class Faking(StubGAN):
    """Its fakes are whatever `fakes` makes of the real batch."""

    def __init__(self, fakes) -> None:
        super().__init__()
        self.fakes = fakes

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return {"fake": self.fakes(batch)}


def test_the_reals_as_fakes_score_far_better_than_noise():
    images, _ = synthetic_digits(128, seed=0)
    reals = DataLoader(torch.from_numpy(images).float().div(255).unsqueeze(1), batch_size=64)
    scores = {}
    for name, fakes in (("reals", lambda batch: batch), ("noise", torch.rand_like)):
        trainer = pl.Trainer(
            accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
            callbacks=[SampleQuality(kid_subset_size=32)],
        )  # fmt: skip
        (scores[name],) = trainer.validate(Faking(fakes), dataloaders=reals, verbose=False)
    assert {"val/fid", "val/kid", "val/inception_score", "val/mode_classes"} <= set(scores["reals"])
    assert scores["reals"]["val/fid"] < 0.01 * scores["noise"]["val/fid"]
    assert scores["reals"]["val/kid"] < scores["noise"]["val/kid"]
