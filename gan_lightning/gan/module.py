"""The GAN as a LightningModule with manual optimization: `d_steps` D updates, then one G update.

Shaped like Lightning's own GAN example (toggle, zero_grad, manual_backward, step), plus the tutorial's
statistics. Checkpoints, sample grids, quality metrics, random streams and the NaN guard are callbacks
(gan_lightning/callbacks/); what they may use of this module is in gan_lightning/gan/protocol.py.
"""

from collections.abc import Callable, Sequence
from functools import partial

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import BinaryAccuracy

from gan_lightning.core import curves
from gan_lightning.core.iterations import completed_iterations, is_logging_iteration
from gan_lightning.data.labels import Batch, chunk_labels, conditioned, split_batch
from gan_lightning.gan.augment import augmentation
from gan_lightning.gan.ema import EMAGenerator
from gan_lightning.gan.losses import Objective
from gan_lightning.gan.penalties import Penalties
from gan_lightning.loggers.handoff import log_iteration

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
        aux_classifier_weight: float = 0.0,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        augment = list(augment) if augment else None  # a plain list in checkpoints (Hydra passes a ListConfig)
        self.save_hyperparameters(ignore=["generator", "discriminator", "objective", "g_optimizer", "d_optimizer"])
        self.generator, self.discriminator, self.objective = generator, discriminator, objective
        self.g_optimizer_factory, self.d_optimizer_factory = g_optimizer, d_optimizer
        self.d_steps = d_steps
        self.generator_ema = EMAGenerator(generator, ema_decay) if ema_decay else None
        # What D sees in training, reals and fakes alike (G learns through it); no policy: the images themselves.
        self.augment = augmentation(augment, ada_target, objective.decision_threshold)
        self.penalties = Penalties(objective.gp_weight, r1_gamma, r1_every)
        self.aux_classifier_weight = aux_classifier_weight
        self.accuracy = nn.ModuleDict(
            {f"{stage}_{kind}": BinaryAccuracy() for stage in ("val", "test") for kind in ("real", "fake")}
        )

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def iteration(self) -> int:
        return completed_iterations(self.global_step, self.d_steps)

    @property
    def eval_generator(self) -> nn.Module:
        return self.generator_ema if self.generator_ema is not None else self.generator

    @property
    def num_classes(self) -> int | None:
        return getattr(self.generator, "num_classes", None)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return conditioned(self.eval_generator, z, labels)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.g_optimizer_factory(self.generator.parameters()),
            self.d_optimizer_factory(self.discriminator.parameters()),
        ]

    def training_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        g_opt, d_opt = self.optimizers()
        iteration = self.iteration  # 0-based index of this one
        # Statistics only on the iterations Lightning writes to the loggers: no per-step work or host syncs.
        measure = is_logging_iteration(self.trainer, iteration)
        images, labels = split_batch(batch)
        # A fresh minibatch of real images (with their labels, for a conditional GAN) for each D step.
        minibatches = list(zip(images.chunk(self.d_steps), chunk_labels(labels, self.d_steps), strict=True))
        for i, (real, real_labels) in enumerate(minibatches):
            d_step = iteration * self.d_steps + i + 1  # D's updates so far, this one included
            last = measure and i == self.d_steps - 1
            d_loss, d_stats = self._discriminator_step(real, real_labels, d_opt, d_step, last)
        g_loss, g_stats = self._generator_step(*minibatches[0], g_opt, measure)  # G's batch: one minibatch
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator, iteration)
        if measure:
            stats = {curves.tag(name): value.detach() for name, value in {**d_stats, **g_stats}.items()}
            log_iteration(self, stats, iteration, prog_bar=(curves.tag("d_loss"), curves.tag("g_loss")))
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def _discriminator_step(
        self, real: torch.Tensor, labels: torch.Tensor | None, d_opt, d_step: int, measure: bool
    ) -> tuple[torch.Tensor, dict]:
        # A conditional G draws the digits of the real minibatch beside it (the training label frequencies), so
        # that D and its penalties judge reals and fakes of the same classes.
        with torch.no_grad():
            fake = conditioned(self.generator, self.noise(len(real)), labels)
        images = self.augment(torch.cat([real, fake]))
        # D has no batch statistics, so one pass over reals and fakes together equals two passes.
        both = None if labels is None else torch.cat([labels, labels])
        logits, classes = self._judged(images, both)
        real_out, fake_out = logits.split(len(real))
        self.augment.observe(real_out)
        real_loss, fake_loss = self.objective.discriminator_losses(real_out, fake_out)
        critic = partial(conditioned, self.discriminator, labels=labels)  # D of the minibatch's classes
        terms = self.penalties(critic, *images.split(len(real)), d_step)  # on the images D saw
        if classes is not None:  # the auxiliary classifier learns the digits of real images only
            terms["d_class_loss"] = self._class_loss(classes[: len(real)], labels)
        d_loss = real_loss + fake_loss + sum(terms.values())
        d_opt.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        d_opt.step()
        if not measure:
            return d_loss, {}
        outputs = self.objective.output_statistics(real_out.detach(), fake_out.detach())
        losses = {"d_real_loss": real_loss, "d_fake_loss": fake_loss, "d_loss": d_loss, **terms}
        return d_loss, {**losses, **self.augment.statistics(), **outputs}

    def _generator_step(
        self, real: torch.Tensor, labels: torch.Tensor | None, g_opt, measure: bool
    ) -> tuple[torch.Tensor, dict]:
        """As many fakes as one real minibatch, of its classes when conditional."""
        with self.toggled_optimizer(g_opt):  # D's weights get no gradients they would not use
            fake = self.augment(conditioned(self.generator, self.noise(len(real)), labels))
            logits, classes = self._judged(fake, labels)
            adversarial = self.objective.generator_loss(logits)
            # With an auxiliary classifier, G is also pulled towards fakes that it reads as the asked digits.
            class_loss = self._class_loss(classes, labels) if classes is not None else None
            g_loss = adversarial if class_loss is None else adversarial + class_loss
            g_opt.zero_grad(set_to_none=True)
            self.manual_backward(g_loss)
            stats = {}
            if measure:
                grads = [p.grad for p in self.generator.parameters() if p.grad is not None]
                stats = {"g_loss": g_loss, "g_grad_norm": torch.nn.utils.get_total_norm(grads)}
                if class_loss is not None:
                    stats["g_class_loss"] = class_loss
            g_opt.step()
        return g_loss, stats

    def _judged(self, images: torch.Tensor, labels: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's logits, and its auxiliary classifier's class logits where D has one (else None)."""
        if self.discriminator.classifier is None:
            return conditioned(self.discriminator, images, labels), None
        features = self.discriminator.features(images)  # once, for both heads
        return self.discriminator.logits(features, labels), self.discriminator.class_logits(features)

    def _class_loss(self, classes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The auxiliary classifier's weighted cross-entropy (ACGAN's class term) against the digits `labels`."""
        return self.aux_classifier_weight * F.cross_entropy(classes, labels)

    def _evaluation_step(self, batch: Batch, stage: str) -> dict[str, torch.Tensor]:
        """The tutorial's evaluation done right: eval mode, pixels in [0, 1], as many fakes as reals (of the same
        digits, for a conditional GAN).

        Returns the fakes (and the digits they were asked for), so that SampleQuality scores the same images.
        """
        real, labels = split_batch(batch)
        fake = conditioned(self.eval_generator, self.noise(len(real)), labels)
        for kind, images, label in (("real", real, 1), ("fake", fake, 0)):
            accuracy = self.accuracy[f"{stage}_{kind}"]
            says_real = (conditioned(self.discriminator, images, labels) > self.objective.decision_threshold).long()
            accuracy(says_real, torch.full_like(says_real, label))
            self.log(f"{stage}/d_{kind}_acc", accuracy, on_epoch=True)
        return {"fake": fake} if labels is None else {"fake": fake, "labels": labels}

    def validation_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step(batch, "test")
