"""What a run reports at its end: the metrics of its final weights, and its hyperparameters beside them."""

import pytorch_lightning as pl
from omegaconf import DictConfig

from gan_lightning.callbacks import LastValidation
from gan_lightning.gan.module import GAN
from gan_lightning.loggers.handoff import log_final


def hparams_row(cfg: DictConfig) -> dict[str, object]:
    """The hyperparameters that tell runs apart: one row of TensorBoard's HPARAMS table."""
    return {
        "loss": cfg.loss._target_.rsplit(".", 1)[-1],
        "generator": cfg.model.generator._target_.rsplit(".", 1)[-1],
        "seed": cfg.get("seed"),
        "batch_size": cfg.data.batch_size,
        "discriminator": cfg.model.discriminator._target_.rsplit(".", 1)[-1],
        "ema": cfg.get("ema") or 0.0,
        "r1_gamma": cfg.get("r1_gamma") or 0.0,
        "r1_every": cfg.get("r1_every") or 1,
        "d_steps": cfg.d_steps,
        "g_lr": cfg.optimizer.g.get("lr"),
        "d_lr": cfg.optimizer.d.get("lr"),
        "iterations": cfg.get("iterations") or -1,
        "max_epochs": cfg.trainer.get("max_epochs"),
    }


def evaluate_final_weights(
    cfg: DictConfig, trainer: pl.Trainer, model: GAN, datamodule, last: LastValidation
) -> dict[str, float]:
    """Training's last logged values, a validation of the final weights unless training ended with one, and the
    test step."""
    # Each stage replaces trainer.callback_metrics, so collect them stage by stage.
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    if trainer.limit_val_batches and not trainer.fast_dev_run and last.iteration != model.iteration:
        metrics.update(trainer.validate(model, datamodule=datamodule, verbose=False)[0])
    if cfg.get("test"):
        metrics.update(trainer.test(model, datamodule=datamodule)[0])
    return metrics


def report_to_loggers(
    trainer: pl.Trainer, cfg: DictConfig, metrics: dict[str, float], classifier_hash: str | None, step: int
) -> None:
    """The run's hyperparameters and final metrics, for each logger (TensorBoard's HPARAMS table).

    The metrics (`final/...`, kept apart from the curves they summarize) are points at the last iteration,
    beside the curves' ends, not at step 0.
    """
    params = {**hparams_row(cfg), "classifier_hash": classifier_hash or "none"}
    final = {
        f"final/{name.replace('/', '_')}": value
        for name, value in metrics.items()
        if name.startswith(("val/", "test/"))
    }
    for logger in trainer.loggers:
        log_final(logger, params, final, step)
