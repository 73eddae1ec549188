"""Gradient penalties on D, added to D's loss. Both differentiate through a gradient (double backward)."""

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
