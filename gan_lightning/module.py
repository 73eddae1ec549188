"""The GAN as a LightningModule with manual optimization: `d_steps` D updates, then one G update."""

import random
from collections.abc import Callable

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics.classification import BinaryAccuracy

from gan_lightning.ema import EMAGenerator
from gan_lightning.errors import ConfigError, DivergenceError
from gan_lightning.losses import Objective
from gan_lightning.penalties import gradient_penalty, r1_penalty

OptimizerFactory = Callable[..., torch.optim.Optimizer]


def _numpy_state_to_plain(state: tuple) -> tuple:
    name, keys, position, has_gauss, cached = state
    return name, torch.from_numpy(keys.copy()), int(position), int(has_gauss), float(cached)


class GAN(pl.LightningModule):
    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        objective: Objective,
        g_optimizer: OptimizerFactory,
        d_optimizer: OptimizerFactory,
        latent_dim: int = 100,
        d_steps: int = 1,
        compile: bool = False,
        compile_mode: str | None = None,
        fused_optimizer: bool = False,
        ema_decay: float | None = None,
        r1_gamma: float = 0.0,
    ) -> None:
        super().__init__()
        if d_steps < 1:
            raise ConfigError(f"loss.d_steps must be >= 1, got {d_steps}")
        if compile and (objective.gp_weight or r1_gamma):
            raise ConfigError(
                "compile=true does not work with gradient penalties (wgan_gp, r1_gamma): torch.compile has no "
                "double backward; set compile=false"
            )
        self.automatic_optimization = False
        self.save_hyperparameters(ignore=["generator", "discriminator", "objective", "g_optimizer", "d_optimizer"])
        self.generator = generator
        self.discriminator = discriminator
        self.objective = objective
        self.g_optimizer_factory = g_optimizer
        self.d_optimizer_factory = d_optimizer
        self.latent_dim = latent_dim
        self.d_steps = d_steps
        self.compile_nets, self.compile_mode, self.fused_optimizer = compile, compile_mode, fused_optimizer
        self.r1_gamma = r1_gamma
        # The averaged copy is what validation, evaluation and sampling use (see `sampler`).
        self.generator_ema = EMAGenerator(generator, ema_decay) if ema_decay else None
        self._first_bad: torch.Tensor | None = None
        self.accuracy = nn.ModuleDict(
            {f"{stage}_{kind}": BinaryAccuracy() for stage in ("val", "test") for kind in ("real", "fake")}
        )

    @property
    def optimizer_steps_per_iteration(self) -> int:
        return self.d_steps + 1

    @property
    def iteration(self) -> int:
        """Completed GAN iterations. Lightning's global_step counts every optimizer step, D's and G's."""
        return self.global_step // self.optimizer_steps_per_iteration

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # Lightning does not keep the random streams; a resumed run continues them instead of reseeding.
        checkpoint["rng_states"] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "python": random.getstate(),
            # As tensors and plain values: Lightning reads checkpoints with torch.load(weights_only=True).
            "numpy": _numpy_state_to_plain(np.random.get_state()),
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        states = checkpoint.get("rng_states")
        if states is None:
            return
        torch.set_rng_state(states["torch"])
        if states["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["cuda"])
        random.setstate(states["python"])
        name, keys, position, has_gauss, cached = states["numpy"]
        np.random.set_state((name, keys.numpy(), position, has_gauss, cached))

    @property
    def sampler(self) -> nn.Module:
        """The generator whose images are scored and shown: the moving average when ema is on."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.sampler(z)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    def configure_model(self) -> None:
        # In-place nn.Module.compile keeps the state_dict keys, so checkpoints load in eager or compiled runs.
        # mode="reduce-overhead" also captures CUDA graphs.
        if self.compile_nets and not getattr(self, "_compiled", False):
            self.generator.compile(mode=self.compile_mode)
            self.discriminator.compile(mode=self.compile_mode)
            self._compiled = True

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        extra = {"fused": True} if self.fused_optimizer else {}
        return [
            self.g_optimizer_factory(self.generator.parameters(), **extra),
            self.d_optimizer_factory(self.discriminator.parameters(), **extra),
        ]

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        g_opt, d_opt = self.optimizers()
        iteration = self.iteration  # 0-based index of this iteration
        # Statistics only on the iterations Lightning writes to the loggers: no per-step work or host syncs.
        logging_now = self._logging_now()
        for real in batch.chunk(self.d_steps):
            d_loss, stats = self._discriminator_step(real, d_opt, measure=logging_now)
        g_loss, g_stats = self._generator_step(len(real), g_opt, measure=logging_now)
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator, iteration)
        self._watch_finite(d_loss, g_loss, iteration)
        if logging_now:
            self.raise_if_diverged()
            for name, value in {**stats, **g_stats}.items():
                self.log(f"train/{name}", value, prog_bar=name in ("d_loss", "g_loss"))

    def _watch_finite(self, d_loss: torch.Tensor, g_loss: torch.Tensor, iteration: int) -> None:
        """Note the first non-finite loss on the device: no host sync in the step."""
        losses = torch.stack([d_loss.detach(), g_loss.detach()])
        if self._first_bad is None:
            self._first_bad = torch.full((2,), -1, dtype=torch.long, device=losses.device)
            self._bad_values = torch.zeros(2, device=losses.device)
        new = ~torch.isfinite(losses) & (self._first_bad < 0)
        self._first_bad = torch.where(new, iteration, self._first_bad)
        self._bad_values = torch.where(new, losses, self._bad_values)

    def raise_if_diverged(self) -> None:
        """Raise DivergenceError if a loss went non-finite (a host sync: on logging iterations and checkpoints)."""
        if self._first_bad is None or not bool((self._first_bad >= 0).any()):
            return
        first = [
            (int(i), name, float(v))
            for i, name, v in zip(self._first_bad, ("d_loss", "g_loss"), self._bad_values, strict=True)
            if i >= 0
        ]
        iteration, name, value = min(first)
        raise DivergenceError(
            f"training diverged: {name} became {value} at iteration {iteration + 1}; the run stops, and the "
            f"checkpoints written before it are kept (lower the learning rates or change the loss)"
        )

    def _logging_now(self) -> bool:
        every = self.trainer.log_every_n_steps
        return bool(self.trainer.fast_dev_run) or (every > 0 and (self.iteration + 1) % every == 0)

    def _discriminator_step(self, real: torch.Tensor, d_opt, measure: bool) -> tuple[torch.Tensor, dict]:
        with torch.no_grad():
            fake = self.generator(self.noise(len(real)))
        # D has no batch statistics, so one pass over reals and fakes together equals two passes.
        real_logits, fake_logits = self.discriminator(torch.cat([real, fake])).split(len(real))
        real_loss, fake_loss = self.objective.discriminator_losses(real_logits, fake_logits)
        penalties = {}
        if gp_weight := self.objective.gp_weight:
            penalties["d_gradient_penalty"] = gp_weight * gradient_penalty(self.discriminator, real, fake)
        if self.r1_gamma:
            penalties["d_r1_penalty"] = self.r1_gamma / 2 * r1_penalty(self.discriminator, real)
        d_loss = real_loss + fake_loss
        for penalty in penalties.values():
            d_loss = d_loss + penalty
        d_opt.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        d_opt.step()
        if not measure:
            return d_loss, {}
        with torch.no_grad():
            stats = {
                "d_real_loss": real_loss.detach(),
                "d_fake_loss": fake_loss.detach(),
                "d_loss": d_loss.detach(),
                **{name: value.detach() for name, value in penalties.items()},
            }
            if not self.objective.outputs_are_logits:
                return d_loss, {**stats, "d_real_score": real_logits.mean(), "d_fake_score": fake_logits.mean()}
            real_prob, fake_prob = real_logits.sigmoid(), fake_logits.sigmoid()
            return d_loss, {
                **stats,
                "d_real_prob": real_prob.mean(),
                "d_fake_prob": fake_prob.mean(),
                # The tutorial's "divergence": mean D(x) / (D(x) + D(G(z))); 0.5 when D cannot tell.
                "divergence": (real_prob / (real_prob + fake_prob)).mean(),
            }

    def _generator_step(self, n: int, g_opt, measure: bool) -> tuple[torch.Tensor, dict]:
        with self.toggled_optimizer(g_opt):  # D's weights get no gradients they would not use
            g_loss = self.objective.generator_loss(self.discriminator(self.generator(self.noise(n))))
            g_opt.zero_grad(set_to_none=True)
            self.manual_backward(g_loss)
            stats = {}
            if measure:
                grads = [p.grad for p in self.generator.parameters() if p.grad is not None]
                stats = {"g_loss": g_loss.detach(), "g_grad_norm": torch.nn.utils.get_total_norm(grads)}
            g_opt.step()
        return g_loss, stats

    def _evaluation_step(self, real: torch.Tensor, stage: str) -> dict[str, torch.Tensor]:
        """The tutorial's evaluation done right: eval mode, pixels in [0, 1], as many fakes as reals.

        Returns the fakes, so that callbacks (the quality metrics) score the same images.
        """
        fake = self.sampler(self.noise(len(real)))
        real_acc, fake_acc = self.accuracy[f"{stage}_real"], self.accuracy[f"{stage}_fake"]
        threshold = self.objective.decision_threshold
        real_acc((self.discriminator(real) > threshold).long(), torch.ones(len(real), device=self.device))
        fake_acc((self.discriminator(fake) > threshold).long(), torch.zeros(len(real), device=self.device))
        self.log(f"{stage}/d_real_acc", real_acc, on_epoch=True)
        self.log(f"{stage}/d_fake_acc", fake_acc, on_epoch=True)
        return {"fake": fake}

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step(batch, "val")

    def test_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step(batch, "test")
