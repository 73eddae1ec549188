"""Evaluate a trained generator: `python -m gan_lightning.evaluate ckpt_path=last` (or an exported folder).

Runs the model's test step (D's accuracy on the real test images and on as many fakes) with the sample
quality metrics (an exported folder holds G only: the same metrics without D's accuracy), then looks at how
the generator fails: per digit (share, confidence, FID against that digit's real images) and whether its
fakes sit closer to training images than unseen real images do.
Writes metrics.json, samples.png, per_digit.png and memorization.png into its own run folder
(outputs/evaluate/runs/<date>_<time>/). For a run trained with ema, `use_ema=false` scores the raw
generator instead of its moving average.

Examples:
    python -m gan_lightning.evaluate ckpt_path=last
    python -m gan_lightning.evaluate ckpt_path=best use_ema=false
    python -m gan_lightning.evaluate ckpt_path=outputs/train/runs/2026-01-01_12-00-00
"""

import json
import logging
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig

from gan_lightning.artifacts.checkpoints import load_gan
from gan_lightning.artifacts.exported import is_export
from gan_lightning.artifacts.loading import load_trained_generator
from gan_lightning.checks import check_config
from gan_lightning.cli.entry import entry_point
from gan_lightning.core.errors import ConfigError
from gan_lightning.core.paths import resolve_ckpt_path, train_runs
from gan_lightning.data.images import fixed_noise, generator_grid, save_png
from gan_lightning.data.labels import grid_labels
from gan_lightning.data.mnist import MNISTDataModule, to_unit
from gan_lightning.gan.generator_only import GeneratorOnly
from gan_lightning.gan.sampling import digit_labels, generate
from gan_lightning.quality.classifier import load_classifier
from gan_lightning.quality.diagnostics import memorization, per_class, per_digit
from gan_lightning.quality.plots import save_closest_pairs, save_per_digit_chart

log = logging.getLogger(__name__)


@torch.no_grad()
def classify(classifier: torch.nn.Module, images: torch.Tensor, batch: int = 2000) -> tuple[torch.Tensor, ...]:
    """The classifier's features and class probabilities of images in [0, 1], (N, 1, 28, 28)."""
    features = torch.cat([classifier.features(images[i : i + batch]) for i in range(0, len(images), batch)])
    return features, classifier.head(features).softmax(dim=1)


def diagnose(model: pl.LightningModule, data: MNISTDataModule, cfg: DictConfig, output_dir: Path) -> dict:
    """Per-digit quality and the memorization check, on as many fakes as test images (seed `cfg.seed`)."""
    classifier, _ = load_classifier(cfg.classifier)
    n = len(data.test_images)
    asked = digit_labels(n, None, cfg.seed) if model.num_classes else None  # a conditional G: a uniform mix
    fakes = generate(model.eval_generator, model.latent_dim, n, cfg.seed, batch_size=1000, device="cpu", labels=asked)
    fakes = torch.from_numpy(fakes).unsqueeze(1)
    fake_features, fake_probs = classify(classifier, fakes)
    test_features, _ = classify(classifier, to_unit(data.test_images))
    train_features, _ = classify(classifier, to_unit(data.train_images))
    digits = per_digit(fake_probs, fake_features, test_features, data.test_labels)
    copies = memorization(fake_features, train_features, test_features)
    save_per_digit_chart(digits, output_dir / "per_digit.png")
    save_closest_pairs(fakes, to_unit(data.train_images), copies, output_dir / "memorization.png")
    report = {"per_digit": digits, "memorization": {k: v for k, v in copies.items() if not torch.is_tensor(v)}}
    if asked is not None:
        report["per_class"] = per_class(asked, fake_probs, fake_features, test_features, data.test_labels)
    return report


def scored_model(cfg: DictConfig) -> tuple[pl.LightningModule, dict]:
    """The module whose test step evaluate runs (the GAN of a checkpoint, or the G of an export), and what the
    report says of it."""
    path = resolve_ckpt_path(str(cfg.ckpt_path), train_runs(cfg.paths.log_dir))
    if is_export(path):
        trained = load_trained_generator(path, train_runs(cfg.paths.log_dir))
        if trained.config["ema"] and not cfg.use_ema:
            raise ConfigError(f"{path} holds only the moving average of G: use_ema=false needs its training checkpoint")
        described = {"generator": "ema" if trained.config["ema"] else "raw", "discriminator": "none (an export)"}
        model = GeneratorOnly(trained.net, trained.latent_dim, trained.num_classes)
    else:
        trained = load_gan(path, train_runs(cfg.paths.log_dir))
        model = trained.model
        if not cfg.use_ema:
            model.generator_ema = None  # `eval_generator` falls back to the raw G
        described = {"generator": "ema" if model.generator_ema is not None else "raw"}
    return model, {"ckpt_path": str(trained.path), "iteration": trained.iteration, **described}


def evaluate(cfg: DictConfig) -> dict:
    check_config(cfg, "evaluate")
    model, described = scored_model(cfg)
    pl.seed_everything(cfg.seed)
    quality = instantiate(cfg.callbacks.sample_quality)
    trainer = instantiate(cfg.trainer, callbacks=[quality])
    data = instantiate(cfg.data, labels=bool(model.num_classes))  # a conditional G is asked for the test digits
    metrics = trainer.test(model, datamodule=data)[0]
    output_dir = Path(cfg.paths.output_dir)
    labels, n = grid_labels(model.num_classes, rows=8, cols=8)
    z = fixed_noise(n, model.latent_dim)
    save_png(generator_grid(model.eval_generator, z, labels=labels), output_dir / "samples.png")
    report = {
        **described,
        "classifier_hash": quality.classifier_hash,
        "metrics": {name: float(value) for name, value in metrics.items()},
        **diagnose(model, data, cfg, output_dir),
    }
    (output_dir / "metrics.json").write_text(json.dumps(report, indent=2))
    log.info("Wrote metrics.json, samples.png, per_digit.png and memorization.png in %s", output_dir)
    return report


main = entry_point("evaluate")(evaluate)

if __name__ == "__main__":
    main()
