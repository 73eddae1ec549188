"""The random streams in every checkpoint, so that a resumed run continues them instead of reseeding."""

import random

import numpy as np
import pytorch_lightning as pl
import torch

CHECKPOINT_KEY = "rng_states"


def capture() -> dict:
    """torch's, CUDA's, Python's and NumPy's streams, as tensors and plain values (weights_only-readable)."""
    name, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": (name, torch.from_numpy(keys.copy()), int(position), int(has_gauss), float(cached)),
    }


def restore(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    random.setstate(states["python"])
    name, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((name, keys.numpy(), position, has_gauss, cached))


class RandomStreams(pl.Callback):
    """Writes the streams into every checkpoint and restores them when a run resumes from one.

    Lightning keeps neither; without them a resumed run would draw other z's and dropout masks than an
    uninterrupted one. Checkpoints without streams (written by other tools) leave the streams as seeded.
    """

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = capture()

    def on_load_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        if CHECKPOINT_KEY in checkpoint:
            restore(checkpoint[CHECKPOINT_KEY])
