"""The run's model and its Trainer, with the configured callbacks and loggers and a budget in iterations."""

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gan_lightning.callbacks import StoreConfig, TrackingRuns
from gan_lightning.core.iterations import optimizer_steps
from gan_lightning.gan.dropout import use_fast_dropout
from gan_lightning.gan.module import GAN
from gan_lightning.loggers.continued import ContinuedRun, ScalarHistory
from gan_lightning.loggers.handoff import keep_logged_before, log_params, resume_arguments
from gan_lightning.runs.resume import Resume


def instantiate_group(group: DictConfig | None, **kwargs_by_target: dict) -> list:
    """Instantiate each entry of a group such as `callbacks` or `logger` (null entries switch one off), with
    extra arguments for the entries whose `_target_` ends in a key of kwargs_by_target."""
    built = []
    for node in (group or {}).values():
        if node is not None:
            extra = next((kw for end, kw in kwargs_by_target.items() if node._target_.endswith(end)), {})
            built.append(instantiate(node, **extra))
    return built


def build_model(cfg: DictConfig) -> GAN:
    model = instantiate(cfg.gan)
    if cfg.get("fast_dropout"):
        use_fast_dropout(model)
    if cfg.get("compile"):
        # In place: the state_dict keys, and so checkpoints, stay those of the eager networks.
        # mode="reduce-overhead" also captures CUDA graphs.
        model.generator.compile(mode=cfg.compile_mode)
        model.discriminator.compile(mode=cfg.compile_mode)
    return model


def build_loggers(cfg: DictConfig, resume: Resume) -> list:
    """The configured loggers; resumed, each keeps the points of the iterations before the checkpoint, once.

    A resumed run continues its W&B and MLflow runs (completed from the checkpoint's scalar history), and its
    TensorBoard and CSV files drop the points logged after the checkpoint, so that its curves go on as one line.
    """
    resumed = resume_arguments(resume.tracking_runs)
    if resume.iteration:
        resumed["TensorBoardLogger"] = {"purge_step": resume.iteration}
    loggers = instantiate_group(cfg.get("logger"), **resumed)
    trackers = [logger for logger in loggers if isinstance(logger, ContinuedRun)]
    if trackers:  # the run's own record of its scalars, which checkpoints carry for a resume
        history = ScalarHistory([row for row in resume.logged if row[0] < resume.iteration])
        loggers.append(history)
    if resume.path:
        for logger in loggers:
            keep_logged_before(logger, resume.iteration)
        for tracker in trackers:
            tracker.continue_from(history)
    return loggers


def build_trainer(cfg: DictConfig, model: GAN, resume: Resume, callbacks: list[pl.Callback]) -> pl.Trainer:
    """The configured Trainer with the run's callbacks and loggers, its budget counted in iterations."""
    budget = {}
    if cfg.get("iterations"):
        # Users count iterations; Lightning's max_steps counts every optimizer step.
        budget = {"max_steps": optimizer_steps(cfg.iterations, model.d_steps), "max_epochs": -1}
    configured = [*instantiate_group(cfg.get("callbacks")), StoreConfig(cfg), TrackingRuns()]
    loggers = build_loggers(cfg, resume)
    trainer = instantiate(cfg.trainer, callbacks=[*configured, *callbacks], logger=loggers, **budget)
    for logger in trainer.loggers:
        log_params(logger, OmegaConf.to_container(cfg, resolve=True))
    return trainer
