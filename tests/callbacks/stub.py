"""A stub of the GAN module that follows gan_lightning/gan/protocol.py, for testing callbacks one at a time in a
real Trainer: no GAN to train, so each test sees only what its callback does."""

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader

from gan_lightning.core.iterations import completed_iterations
from gan_lightning.loggers.handoff import log_iteration

BATCHES = 8  # per epoch


class TinyGenerator(nn.Module):
    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.linear = nn.Linear(latent_dim, 28 * 28)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return torch.sigmoid(self.linear(z)).view(-1, 1, 28, 28)


class StubGAN(pl.LightningModule):
    """What callbacks may use of the GAN (protocol.py), nothing more: `d_steps` optimizer steps of D and one of
    G per iteration (so Lightning's global_step counts as the GAN's does), the losses it is told to return, and
    its fakes in validation and test."""

    def __init__(self, d_steps: int = 1, latent_dim: int = 4, losses: dict[int, float] | None = None) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.d_steps = d_steps
        self.generator = TinyGenerator(latent_dim)
        self.discriminator = nn.Linear(1, 1)
        self.losses = losses or {}  # iteration -> the d_loss it returns (1.0 otherwise)

    @property
    def iteration(self) -> int:
        return completed_iterations(self.global_step, self.d_steps)

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def num_classes(self) -> int | None:
        return None

    @property
    def eval_generator(self) -> nn.Module:
        return self.generator

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            torch.optim.SGD(self.generator.parameters(), lr=0.1),
            torch.optim.SGD(self.discriminator.parameters(), lr=0.2),
        ]

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        g_opt, d_opt = self.optimizers()
        iteration = self.iteration
        for _ in range(self.d_steps):
            d_opt.step()
        g_opt.step()
        d_loss = torch.tensor(self.losses.get(iteration, 1.0))
        log_iteration(self, {"1_losses/d_loss": d_loss}, iteration)
        return {"d_loss": d_loss, "g_loss": torch.tensor(1.0)}

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return {"fake": self.generator(torch.randn(len(batch), self.latent_dim))}

    def test_step(self, batch: torch.Tensor, batch_idx: int) -> dict[str, torch.Tensor]:
        return self.validation_step(batch, batch_idx)


def loader(batches: int = BATCHES, batch_size: int = 4) -> DataLoader:
    """Real-looking images in [0, 1]: `batches` batches of `batch_size`."""
    return DataLoader(torch.rand(batches * batch_size, 1, 28, 28), batch_size=batch_size)


def fit(
    tmp_path, callbacks: list, module: StubGAN | None = None, iterations: int = 6, ckpt_path=None, **trainer_args
) -> pl.Trainer:
    """A real Trainer over the stub, on the CPU, logging every iteration to TensorBoard in tmp_path."""
    module = module or StubGAN()
    settings = {
        "accelerator": "cpu",
        "max_steps": iterations * (module.d_steps + 1),
        "log_every_n_steps": 1,
        "limit_val_batches": 0,
        "enable_model_summary": False,
        "enable_progress_bar": False,
        "num_sanity_val_steps": 0,
        "default_root_dir": tmp_path,
        "logger": pl.loggers.TensorBoardLogger(tmp_path / "tensorboard", name=None, version=""),
        "enable_checkpointing": False,
        **trainer_args,
    }
    trainer = pl.Trainer(callbacks=callbacks, **settings)
    trainer.fit(module, train_dataloaders=loader(), val_dataloaders=loader(2), ckpt_path=ckpt_path)
    return trainer
