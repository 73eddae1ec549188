"""Train a GAN on MNIST: compose the config, fit, validate, test, and return the metric a sweep optimizes.

Examples:
    python -m gan_lightning.train loss=minimax iterations=2000
    python -m gan_lightning.train experiment=best_10min
    python -m gan_lightning.train sweep=minimax_vs_nonsaturating
    python -m gan_lightning.train -m loss=minimax,nonsaturating seed=1,2
"""

import logging
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig

from gan_lightning.callbacks import LastValidation
from gan_lightning.checks import check_config
from gan_lightning.cli.config_tree import show_config
from gan_lightning.cli.entry import entry_point
from gan_lightning.cli.resolvers import in_multirun
from gan_lightning.loggers.handoff import close
from gan_lightning.quality.classifier import weights_hash
from gan_lightning.runs.assembly import build_model, build_trainer
from gan_lightning.runs.results import evaluate_final_weights, report_to_loggers
from gan_lightning.runs.resume import checked_resume
from gan_lightning.runs.task import RunResult, training_task

log = logging.getLogger(__name__)


@training_task(check=check_config)
def train(cfg: DictConfig, extra_callbacks: list[pl.Callback] = ()) -> RunResult:
    """Train, validate the final weights (unless training ended with a validation), test; return the metrics.

    training_task keeps the run folder's books: metrics.json, or FAILED with the reason when the run ends
    early. `extra_callbacks` join the configured ones (benchmarks use it to time the real path).
    """
    if cfg.get("torch_threads"):
        torch.set_num_threads(cfg.torch_threads)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    model = build_model(cfg)
    resume = checked_resume(cfg, model)
    show_config(cfg, Path(cfg.paths.output_dir))  # once everything it names has been checked
    announce(cfg)
    last_validation = LastValidation()
    trainer = build_trainer(cfg, model, resume, [last_validation, *extra_callbacks])
    status = "failed"
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=resume.path, weights_only=True)
        log.info("Trained %d iterations in %d epochs", model.iteration, trainer.current_epoch)
        metrics = evaluate_final_weights(cfg, trainer, model, datamodule, last_validation)
        classifier_hash = weights_hash(cfg.classifier) if cfg.callbacks.get("sample_quality") else None
        report_to_loggers(trainer, cfg, metrics, classifier_hash, step=max(model.iteration - 1, 0))
        status = "success"
    finally:
        # No writer outlives the run: a sweep's next job, or the process's exit, finds every event on disk.
        for logger in trainer.loggers:
            close(logger, status)
    return RunResult(metrics, model.iteration, classifier_hash)


def announce(cfg: DictConfig) -> None:
    """Where the run writes, its budget, and how to watch it, before the first iteration."""
    budget = f"{cfg.iterations} iterations" if cfg.get("iterations") else f"{cfg.trainer.max_epochs} epochs"
    if cfg.get("train_minutes"):
        budget += f" or {cfg.train_minutes} training minutes, whichever ends first"
    watch = HydraConfig.get().sweep.dir if in_multirun() else cfg.paths.output_dir
    log.info("Run folder: %s", cfg.paths.output_dir)
    log.info("Budget: %s (a time estimate follows the first iterations)", budget)
    log.info("Watch it: tensorboard --logdir %s", watch)


def optimized_metric(cfg: DictConfig) -> float | list[float | None] | None:
    """What the command runs: train, and return the metric a sweeper optimizes (optimized_metric), or one
    value per metric when it names several (a search of several objectives)."""
    metrics = train(cfg)
    wanted = cfg.get("optimized_metric")
    if isinstance(wanted, ListConfig):
        return [metrics.get(name) for name in wanted]
    return metrics.get(wanted)


main = entry_point("train")(optimized_metric)

if __name__ == "__main__":
    main()
