"""Reading what W&B (offline) and MLflow stored, as their servers would receive it."""

import json
import re
from collections import defaultdict
from pathlib import Path

from gan_lightning.loggers.continued import wandb_records


class WandbRun:
    """One offline W&B run folder (wandb/offline-run-<time>-<id>): its id, history rows and config."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.id = folder.name.rsplit("-", 1)[-1]
        self.history: list[dict] = []
        self.config: dict = {}
        for record in wandb_records(next(folder.glob("*.wandb"))):
            kind = record.WhichOneof("record_type")
            if kind == "history":
                row = {
                    item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item
                }
                self.history.append(row)
            elif kind == "config":
                self.config.update({item.key: json.loads(item.value_json) for item in record.config.update})

    def curve(self, key: str) -> list[tuple[int, float]]:
        return [(row["trainer/global_step"], row[key]) for row in self.history if key in row]

    def images(self, key: str) -> list[int]:
        """The steps at which an image was logged under `key`."""
        return [row["trainer/global_step"] for row in self.history if row.get(f"{key}/_type") == "images/separated"]


def wandb_runs(run_folder: Path) -> list[WandbRun]:
    """The W&B runs a training run folder holds, oldest first (a resumed run adds one folder per process)."""
    return [WandbRun(folder) for folder in sorted((run_folder / "wandb").glob("offline-run-*"))]


def mlflow_runs(store: Path) -> dict[str, dict]:
    """Every run of the gan_lightning experiment in an MLflow store file (SQLite): curves, params, and the
    iterations of its images (MLflow stores each as a PNG and a compressed preview)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{store}")
    experiment = client.get_experiment_by_name("gan_lightning")
    runs = {}
    for run in client.search_runs([experiment.experiment_id]):
        curves = defaultdict(list)
        for key in run.data.metrics:
            curves[key] = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, key))
        files = [a.path for a in client.list_artifacts(run.info.run_id, "images") if a.path.endswith(".png")]
        images = sorted(int(re.search(r"\+step\+(\d+)\+", path).group(1)) for path in files)
        runs[run.info.run_id] = {"curves": curves, "params": run.data.params, "image_steps": images}
    return runs
