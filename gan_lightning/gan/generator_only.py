"""A generator without its discriminator (an exported folder holds G only), tested as the GAN is tested."""

import pytorch_lightning as pl
import torch
from torch import nn

from gan_lightning.data.labels import Batch, conditioned, split_batch


class GeneratorOnly(pl.LightningModule):
    """Its test step draws the fakes SampleQuality scores exactly as the GAN's test step draws them (the same
    z from the same random stream); it has no D, so no D accuracy."""

    d_steps = 1  # the data module sizes training batches by it (gan/protocol.py); this module never trains

    def __init__(self, generator: nn.Module, latent_dim: int, num_classes: int | None = None) -> None:
        super().__init__()
        self.generator, self._latent_dim, self.num_classes = generator.eval(), latent_dim, num_classes

    @property
    def latent_dim(self) -> int:
        return self._latent_dim

    @property
    def eval_generator(self) -> nn.Module:
        return self.generator

    def test_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        real, labels = split_batch(batch)
        fake = conditioned(self.generator, torch.randn(len(real), self.latent_dim, device=self.device), labels)
        return {"fake": fake} if labels is None else {"fake": fake, "labels": labels}
