"""Reading what W&B (offline) and MLflow stored, as their servers would receive it."""

import json
import re
import struct
from collections import defaultdict
from pathlib import Path

from wandb.proto import wandb_internal_pb2

BLOCK = 32768  # the .wandb file is a LevelDB-style log: records cut into chunks that never cross a block


def wandb_records(path: Path):
    """The protobuf records of one offline run's .wandb file."""
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    position, chunks = 7, []  # after the header: ":W&B", a 2-byte magic, a version byte
    while position + 7 <= len(data):
        left = BLOCK - position % BLOCK
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if left < 7 or (kind == 0 and length == 0):  # the block's zero padding
            position += left
            continue
        chunks.append(data[position + 7 : position + 7 + length])
        position += 7 + length
        if kind in (1, 4):  # a whole record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(chunks))
            chunks = []
            yield record


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
