"""What every logger receives beyond Lightning's scalars, whichever it is (TensorBoard, W&B, MLflow): sample
grids, the run's hyperparameters with its final metrics, and the run id that a resumed run continues.

W&B and MLflow are optional extras; their Lightning loggers import their packages only when built.
"""

from collections.abc import Mapping

import torch
from pytorch_lightning.loggers import Logger, MLFlowLogger, TensorBoardLogger, WandbLogger

# The key under which checkpoints keep the tracking runs (by logger class) that a resumed run continues.
RUNS_KEY = "gan_lightning_tracking_runs"


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


def finish(logger: Logger) -> None:
    """Close a W&B run (the others close with the Trainer)."""
    if isinstance(logger, WandbLogger):
        logger.experiment.finish()


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
