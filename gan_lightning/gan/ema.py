"""An exponential moving average of the generator's weights, the generator people sample from."""

import copy

import torch
from torch import nn


class EMAGenerator(nn.Module):
    """A copy of G whose floating-point parameters and buffers (BatchNorm statistics) trail G's.

    The update after iteration i (0-based): w_ema <- d * w_ema + (1 - d) * w with d = min(decay, (1 + i) / (10 + i));
    the warm-up (d = 0.1 at i = 0) keeps the random initial weights from dominating the early average.
    The copy never trains.
    """

    def __init__(self, generator: nn.Module, decay: float) -> None:
        super().__init__()
        self.module = copy.deepcopy(generator).requires_grad_(False)
        self.decay = decay

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.module(z) if labels is None else self.module(z, labels)

    @torch.no_grad()
    def update(self, generator: nn.Module, iteration: int) -> None:
        weight = 1.0 - min(self.decay, (1 + iteration) / (10 + iteration))
        averaged = [*self.module.parameters(), *self.module.buffers()]
        current = [t.detach() for t in (*generator.parameters(), *generator.buffers())]
        floats = [i for i, t in enumerate(averaged) if t.is_floating_point()]
        torch._foreach_lerp_([averaged[i] for i in floats], [current[i] for i in floats], weight)
        for mine, theirs in zip(averaged, current, strict=True):
            if not mine.is_floating_point():
                mine.copy_(theirs)  # counters such as BatchNorm's num_batches_tracked
