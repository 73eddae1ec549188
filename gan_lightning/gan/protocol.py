"""What callbacks and the data module may use of the GAN LightningModule (gan_lightning.gan.module.GAN).

Everything else of the module is its own business; a helper that needs more adds it here first.
"""

from typing import Protocol

import torch
from torch import nn


class GANModule(Protocol):
    d_steps: int
    """D updates per iteration: a training batch holds this many minibatches of real images."""

    @property
    def iteration(self) -> int:
        """Completed GAN iterations (not Lightning's global_step, which counts every optimizer step)."""

    @property
    def latent_dim(self) -> int:
        """Size of the z the generator reads."""

    @property
    def num_classes(self) -> int | None:
        """None for an unconditional GAN; else the number of classes its G and D read (10 digits)."""

    @property
    def eval_generator(self) -> nn.Module:
        """The generator whose images are scored and shown: G's moving average when ema is on, else G."""

    @property
    def device(self) -> torch.device: ...

    # training_step returns {"d_loss": ..., "g_loss": ...} (detached) for FiniteLossGuard;
    # validation_step and test_step return {"fake": images} for SampleQuality, with "labels" (the digits the
    # fakes were asked for, those of the real batch) for a conditional GAN.
