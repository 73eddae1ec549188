"""Class labels of a conditional GAN: how nets are called with them, and which digits a grid asks for."""

import torch
from torch import nn

DIGITS = 10
# Images alone, or (images, labels) for a class-conditional GAN (the data module serves labels then).
Batch = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def split_batch(batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The images of a batch and its labels (None for an unconditional GAN's batch of images alone)."""
    return (batch, None) if isinstance(batch, torch.Tensor) else (batch[0], batch[1])


def chunk_labels(labels: torch.Tensor | None, chunks: int) -> list[torch.Tensor | None]:
    """The labels of each of a batch's minibatches, as images.chunk(chunks) splits the images."""
    return [None] * chunks if labels is None else list(labels.chunk(chunks))


def conditioned(net: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """net(inputs), with the labels when the GAN is conditional (an unconditional net takes its input alone)."""
    return net(inputs) if labels is None else net(inputs, labels)


def digit_rows(cols: int, classes: int = DIGITS) -> torch.Tensor:
    """The labels of a grid with one row per digit, `cols` images each: 0 0 0 ... 1 1 1 ... 9."""
    return torch.arange(classes).repeat_interleave(cols)


def grid_labels(num_classes: int | None, rows: int, cols: int) -> tuple[torch.Tensor | None, int]:
    """A sample grid's labels and image count: rows x cols images of an unconditional G (no labels), one row of
    `cols` per digit of a conditional one."""
    if not num_classes:
        return None, rows * cols
    labels = digit_rows(cols, num_classes)
    return labels, len(labels)
