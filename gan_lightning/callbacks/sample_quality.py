"""Sample-quality metrics of every validation and test run."""

import pytorch_lightning as pl

from gan_lightning.data.labels import Batch, split_batch
from gan_lightning.gan.protocol import GANModule
from gan_lightning.quality.classifier import load_classifier
from gan_lightning.quality.metrics import QualityMetrics


class SampleQuality(pl.Callback):
    """FID, KID, Inception Score and mode coverage of G's samples in every validation and test run (and, for a
    conditional G, `asked_digit_acc`: the share of fakes the classifier reads as the digit they were asked for).

    Scores the fakes that the evaluation step generated (as many as real images) against the stage's real
    images, whose features are computed once per stage. Logs `val/fid`, `test/fid`, ...; `classifier_hash`
    names the feature network, so that numbers are only compared when they come from the same one.
    `classifier`: None for the shipped network, or a file written by `make classifier`.
    """

    def __init__(self, classifier: str | None = None, kid_subset_size: int = 1000) -> None:
        self.classifier_file, self.kid_subset_size = classifier, kid_subset_size
        self.metrics: dict[str, QualityMetrics] = {}
        self.classifier_hash: str | None = None

    def setup(self, trainer: pl.Trainer, pl_module: GANModule, stage: str) -> None:
        if self.metrics:
            return
        classifier, self.classifier_hash = load_classifier(self.classifier_file)
        self.metrics = {
            name: QualityMetrics(classifier, self.kid_subset_size).to(pl_module.device) for name in ("val", "test")
        }
        self._real_complete = {"val": False, "test": False}

    def _update(self, stage: str, trainer: pl.Trainer, outputs: dict, batch: Batch) -> None:
        if trainer.sanity_checking:
            return
        if not self._real_complete[stage]:
            self.metrics[stage].update_real(split_batch(batch)[0])
        self.metrics[stage].update_fake(outputs["fake"], outputs.get("labels"))

    def _log(self, stage: str, trainer: pl.Trainer, pl_module: GANModule) -> None:
        if trainer.sanity_checking:
            return
        self._real_complete[stage] = True
        results = self.metrics[stage].compute()
        self.metrics[stage].reset_fake()
        pl_module.log_dict({f"{stage}/{name}": value for name, value in results.items()})

    def on_validation_start(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self.metrics["val"].to(pl_module.device)

    def on_test_start(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self.metrics["test"].to(pl_module.device)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._update("val", trainer, outputs, batch)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._update("test", trainer, outputs, batch)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self._log("val", trainer, pl_module)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        self._log("test", trainer, pl_module)
