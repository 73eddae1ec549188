"""Train a GAN on MNIST: compose the config, fit, validate, test, and return the metric a sweep optimizes.

python -m gan_lightning.train loss=nonsaturating
python -m gan_lightning.train -m loss=minimax,nonsaturating seed=1,2
"""

import json
import logging
import time
from pathlib import Path
from typing import NamedTuple

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gan_lightning.callbacks import StoreConfig, TrackingRuns
from gan_lightning.checks import check_config
from gan_lightning.core.checkpoints import check_compatible, read_checkpoint
from gan_lightning.core.cli import entry_point
from gan_lightning.core.config_tree import show_config
from gan_lightning.core.errors import ConfigError
from gan_lightning.core.iterations import completed_iterations, optimizer_steps
from gan_lightning.core.paths import resolve_ckpt_path, train_runs
from gan_lightning.core.resolvers import in_multirun
from gan_lightning.core.trackers import HISTORY_KEY, ContinuedRun, ScalarHistory
from gan_lightning.core.tracking import RUNS_KEY, close, keep_logged_before, log_final, log_params, resume_arguments
from gan_lightning.gan.dropout import use_fast_dropout
from gan_lightning.gan.module import GAN
from gan_lightning.quality.classifier import weights_hash

log = logging.getLogger(__name__)


def instantiate_group(group: DictConfig | None, **kwargs_by_target: dict) -> list:
    """Instantiate each entry of a group such as `callbacks` or `logger` (null entries switch one off), with
    extra arguments for the entries whose `_target_` ends in a key of kwargs_by_target."""
    built = []
    for node in (group or {}).values():
        if node is not None:
            extra = next((kw for end, kw in kwargs_by_target.items() if node._target_.endswith(end)), {})
            built.append(instantiate(node, **extra))
    return built


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
        "d_steps": cfg.optimizer.d_steps,
        "g_lr": cfg.optimizer.g.get("lr"),
        "d_lr": cfg.optimizer.d.get("lr"),
        "iterations": cfg.get("iterations") or -1,
        "max_epochs": cfg.trainer.get("max_epochs"),
    }


def log_final_metrics(
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


def check_writable(folder: str) -> Path:
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write_test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"paths.output_dir {path} is not a writable folder ({err.strerror or err})") from err
    return path


def train(cfg: DictConfig, extra_callbacks: list[pl.Callback] = ()) -> dict[str, float]:
    """Train, validate the final weights (unless training ended with a validation), test; return the metrics.

    Writes metrics.json into the run folder, or FAILED with the reason when the run ends early.
    `extra_callbacks` join the configured ones (benchmarks use it to time the real path).
    """
    check_config(cfg)
    output_dir = check_writable(cfg.paths.output_dir)
    (output_dir / "FAILED").unlink(missing_ok=True)  # a resumed run is going again
    started = time.perf_counter()
    try:
        metrics, iterations, classifier_hash = fit_and_test(cfg, list(extra_callbacks))
    except BaseException as err:
        # A run folder says why it ended early; sweep summaries and people read this file.
        (output_dir / "FAILED").write_text(f"{type(err).__name__}: {err}\n")
        raise
    summary = {
        "iterations": iterations,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "classifier_hash": classifier_hash,
        "metrics": metrics,
    }
    # Written whole or not at all (a sweep killed mid-write must not leave a truncated result to resume from).
    partial = output_dir / "metrics.json.partial"
    partial.write_text(json.dumps(summary, indent=2))
    partial.replace(output_dir / "metrics.json")
    log.info("Final metrics: %s", {name: round(value, 4) for name, value in sorted(metrics.items())})
    if classifier_hash:
        log.info("Quality metrics from feature classifier %s", classifier_hash)
    log.info("Run folder: %s", output_dir)
    return metrics


def announce(cfg: DictConfig) -> None:
    """Where the run writes, its budget, and how to watch it, before the first iteration."""
    budget = f"{cfg.iterations} iterations" if cfg.get("iterations") else f"{cfg.trainer.max_epochs} epochs"
    if cfg.get("train_minutes"):
        budget += f" or {cfg.train_minutes} training minutes, whichever ends first"
    watch = HydraConfig.get().sweep.dir if in_multirun() else cfg.paths.output_dir
    log.info("Run folder: %s", cfg.paths.output_dir)
    log.info("Budget: %s (a time estimate follows the first iterations)", budget)
    log.info("Watch it: tensorboard --logdir %s", watch)


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


class Resume(NamedTuple):
    """Where a run resumes: its checkpoint, the iteration stored there, the tracking runs it continues and the
    scalars logged before the checkpoint (for the trackers)."""

    path: Path | None = None
    iteration: int = 0
    tracking_runs: dict[str, str] = {}
    logged: list = []


def checked_resume(cfg: DictConfig, model: GAN) -> Resume:
    """The checkpoint to resume from, checked now with a message that says what is wrong."""
    if not cfg.get("ckpt_path"):
        return Resume()
    path = resolve_ckpt_path(str(cfg.ckpt_path), train_runs(cfg.paths.log_dir))
    checkpoint = read_checkpoint(path)
    check_compatible(checkpoint, model, path)
    iteration = completed_iterations(checkpoint["global_step"], model.d_steps)
    log.info("Resuming from %s (iteration %d)", path, iteration)
    return Resume(path, iteration, checkpoint.get(RUNS_KEY, {}), checkpoint.get(HISTORY_KEY, []))


class LastValidation(pl.Callback):
    """The iteration of the last validation inside training: fit_and_test validates the final weights only
    when training did not end with one."""

    def __init__(self) -> None:
        self.iteration: int | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        if not trainer.sanity_checking:
            self.iteration = pl_module.iteration


def build_trainer(cfg: DictConfig, model: GAN, resume: Resume, callbacks: list[pl.Callback]) -> pl.Trainer:
    """The configured Trainer with the run's callbacks and loggers, its budget counted in iterations."""
    budget = {}
    if cfg.get("iterations"):
        # Users count iterations; Lightning's max_steps counts every optimizer step.
        budget = {"max_steps": optimizer_steps(cfg.iterations, model.d_steps), "max_epochs": -1}
    # A resumed run continues its W&B and MLflow runs, and its TensorBoard hides the points logged after its
    # checkpoint (before the interruption), so that its curves continue as one line in the same run.
    resumed = resume_arguments(resume.tracking_runs)
    if resume.iteration:
        resumed["TensorBoardLogger"] = {"purge_step": resume.iteration}
    loggers = instantiate_group(cfg.get("logger"), **resumed)
    trackers = [logger for logger in loggers if isinstance(logger, ContinuedRun)]
    if trackers:  # the run's own record of its scalars, which checkpoints carry for a resume
        history = ScalarHistory([row for row in resume.logged if row[0] < resume.iteration])
        loggers.append(history)
    if resume.path:  # each logger keeps the points of the iterations before the checkpoint, once
        for logger in loggers:
            keep_logged_before(logger, resume.iteration)
        for tracker in trackers:
            tracker.continue_from(history, resume.iteration)
    configured = [*instantiate_group(cfg.get("callbacks")), StoreConfig(cfg), TrackingRuns()]
    trainer = instantiate(cfg.trainer, callbacks=[*configured, *callbacks], logger=loggers, **budget)
    for logger in trainer.loggers:
        log_params(logger, OmegaConf.to_container(cfg, resolve=True))
    return trainer


def final_metrics(cfg: DictConfig, trainer: pl.Trainer, model: GAN, datamodule, last: LastValidation) -> dict:
    """The metrics of the final weights: training's last logged values, a validation of the final weights
    unless training ended with one, and the test step."""
    # Each stage replaces trainer.callback_metrics, so collect them stage by stage.
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    if trainer.limit_val_batches and not trainer.fast_dev_run and last.iteration != model.iteration:
        metrics.update(trainer.validate(model, datamodule=datamodule, verbose=False)[0])
    if cfg.get("test"):
        metrics.update(trainer.test(model, datamodule=datamodule)[0])
    return metrics


def fit_and_test(cfg: DictConfig, extra_callbacks: list[pl.Callback]) -> tuple[dict[str, float], int, str | None]:
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
        metrics = final_metrics(cfg, trainer, model, datamodule, last_validation)
        classifier_hash = weights_hash(cfg.classifier) if cfg.callbacks.get("sample_quality") else None
        log_final_metrics(trainer, cfg, metrics, classifier_hash, step=max(model.iteration - 1, 0))
        status = "success"
    finally:
        # No writer outlives the run: a sweep's next job, or the process's exit, finds every event on disk.
        for logger in trainer.loggers:
            close(logger, status)
    return metrics, model.iteration, classifier_hash


def finished_metrics(cfg: DictConfig) -> dict[str, float] | None:
    """A multirun job's earlier result, when its folder holds one and skip_finished is on (not when resuming)."""
    result = Path(cfg.paths.output_dir) / "metrics.json"
    if not (in_multirun() and cfg.get("skip_finished") and not cfg.get("ckpt_path") and result.exists()):
        return None
    log.info("Skipped: %s holds the finished run of this job (skip_finished=false trains again)", result)
    return json.loads(result.read_text())["metrics"]


def train_and_report(cfg: DictConfig) -> float | None:
    """What the command runs: train, and return the metric a sweeper optimizes (optimized_metric)."""
    metrics = finished_metrics(cfg) or train(cfg)
    return metrics.get(cfg.get("optimized_metric"))


main = entry_point("train")(train_and_report)

if __name__ == "__main__":
    main()
