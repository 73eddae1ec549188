"""What every logger receives beyond Lightning's own hand-off, whichever it is (TensorBoard, CSV, W&B, MLflow): the
iterations' scalars, sample grids, the run's hyperparameters with its final metrics, the run id that a resumed
run continues, what a resumed run keeps of the logs before its checkpoint, and the close at the end of a run.

W&B and MLflow are optional extras; their Lightning loggers import their packages only when built.
"""

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger, WandbLogger

# The key under which checkpoints keep the tracking runs (by logger class) that a resumed run continues.
RUNS_KEY = "gan_lightning_tracking_runs"


def log_iteration(
    module: pl.LightningModule,
    metrics: Mapping[str, torch.Tensor | float],
    iteration: int,
    prog_bar: Iterable[str] = (),
) -> None:
    """An iteration's scalars, on disk in every logger now, and in Lightning's progress bar and callback metrics.

    Not through Lightning's loggers: Lightning hands a step's values to them only after `on_train_batch_end`,
    where checkpoints are written, so a kill in between left a checkpoint saying the iteration was done and logs
    that lacked it, a hole a resumed run never fills. Called on the iterations Lightning would log
    (is_logging_iteration), at the same step: the 0-based iteration.
    """
    prog_bar = set(prog_bar)
    for name, value in metrics.items():
        module.log(name, value, logger=False, prog_bar=name in prog_bar)
    values = {name: float(value) for name, value in metrics.items()}
    for logger in module.loggers:
        logger.log_metrics(values, step=iteration)
        logger.save()  # TensorBoard's writer thread and the CSV rows reach the disk


def log_image(logger: Logger, tag: str, grid: torch.Tensor, step: int) -> None:
    """A C x H x W image in [0, 1] at an iteration (loggers without images, such as CSV, get nothing)."""
    if isinstance(logger, TensorBoardLogger):
        logger.experiment.add_image(tag, grid, global_step=step)
    elif isinstance(logger, WandbLogger):
        logger.log_image(key=tag, images=[grid.cpu()], step=step)
    elif isinstance(logger, MLFlowLogger):
        pixels = grid.mul(255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
        logger.experiment.log_image(logger.run_id, pixels, key=tag, step=step)


def log_params(logger: Logger, params: Mapping) -> None:
    """Hyperparameters (nested dicts allowed). MLflow refuses to change a stored parameter, so a resumed or
    finishing run adds only the parameters its MLflow run does not hold yet."""
    if isinstance(logger, MLFlowLogger):
        stored = logger.experiment.get_run(logger.run_id).data.params
        params = {key: value for key, value in flatten(params).items() if key not in stored}
    logger.log_hyperparams(params)


def log_final(logger: Logger, params: Mapping, metrics: Mapping[str, float], step: int) -> None:
    """The run's hyperparameters with its final metrics: TensorBoard's HPARAMS row; W&B's config and summary,
    MLflow's parameters and metrics (the row under `hparams`, beside the whole config they already hold). CSV
    files keep only the curves."""
    if isinstance(logger, TensorBoardLogger):
        logger.log_hyperparams(params, metrics=metrics, step=step)
    elif isinstance(logger, WandbLogger | MLFlowLogger):
        log_params(logger, {"hparams": params})
        logger.log_metrics(dict(metrics), step=step)


def close(logger: Logger, status: str) -> None:
    """Flush and close what a logger has open, its writer threads included, W&B's run too.

    Lightning finalizes the loggers after each stage, but the final validation, test and metrics after `fit`
    open TensorBoard's writer again, and a W&B run stays open in its process until finished.
    """
    logger.finalize(status)
    if isinstance(logger, WandbLogger):
        import wandb  # installed: the logger ran

        logger.experiment.finish(exit_code=0 if status == "success" else 1)
        if wandb.run is None:  # the process's connection to W&B's service, unless another run still uses it
            wandb.teardown()


def keep_logged_before(logger: Logger, iteration: int) -> None:
    """A resumed run's CSV file keeps the rows of the steps before `iteration`, which the resumed run does not log
    again (Lightning's writer would delete the file), and drops the others, which it does.

    TensorBoard does the same through its `purge_step` (runs/assembly.py passes it).
    """
    if not isinstance(logger, CSVLogger):
        return
    path = Path(logger.log_dir) / "metrics.csv"
    if not path.exists():
        return
    with path.open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if int(row["step"]) < iteration]
    writer = logger.experiment  # deletes the file
    for row in rows:
        step = int(row.pop("step"))
        writer.log_metrics({name: float(value) for name, value in row.items() if value != ""}, step)
    logger.save()


def run_id(logger: Logger) -> str | None:
    """The id under which the W&B or MLflow server knows this run (None for file loggers)."""
    if isinstance(logger, WandbLogger):
        return logger.experiment.id
    if isinstance(logger, MLFlowLogger):
        return logger.run_id
    return None


def resume_arguments(runs: Mapping[str, str]) -> dict[str, dict]:
    """The logger arguments that continue the runs a checkpoint recorded, by logger class name."""
    arguments = {"WandbLogger": {"id": runs.get("WandbLogger"), "resume": "allow"}}
    arguments["MLFlowLogger"] = {"run_id": runs.get("MLFlowLogger")}
    return {name: kwargs for name, kwargs in arguments.items() if name in runs}


def flatten(params: Mapping, prefix: str = "") -> dict[str, object]:
    """Nested keys joined by "/", as Lightning's loggers name them."""
    flat = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
