"""Few-iteration training runs through `train(cfg)`: what they log, save, learn and resume."""

import json

import pytest
import pytorch_lightning as pl
import torch

from gan_lightning.artifacts.checkpoints import read_checkpoint
from gan_lightning.callbacks import ComputeClock
from gan_lightning.core.curves import tag as curve
from gan_lightning.quality.classifier import load_classifier, save_classifier, weights_hash
from gan_lightning.train import train
from tests.helpers import checkpoint_iteration, tensorboard_events

SCALARS = ["d_real_loss", "d_fake_loss", "d_loss", "g_loss", "divergence", "d_real_prob", "d_fake_prob", "g_grad_norm"]


@pytest.mark.parametrize("loss", ["minimax", "nonsaturating"])
def test_training_writes_curves_samples_checkpoints_and_test_metrics(make_cfg, tmp_path, loss):
    metrics = train(make_cfg(f"loss={loss}"))
    run = tmp_path / "run"
    events = tensorboard_events(run)
    tags = events.Tags()
    assert {curve(name) for name in SCALARS} <= set(tags["scalars"])
    # Logged against iterations (1..6), not against Lightning's doubled optimizer steps.
    assert max(event.step for event in events.Scalars(curve("g_loss"))) == 5
    assert "samples" in tags["images"]
    assert [event.step for event in events.Images("samples")] == [0, 3, 6]
    checkpoints = run / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["iteration_3.ckpt", "iteration_6.ckpt", "last.ckpt"]
    assert checkpoint_iteration(checkpoints / "last.ckpt") == 6
    assert (run / "samples" / "final.png").stat().st_size > 0
    assert 0 <= metrics["test/d_real_acc"] <= 1 and 0 <= metrics["test/d_fake_acc"] <= 1


def test_d_steps_takes_k_discriminator_updates_per_iteration(make_cfg, tmp_path):
    train(make_cfg("d_steps=3", "iterations=4", "test=false"))
    state = read_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert state["global_step"] == 4 * (3 + 1)
    d_opt_state = state["optimizer_states"][1]["state"]
    assert int(next(iter(d_opt_state.values()))["step"]) == 12  # Adam's step count for D
    assert int(next(iter(state["optimizer_states"][0]["state"].values()))["step"]) == 4  # and for G


def test_resume_continues_the_iteration_count(make_cfg, tmp_path):
    train(make_cfg("iterations=4", "test=false", output_dir=tmp_path / "first"))
    resumed = make_cfg(
        "iterations=8",
        "test=false",
        f"ckpt_path={tmp_path / 'first' / 'checkpoints' / 'last.ckpt'}",
        output_dir=tmp_path / "second",
    )
    train(resumed)
    assert checkpoint_iteration(tmp_path / "second" / "checkpoints" / "last.ckpt") == 8
    steps = [event.step for event in tensorboard_events(tmp_path / "second").Scalars(curve("d_loss"))]
    assert min(steps) >= 4  # the curve continues, it does not restart at 0


def test_discriminator_learns_to_tell_real_from_fake(make_cfg):
    """40 iterations on tiny data: D's loss falls well below chance (2 ln 2), D(x) rises above D(G(z))."""
    metrics = train(make_cfg("iterations=40", "test=false", "trainer.log_every_n_steps=40"))
    assert metrics[curve("d_loss")] < 2 * torch.log(torch.tensor(2.0)).item() * 0.8
    assert metrics[curve("d_real_prob")] > metrics[curve("d_fake_prob")]


def test_without_an_iteration_budget_training_runs_max_epochs(make_cfg, tmp_path):
    # 256 training images in batches of 16: 16 iterations per epoch, 3 epochs.
    train(make_cfg("iterations=null", "trainer.max_epochs=3", "test=false", "trainer.limit_val_batches=0"))
    assert checkpoint_iteration(tmp_path / "run" / "checkpoints" / "last.ckpt") == 48


class RecordBarLength(pl.Callback):
    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.total = trainer.progress_bar_callback.train_progress_bar.total


def test_the_progress_bar_counts_iterations_of_the_budget(make_cfg):
    """6 iterations of an epoch of 16 (and 3 D steps each): the bar ends at 6, not at 16 or 6 x 4 steps."""
    record = RecordBarLength()
    train(make_cfg("iterations=6", "d_steps=3", "test=false", "data.batch_size=4"), [record])
    assert record.total == 6


def test_a_callback_set_to_null_is_switched_off(make_cfg, tmp_path):
    train(make_cfg("callbacks.sample_grid=null", "callbacks.best_checkpoint=null", "test=false"))
    assert not (tmp_path / "run" / "samples").exists()
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "iteration_3.ckpt",
        "iteration_6.ckpt",
        "last.ckpt",
    ]


def test_quality_metrics_use_the_configured_classifier_and_name_it(make_cfg, tmp_path):
    model, _ = load_classifier()
    with torch.no_grad():
        model.features[-2].weight.mul_(2.0)  # another feature layer than the shipped one
    other = save_classifier(model, 0.99, tmp_path / "cache")
    metrics = train(make_cfg(f"classifier={other}", "test=false"))
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert report["classifier_hash"] == other.name.removeprefix("mnist_classifier-").removesuffix(".pt")
    shipped = train(make_cfg("test=false", output_dir=tmp_path / "shipped"))
    assert json.loads((tmp_path / "shipped" / "metrics.json").read_text())["classifier_hash"] == weights_hash()
    assert metrics["val/fid"] != pytest.approx(shipped["val/fid"], rel=1e-3)  # the same G, another scorer


def test_final_metrics_reach_tensorboards_hparams_table_at_the_last_iteration(make_cfg, tmp_path):
    train(make_cfg())  # 6 iterations: the curves end at step 5
    events = tensorboard_events(tmp_path / "run")
    tags = set(events.Tags()["scalars"])
    assert {"final/val_fid", "final/test_fid", "final/test_d_real_acc"} <= tags
    assert not any(tag.startswith("final/train_") for tag in tags)
    assert [e.step for e in events.Scalars("final/val_fid")] == [5]  # a point at the end, not at step 0


def test_tensorboard_opens_on_the_tutorials_curves_in_the_tutorials_order(make_cfg, tmp_path):
    """Time Series groups tags by their first part, sorts the groups and opens the first two."""
    train(make_cfg("r1_gamma=1"))
    tags = tensorboard_events(tmp_path / "run").Tags()["scalars"]
    groups = sorted({t.split("/")[0] for t in tags})
    assert groups[:5] == ["1_losses", "2_discriminator", "3_divergence", "4_generator", "5_compute"]
    assert groups[5:] == ["epoch", "final", "test", "val"]  # then Lightning's epoch, the HPARAMS metrics, quality
    losses = sorted(t.split("/")[1] for t in tags if t.startswith("1_losses/"))
    assert losses == ["d_fake_loss", "d_loss", "d_r1_penalty", "d_real_loss", "g_loss"]


def test_the_compute_spent_is_logged_and_continues_across_a_resume(make_cfg, tmp_path):
    """Real images seen: iterations x batch (16) x d_steps (2); seconds grow; a resumed run goes on counting."""
    budget = [
        "d_steps=2",
        "test=false",
        "trainer.limit_val_batches=0",
        "callbacks.compute_clock={_target_:gan_lightning.callbacks.ComputeClock}",
    ]
    train(make_cfg("iterations=4", *budget))
    resume = f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'last.ckpt'}"
    train(make_cfg("iterations=7", *budget, resume))
    events = tensorboard_events(tmp_path / "run")
    images = [(e.step, e.value) for e in events.Scalars(curve("images_seen"))]
    assert images == [(step, (step + 1) * 32) for step in range(7)]
    seconds = [e.value for e in events.Scalars(curve("wall_clock_s"))]
    assert all(later > earlier for earlier, later in zip(seconds, seconds[1:], strict=False)) and seconds[0] > 0


class FakeClock(pl.Callback):
    """The compute clock reads a time this callback advances: `per_iteration` seconds as each iteration starts
    and `per_validation_batch` seconds per validation batch, whatever the machine's speed. Records the learning
    rates each iteration trained with (G's, D's) and the clock's reading after each iteration."""

    def __init__(self, per_iteration: float = 0.125, per_validation_batch: float = 0.0) -> None:
        self.per_iteration, self.per_validation_batch = per_iteration, per_validation_batch
        self.now = 0.0

    def on_train_start(self, trainer, pl_module) -> None:
        self.clock = next(c for c in trainer.callbacks if isinstance(c, ComputeClock))
        self.clock.timer = lambda: self.now
        self.rates, self.seconds = [], []

    def on_train_batch_start(self, trainer, *args) -> None:
        # After LearningRateDecay's own batch start (configured callbacks run first): the rates are set for
        # the clock's reading before this iteration.
        self.rates.append(tuple(opt.param_groups[0]["lr"] for opt in trainer.optimizers))
        self.now += self.per_iteration

    def on_train_batch_end(self, *args) -> None:
        self.seconds.append(self.clock.seconds)

    def on_validation_batch_end(self, *args) -> None:
        self.now += self.per_validation_batch


CLOCK = "callbacks.compute_clock={_target_:gan_lightning.callbacks.ComputeClock}"


def test_validation_time_is_not_training_time(make_cfg, tmp_path):
    """Two validations inside the epoch take 2 s each on the clock; the training seconds logged skip them."""
    clock = FakeClock(per_iteration=0.125, per_validation_batch=2.0)
    validate_every_two = ["trainer.val_check_interval=2", "trainer.check_val_every_n_epoch=null"]
    train(make_cfg("iterations=6", CLOCK, *validate_every_two, "trainer.limit_val_batches=1", "test=false"), [clock])
    events = tensorboard_events(tmp_path / "run")
    steps_and_seconds = [(e.step, e.value) for e in events.Scalars(curve("wall_clock_s"))]
    assert clock.now == pytest.approx(6 * 0.125 + 3 * 2.0)  # the validations did take their time
    assert steps_and_seconds == [(step, pytest.approx((step + 1) * 0.125)) for step in range(6)]


def test_a_training_time_budget_stops_after_the_iteration_that_crosses_it(make_cfg, tmp_path):
    """0.125 s an iteration against a budget of 0.6 s: the fifth iteration crosses it (0.625 s) and is the last."""
    clock = FakeClock(per_iteration=0.125)
    train(make_cfg("iterations=200", "train_minutes=0.01", "test=false"), [clock])
    summary = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert summary["iterations"] == len(clock.seconds) == 5
    assert clock.seconds[-2] < 0.6 <= clock.seconds[-1]
    assert "val/fid" in summary["metrics"]  # the weights it stopped with are validated as after any run


def test_lr_decay_falls_linearly_to_zero_over_the_end_of_the_iteration_budget(make_cfg, tmp_path):
    """Decay from half the budget: iteration i of 8 trains at min(1, (1 - i/8) / 0.5) x the configured rates."""
    record = FakeClock()
    overrides = ["lr_decay=0.5", "optimizer.g.lr=1e-3", "optimizer.d.lr=4e-4", "test=false"]
    train(make_cfg("iterations=8", *overrides), [record])
    factors = [1, 1, 1, 1, 1, 0.75, 0.5, 0.25]
    torch.testing.assert_close(torch.tensor(record.rates), torch.tensor([(1e-3 * f, 4e-4 * f) for f in factors]))
    events = tensorboard_events(tmp_path / "run")  # each iteration's rates, logged (every iteration here)
    for name, rate in (("g_lr", 1e-3), ("d_lr", 4e-4)):
        logged = [(e.step, e.value) for e in events.Scalars(curve(name))]
        assert logged == [(i, pytest.approx(rate * f)) for i, f in enumerate(factors)], name
    # Resumed with a longer budget, the schedule starts again from the configured rates, not the decayed ones.
    resume = f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'last.ckpt'}"
    train(make_cfg("iterations=12", *overrides, resume, output_dir=tmp_path / "resumed"), [record])
    expected = [(1e-3 * f, 4e-4 * f) for f in (2 / 3, 1 / 2, 1 / 3, 1 / 6)]
    torch.testing.assert_close(torch.tensor(record.rates), torch.tensor(expected))


def test_lr_decay_over_a_time_budget_follows_the_clock(make_cfg):
    """With train_minutes the rates fall with the training seconds spent (0.125 s an iteration of a 0.6 s
    budget here), not with the iterations: iteration i trains at 1 - 0.125 i / 0.6 of the configured rate."""
    clock = FakeClock(per_iteration=0.125)
    train(make_cfg("iterations=200", "train_minutes=0.01", "lr_decay=0", "test=false"), [clock])
    g_rates = [g for g, _ in clock.rates]
    assert g_rates == pytest.approx([1e-3 * (1 - 0.125 * i / 0.6) for i in range(5)])


class RecordDiscriminatorInputs(pl.Callback):
    """Each training batch, and every input D gets during training."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.batches, self.inputs = [], []
        pl_module.discriminator.register_forward_hook(lambda module, args, out: self.inputs.append(args[0].clone()))

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.batches.append(batch.clone())


def test_each_d_step_of_an_iteration_trains_on_its_own_minibatch(make_cfg):
    record = RecordDiscriminatorInputs()
    train(make_cfg("iterations=1", "d_steps=3", "test=false", "trainer.limit_val_batches=0"), [record])
    (batch,) = record.batches  # 3 minibatches of 16 real images
    d_steps = [inputs for inputs in record.inputs if len(inputs) == 32]  # reals and fakes together
    assert len(d_steps) == 3 and len(record.inputs) == 4  # then G's step shows D 16 fakes
    for minibatch, inputs in zip(batch.chunk(3), d_steps, strict=True):
        assert torch.equal(inputs[:16], minibatch)  # the reals of each D step: the next minibatch, in order
    assert not torch.equal(batch[:16], batch[16:32])


def test_checkpoint_intervals_count_iterations_not_optimizer_steps(make_cfg, tmp_path):
    """Every 2 iterations with 3 D steps: Lightning's step counter moves by 4 per iteration, not by 1 or 2."""
    train(make_cfg("callbacks.checkpoint.every_n_iterations=2", "d_steps=3", "test=false"))
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == ["best.ckpt", "iteration_2.ckpt", "iteration_4.ckpt", "iteration_6.ckpt", "last.ckpt"]


@pytest.mark.parametrize("iterations,steps", [(16, [15]), (20, [15, 20])])
def test_the_final_weights_are_validated_once(make_cfg, tmp_path, iterations, steps):
    """An epoch is 16 iterations and ends with a validation: a 16-iteration run needs no second one for its
    final weights, a 20-iteration run gets one after training."""
    result = train(make_cfg(f"iterations={iterations}", "test=false"))
    fids = tensorboard_events(tmp_path / "run").Scalars("val/fid")
    assert [event.step for event in fids] == steps
    assert result["val/fid"] == pytest.approx(fids[-1].value)


def test_periodic_checkpoints_keep_the_newest_three_unless_told_otherwise(make_cfg, tmp_path):
    every = ["callbacks.checkpoint.every_n_iterations=1", "callbacks.best_checkpoint=null", "test=false"]
    train(make_cfg(*every))
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert kept == ["iteration_4.ckpt", "iteration_5.ckpt", "iteration_6.ckpt", "last.ckpt"]
    train(make_cfg(*every, "callbacks.checkpoint.save_top_k=-1", output_dir=tmp_path / "all"))
    assert len(list((tmp_path / "all" / "checkpoints").glob("iteration_*.ckpt"))) == 6


def test_a_first_time_estimate_is_logged_from_the_measured_rate(make_cfg, tmp_path, caplog):
    """0.5 s an iteration on the clock: after 4 of 6 iterations, 2 remain: 1 s, 0.0 minutes at 2.0 it/s;
    with a 10-iteration budget, 6 remain: 3 s = 0.05 minutes."""
    estimate = ["callbacks.compute_clock.estimate_after=4", "test=false", "trainer.limit_val_batches=0"]
    with caplog.at_level("INFO", logger="gan_lightning.callbacks.compute_clock"):
        train(make_cfg(*estimate), [FakeClock(per_iteration=0.5)])
        train(make_cfg(*estimate, "iterations=10", output_dir=tmp_path / "longer"), [FakeClock(per_iteration=0.5)])
    lines = [r.getMessage() for r in caplog.records if "iterations/s" in r.getMessage()]
    assert lines == [
        "2.0 iterations/s over the first 4: about 0.0 more training minutes (to iteration 6; validation not counted)",
        "2.0 iterations/s over the first 4: about 0.1 more training minutes (to iteration 10; validation not counted)",
    ]
