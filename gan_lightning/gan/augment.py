"""Differentiable augmentation of everything D sees (DiffAugment, Zhao et al. 2020): `augment=[translation,cutout]`.

D is trained on augmented reals and augmented fakes, and G is trained through the same augmentation, so D
cannot memorize the training images and G is never pushed to produce augmented-looking digits. Every
operation is differentiable in the images (G's gradients flow through it) and draws its randomness from
torch's generator on the images' device, one draw per image, so a seed fixes it. Pixels are in [0, 1].

With `ada_target` the policy is adaptive (ADA, Karras et al. 2020): each operation touches an image only
with probability p, and p follows how sure D is of the reals.
"""

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn


def translation(images: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size (28 -> 4 pixels) in each direction; zeros move in."""
    n, _, height, width = images.shape
    shift = round(height * ratio)
    offsets = torch.randint(-shift, shift + 1, (2, n, 1), device=images.device)
    rows = torch.arange(height, device=images.device) + shift + offsets[0]  # (n, height) into the padded image
    cols = torch.arange(width, device=images.device) + shift + offsets[1]
    padded = F.pad(images, (shift, shift, shift, shift))
    batch = torch.arange(n, device=images.device)[:, None, None]
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (n, h, w, c) -> (n, c, h, w)


def cutout(images: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero a square of `ratio` of the image size (14x14) centred anywhere in the image (clipped at the edges)."""
    n, _, height, width = images.shape
    size = round(height * ratio)
    centres = torch.stack(
        [torch.randint(0, height, (n,), device=images.device), torch.randint(0, width, (n,), device=images.device)]
    )
    rows = torch.arange(height, device=images.device) - (centres[0, :, None] - size // 2)  # (n, height)
    cols = torch.arange(width, device=images.device) - (centres[1, :, None] - size // 2)
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    return images * (~inside)[:, None].to(images.dtype)


def brightness(images: torch.Tensor) -> torch.Tensor:
    """Add one uniform offset in [-0.5, 0.5) per image."""
    return images + (torch.rand(len(images), 1, 1, 1, device=images.device, dtype=images.dtype) - 0.5)


def contrast(images: torch.Tensor) -> torch.Tensor:
    """Scale each image's deviations from its mean by a factor in [0.5, 1.5)."""
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    factor = torch.rand(len(images), 1, 1, 1, device=images.device, dtype=images.dtype) + 0.5
    return (images - mean) * factor + mean


OPERATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "translation": translation,
    "cutout": cutout,
    "brightness": brightness,
    "contrast": contrast,
}


class DiffAugment(nn.Module):
    """The policy's operations in the policy's order, each with fresh randomness per image and call.

    An empty policy is the identity: what D sees when augmentation is off. `observe` and `statistics` are the
    adaptive policy's; here they do nothing, so the GAN module treats every policy alike.
    """

    def __init__(self, policy: Sequence[str]) -> None:
        super().__init__()
        self.policy = list(policy)  # names from OPERATIONS (checked where the config enters)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        for name in self.policy:
            images = OPERATIONS[name](images)
        return images

    def observe(self, real_out: torch.Tensor) -> None:
        """D's outputs on the reals of one D step (the adaptive policy steers by them)."""

    def statistics(self) -> dict[str, torch.Tensor]:
        """What the training curves show of the policy."""
        return {}

    def extra_repr(self) -> str:
        return f"policy={self.policy}"


class AdaptiveAugment(DiffAugment):
    """The policy applied to each image with probability `p`, steered by D's outputs on the reals (ADA).

    ADA's overfitting heuristic r = E[sign(D(x) - threshold)] over the reals D saw: above `target` D is too
    sure of the training images, so p rises, below it p falls, by the images seen over `images_to_full`
    (p can go from 0 to 1 in 500k real images), every `interval` D steps. p starts at 0 and lives in the
    state dict, so it resumes with the run. Everything stays on the device: no host sync per step.
    """

    def __init__(
        self, policy: Sequence[str], target: float, threshold: float, interval: int = 4, images_to_full: int = 500_000
    ) -> None:
        super().__init__(policy)
        self.target, self.threshold, self.interval, self.images_to_full = target, threshold, interval, images_to_full
        self.register_buffer("p", torch.zeros(()))
        self.register_buffer("signs", torch.zeros(()))  # sum of sign(D(x) - threshold) since p last moved
        self.register_buffer("seen", torch.zeros(()))  # the real images those signs came from
        self.observed = 0  # D steps since p last moved

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        for name in self.policy:
            # Every image is augmented and then kept or not, so the random draws do not depend on p.
            chosen = torch.rand(len(images), 1, 1, 1, device=images.device) < self.p
            images = torch.where(chosen, OPERATIONS[name](images), images)
        return images

    @torch.no_grad()
    def observe(self, real_out: torch.Tensor) -> None:
        """Count D's verdicts on one step's reals; every `interval` steps, move p towards the target."""
        self.signs += torch.sign(real_out.float() - self.threshold).sum()
        self.seen += real_out.numel()
        self.observed += 1
        if self.observed < self.interval:
            return
        step = torch.sign(self.signs / self.seen - self.target) * self.seen / self.images_to_full
        self.p.copy_((self.p + step).clamp(0.0, 1.0))
        self.signs.zero_()
        self.seen.zero_()
        self.observed = 0

    def statistics(self) -> dict[str, torch.Tensor]:
        return {"augment_p": self.p.clone()}

    def extra_repr(self) -> str:
        return f"policy={self.policy}, target={self.target}"


def augmentation(policy: Sequence[str] | None, ada_target: float | None, threshold: float) -> DiffAugment:
    """What D sees in training: the images themselves (no policy), the policy on every image, or ADA's."""
    if ada_target is None or not policy:
        return DiffAugment(policy or [])
    return AdaptiveAugment(policy, ada_target, threshold)
