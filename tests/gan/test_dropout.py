"""FastDropout (`fast_dropout=true`): nn.Dropout's statistics from cheaper random bits."""

import pytest
import torch
from torch import nn

from gan_lightning.gan.dropout import FastDropout, use_fast_dropout
from gan_lightning.gan.nets import MLPDiscriminator, MLPGenerator

N = 1 << 20  # elements per statistical check: a rate's standard error is below 0.0005


def kept(p: float, shape=(N,), seed: int = 0) -> torch.Tensor:
    """Which elements of a tensor of ones one training-mode call keeps."""
    torch.manual_seed(seed)
    return FastDropout(p)(torch.ones(shape)) != 0


@pytest.mark.parametrize("p", [0.2, 0.4, 0.5, 0.9])
def test_drop_rate_is_p_and_kept_values_are_scaled_to_keep_the_mean(p):
    layer = FastDropout(p)
    assert abs(layer.keep_probability - (1 - p)) < 1 / 65536  # p rounded to a multiple of 1/65536
    torch.manual_seed(0)
    out = layer(torch.ones(N))
    rate = (out == 0).double().mean().item()
    sigma = (p * (1 - p) / N) ** 0.5
    assert abs(rate - p) < 5 * sigma
    assert torch.all((out == 0) | (out == layer.scale))
    kept_levels = round((1 - p) * 65536)
    assert layer.scale == 65536 / kept_levels  # the inverse of the rounded keep probability, not of 1 - p
    assert abs(out.double().mean().item() - 1) < 5 * sigma / (1 - p)  # unbiased, as nn.Dropout


def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double().flatten(), b.double().flatten()
    return torch.corrcoef(torch.stack([a, b]))[0, 1].item()


def test_masks_are_independent_across_elements_rows_and_calls():
    limit = 5 / N**0.5  # five standard errors of a correlation of independent masks
    mask = kept(0.4)
    for lag in (1, 2, 3, 4, 5, 8):  # the four 16-bit numbers of one random word, and the next words
        assert abs(correlation(mask[:-lag], mask[lag:])) < limit, lag
    rows = kept(0.4, shape=(1024, N // 1024)).double()
    assert abs(correlation(rows[:-1], rows[1:])) < limit
    torch.manual_seed(0)
    layer, ones = FastDropout(0.4), torch.ones(N)
    first, second = layer(ones) != 0, layer(ones) != 0
    assert abs(correlation(first, second)) < limit  # the next call (the next layer) draws new masks
    assert not torch.equal(first, second)


def test_every_bit_of_the_random_numbers_is_used():
    # A generator that left the sign bit of its words at 0 would keep every fourth number below the threshold.
    mask = kept(0.5).view(-1, 4)
    sigma = (0.25 / mask.shape[0]) ** 0.5
    for slot in range(4):
        assert abs(mask[:, slot].double().mean().item() - 0.5) < 5 * sigma, slot


def test_the_same_seed_gives_the_same_masks():
    assert torch.equal(kept(0.4, seed=3), kept(0.4, seed=3))
    assert not torch.equal(kept(0.4, seed=3), kept(0.4, seed=4))


def test_eval_mode_and_p_zero_are_the_identity():
    x = torch.randn(64, 100)
    assert FastDropout(0.4).eval()(x) is x
    assert FastDropout(0.0)(x) is x


def test_gradient_is_the_same_mask_and_scale():
    torch.manual_seed(0)
    layer = FastDropout(0.4)
    # No zero inputs: a dropped element is then exactly a zero output (randn draws an exact 0 about once
    # in 77k elements, which read as dropped while its gradient says kept).
    x = (torch.rand(256, 300) + 0.5).requires_grad_()
    out = layer(x)
    out.sum().backward()
    mask = out.detach() != 0
    assert torch.equal(x.grad, mask.float() * layer.scale)
    torch.testing.assert_close(out.detach(), x.detach() * mask * layer.scale)


def test_the_tutorials_networks_get_fast_dropout_everywhere_with_the_same_p_and_state():
    generator = MLPGenerator(100, [196, 289, 361, 400, 512, 625, 784], [0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4])
    discriminator = MLPDiscriminator([441, 256, 32], [0.2, 0.2, 0.0])
    for net in (generator, discriminator):
        before = [m.p for m in net.modules() if isinstance(m, nn.Dropout)]
        keys = list(net.state_dict())
        use_fast_dropout(net)
        assert [m.p for m in net.modules() if isinstance(m, FastDropout)] == before
        assert not any(isinstance(m, nn.Dropout) for m in net.modules())
        assert list(net.state_dict()) == keys  # checkpoints load either way
