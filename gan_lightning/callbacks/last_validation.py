"""The iteration of the last validation inside training, so that the final weights are validated only once."""

import pytorch_lightning as pl

from gan_lightning.gan.protocol import GANModule


class LastValidation(pl.Callback):
    """Records the iteration of the last validation inside training (not the sanity check): training that ended
    with a validation has its final weights validated already."""

    def __init__(self) -> None:
        self.iteration: int | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: GANModule) -> None:
        if not trainer.sanity_checking:
            self.iteration = pl_module.iteration
