"""The GAN as a LightningModule with manual optimization: `d_steps` D updates, then one G update.

Shaped like Lightning's own GAN example (toggle, zero_grad, manual_backward, step), plus the tutorial's
statistics. Checkpoints, sample grids, quality metrics, random streams and the NaN guard are callbacks
(gan_lightning/callbacks/); what they may use of this module is in gan_lightning/protocol.py.
"""

from collections.abc import Callable, Sequence

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics.classification import BinaryAccuracy

from gan_lightning import curves
from gan_lightning.augment import AdaptiveAugment, DiffAugment
from gan_lightning.ema import EMAGenerator
from gan_lightning.iterations import completed_iterations, is_logging_iteration
from gan_lightning.losses import Objective
from gan_lightning.penalties import gradient_penalty, r1_penalty

OptimizerFactory = Callable[..., torch.optim.Optimizer]


class GAN(pl.LightningModule):
    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        objective: Objective,
        g_optimizer: OptimizerFactory,
        d_optimizer: OptimizerFactory,
        d_steps: int = 1,
        ema_decay: float | None = None,
        r1_gamma: float = 0.0,
        r1_every: int = 1,
        augment: Sequence[str] | None = None,
        ada_target: float | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        augment = list(augment) if augment else None  # a plain list in checkpoints (Hydra passes a ListConfig)
        self.save_hyperparameters(ignore=["generator", "discriminator", "objective", "g_optimizer", "d_optimizer"])
        self.generator, self.discriminator, self.objective = generator, discriminator, objective
        self.g_optimizer_factory, self.d_optimizer_factory = g_optimizer, d_optimizer
        self.d_steps, self.r1_gamma, self.r1_every = d_steps, r1_gamma, r1_every
        self.generator_ema = EMAGenerator(generator, ema_decay) if ema_decay else None
        # What D sees in training, reals and fakes alike (G learns through it); None: the images themselves.
        if not augment:
            self.augment = None
        elif ada_target is None:
            self.augment = DiffAugment(augment)
        else:  # ADA: a probability that D's verdicts on the reals steer
            self.augment = AdaptiveAugment(augment, ada_target, objective.decision_threshold)
        self.accuracy = nn.ModuleDict(
            {f"{stage}_{kind}": BinaryAccuracy() for stage in ("val", "test") for kind in ("real", "fake")}
        )
        self.validated_at: int | None = None  # the iteration of the last validation during training

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def iteration(self) -> int:
        return completed_iterations(self.global_step, self.d_steps)

    @property
    def eval_generator(self) -> nn.Module:
        return self.generator_ema if self.generator_ema is not None else self.generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.eval_generator(z)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.g_optimizer_factory(self.generator.parameters()),
            self.d_optimizer_factory(self.discriminator.parameters()),
        ]

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        g_opt, d_opt = self.optimizers()
        iteration = self.iteration  # 0-based index of this one
        # Statistics only on the iterations Lightning writes to the loggers: no per-step work or host syncs.
        measure = is_logging_iteration(self.trainer, iteration)
        for i, real in enumerate(batch.chunk(self.d_steps)):  # a fresh minibatch of real images for each D step
            d_step = iteration * self.d_steps + i + 1  # D's updates so far, this one included
            d_loss, d_stats = self._discriminator_step(real, d_opt, measure, with_r1=d_step % self.r1_every == 0)
        g_loss, g_stats = self._generator_step(len(real), g_opt, measure)
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator, iteration)
        for name, value in {**d_stats, **g_stats}.items():
            self.log(curves.tag(name), value.detach(), prog_bar=name in ("d_loss", "g_loss"))
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def _discriminator_step(self, real: torch.Tensor, d_opt, measure: bool, with_r1: bool) -> tuple[torch.Tensor, dict]:
        with torch.no_grad():
            fake = self.generator(self.noise(len(real)))
        images = torch.cat([real, fake])
        if self.augment is not None:
            images = self.augment(images)
        # D has no batch statistics, so one pass over reals and fakes together equals two passes.
        real_out, fake_out = self.discriminator(images).split(len(real))
        if isinstance(self.augment, AdaptiveAugment):
            self.augment.observe(real_out)
        real_loss, fake_loss = self.objective.discriminator_losses(real_out, fake_out)
        penalties = self._penalties(*images.split(len(real)), with_r1)  # on the images D saw
        d_loss = real_loss + fake_loss + sum(penalties.values())
        d_opt.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        d_opt.step()
        if not measure:
            return d_loss, {}
        stats = {"d_real_loss": real_loss, "d_fake_loss": fake_loss, "d_loss": d_loss, **penalties}
        if isinstance(self.augment, AdaptiveAugment):
            stats["augment_p"] = self.augment.p.clone()
        return d_loss, {**stats, **self.objective.output_statistics(real_out.detach(), fake_out.detach())}

    def _penalties(self, real: torch.Tensor, fake: torch.Tensor, with_r1: bool) -> dict[str, torch.Tensor]:
        penalties = {}
        if gp_weight := self.objective.gp_weight:
            penalties["d_gradient_penalty"] = gp_weight * gradient_penalty(self.discriminator, real, fake)
        if self.r1_gamma and with_r1:
            # Lazy R1 (StyleGAN2): taken on every r1_every-th D step only and weighted r1_every times, so its
            # pull per D step is the same on average while the double backward runs 1 / r1_every as often.
            penalties["d_r1_penalty"] = self.r1_every * self.r1_gamma / 2 * r1_penalty(self.discriminator, real)
        return penalties

    def _generator_step(self, n: int, g_opt, measure: bool) -> tuple[torch.Tensor, dict]:
        with self.toggled_optimizer(g_opt):  # D's weights get no gradients they would not use
            fake = self.generator(self.noise(n))
            if self.augment is not None:
                fake = self.augment(fake)
            g_loss = self.objective.generator_loss(self.discriminator(fake))
            g_opt.zero_grad(set_to_none=True)
            self.manual_backward(g_loss)
            stats = {}
            if measure:
                grads = [p.grad for p in self.generator.parameters() if p.grad is not None]
                stats = {"g_loss": g_loss, "g_grad_norm": torch.nn.utils.get_total_norm(grads)}
            g_opt.step()
        return g_loss, stats

    def _evaluation_step(self, real: torch.Tensor, stage: str) -> dict[str, torch.Tensor]:
        """The tutorial's evaluation done right: eval mode, pixels in [0, 1], as many fakes as reals.

        Returns the fakes, so that SampleQuality scores the same images.
        """
        fake = self.eval_generator(self.noise(len(real)))
        threshold = self.objective.decision_threshold
        for kind, images, label in (("real", real, 1), ("fake", fake, 0)):
            accuracy = self.accuracy[f"{stage}_{kind}"]
            says_real = (self.discriminator(images) > threshold).long()
            accuracy(says_real, torch.full_like(says_real, label))
            self.log(f"{stage}/d_{kind}_acc", accuracy, on_epoch=True)
        return {"fake": fake}

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self.validated_at = self.iteration

    def test_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step(batch, "test")
