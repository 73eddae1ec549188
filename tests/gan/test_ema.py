"""The moving average of G's weights, update by update."""

import torch

from gan_lightning.gan.ema import EMAGenerator
from gan_lightning.gan.nets import MLPGenerator


def test_ema_update_is_the_lerp_rule_with_warm_up_and_batchnorm_buffers():
    torch.manual_seed(0)
    generator = MLPGenerator(4, hidden=[8], dropout=[0.0])
    ema = EMAGenerator(generator, decay=0.9)

    def snapshot(module):
        return {name: tensor.clone() for name, tensor in module.state_dict().items()}

    for iteration, weight in ((0, 1 - 0.1), (1, 1 - 2 / 11), (1000, 1 - 0.9)):
        before = snapshot(ema.module)
        with torch.no_grad():
            for p in generator.parameters():
                p.add_(torch.randn_like(p))
        generator.train()(torch.randn(16, 4))  # moves BatchNorm's running statistics and its counter
        ema.update(generator, iteration=iteration)
        after, raw = snapshot(ema.module), snapshot(generator)
        for name, value in after.items():
            if value.is_floating_point():  # weights and running_mean / running_var: lerp towards G
                torch.testing.assert_close(value, before[name] + weight * (raw[name] - before[name]))
            else:  # num_batches_tracked: copied
                assert torch.equal(value, raw[name]), name
    assert ema.module.net[1].running_mean.abs().sum() > 0  # the statistics did move
    assert not any(p.requires_grad for p in ema.parameters())


def test_the_average_draws_with_its_own_weights_and_never_trains():
    torch.manual_seed(0)
    generator = MLPGenerator(4, hidden=[8], dropout=[0.0]).eval()
    ema = EMAGenerator(generator, decay=0.5).eval()
    z = torch.randn(3, 4)
    torch.testing.assert_close(ema(z), generator(z))  # a copy at first
    with torch.no_grad():
        next(generator.parameters()).add_(1.0)
    assert not torch.allclose(ema(z), generator(z))  # the copy is not the live network
    assert ema.decay == 0.5 and not any(p.requires_grad for p in ema.parameters())
