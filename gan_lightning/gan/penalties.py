"""Gradient penalties on D, added to D's loss, and which of them each D step takes.

Both penalties differentiate through a gradient (double backward)."""

from collections.abc import Callable

import torch
from torch import nn


def _input_gradients(discriminator: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """d sum(D(images)) / d images, one row per image, kept in the graph so that D's update sees it."""
    images = images.detach().requires_grad_(True)
    (grads,) = torch.autograd.grad(discriminator(images).sum(), images, create_graph=True)
    return grads.flatten(1)


def gradient_penalty(discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP: E[(|grad D(x_hat)|_2 - 1)^2] at x_hat uniformly on the segments between real and fake images."""
    eps = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    grads = _input_gradients(discriminator, eps * real + (1 - eps) * fake)
    # The small constant keeps the norm's derivative finite where a gradient is exactly zero.
    norms = (grads.square().sum(dim=1) + 1e-12).sqrt()
    return (norms - 1).square().mean()


def r1_penalty(discriminator: nn.Module, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[|grad D(x)|_2^2] on real images; the module weighs it by gamma / 2.

    Its own D pass over the reals only: differentiating the joint real+fake pass instead measured slower
    (the double backward then runs over the fakes too).
    """
    return _input_gradients(discriminator, real).square().sum(dim=1).mean()


class Penalties:
    """The penalties one D step adds to D's loss, by name, as the training curves show them.

    WGAN-GP's gradient penalty (weight `gp_weight`, the objective's) on every D step; R1 (weight r1_gamma / 2)
    lazily (StyleGAN2): on every `r1_every`-th D step only and weighted r1_every times, so that its pull per D
    step is the same on average while the double backward runs 1 / r1_every as often.
    """

    def __init__(self, gp_weight: float, r1_gamma: float, r1_every: int) -> None:
        self.gp_weight, self.r1_gamma, self.r1_every = gp_weight, r1_gamma, r1_every

    def __call__(self, discriminator: Callable, real: torch.Tensor, fake: torch.Tensor, d_step: int) -> dict:
        """The penalties of D's update number `d_step` (counted from 1 over the whole run), on the images D saw."""
        penalties = {}
        if self.gp_weight:
            penalties["d_gradient_penalty"] = self.gp_weight * gradient_penalty(discriminator, real, fake)
        if self.r1_gamma and d_step % self.r1_every == 0:
            penalties["d_r1_penalty"] = self.r1_every * self.r1_gamma / 2 * r1_penalty(discriminator, real)
        return penalties
