"""W&B and MLflow runs that a resumed run continues with every point exactly once, whatever killed it.

A tracker cannot forget a point, and may have lost some: MLflow keeps what the killed process logged after
its last checkpoint (the resumed run would log those iterations again), and W&B's service writes its offline
file every 15 seconds and drops the rest when the training process is killed. So a run keeps its own record of
the scalars it logged (ScalarHistory, stored in every checkpoint by TrackingRuns), and a resumed tracker
compares it with what it holds: it sends the points it lacks from before the checkpoint, and skips the points
it holds, which the resumed run would log twice. TensorBoard and CSV files are cut at the checkpoint instead
(tracking.keep_logged_before).

The subclasses keep Lightning's class names: checkpoints and checks know the loggers by class name.
"""

import json
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path

from pytorch_lightning import loggers
from pytorch_lightning.loggers import Logger

# The key under which checkpoints keep the run's ScalarHistory rows.
HISTORY_KEY = "gan_lightning_scalar_history"
Point = tuple[str, int]  # (scalar name, step)


class ScalarHistory(Logger):
    """Every scalar row the run's loggers received, as (step, {name: value}): what a resumed tracker compares
    with what it holds. It writes nothing itself; checkpoints carry it (a few hundred kB for 100k iterations
    logged every 50)."""

    def __init__(self, rows: list | None = None) -> None:
        super().__init__()
        self.rows: list[tuple[int, dict[str, float]]] = list(rows or [])

    @property
    def name(self) -> str:
        return "scalar_history"

    @property
    def version(self) -> int:
        return 0

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if step is not None:
            self.rows.append((int(step), {name: float(value) for name, value in metrics.items()}))

    def log_hyperparams(self, params, *args, **kwargs) -> None:
        pass


class ContinuedRun:
    """A tracker logger that, resumed, sends the points of `history` it lacks and skips those it holds."""

    held: frozenset[Point] = frozenset()

    def held_points(self) -> set[Point]:
        raise NotImplementedError

    def continue_from(self, history: ScalarHistory) -> None:
        """`history`: the rows logged before the checkpoint the run resumes from."""
        self.held = frozenset(self.held_points())
        for step, values in history.rows:
            self.log_metrics(values, step)  # what it holds is skipped

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self.held and step is not None:
            metrics = {name: value for name, value in metrics.items() if (name, step) not in self.held}
            if not metrics:
                return
        super().log_metrics(metrics, step)


class MLFlowLogger(ContinuedRun, loggers.MLFlowLogger):
    def held_points(self) -> set[Point]:
        client, run = self.experiment, self.run_id
        return {(key, m.step) for key in client.get_run(run).data.metrics for m in client.get_metric_history(run, key)}


class WandbLogger(ContinuedRun, loggers.WandbLogger):
    def held_points(self) -> set[Point]:
        """What this run's offline files in the run folder hold (a run synced to a server is asked nothing: its
        offline files are the record)."""
        run = self.experiment.id
        held = set()
        for path in Path(self.save_dir or ".").glob(f"wandb/offline-run-*-{run}/run-{run}.wandb"):
            for row in wandb_history(path):
                step = row.get("trainer/global_step")
                held.update((name, int(step)) for name in row if step is not None)
        return held


BLOCK = 32768  # a .wandb file is a LevelDB-style log: records cut into chunks that never cross a block


def wandb_records(path: Path):
    """The protobuf records of one offline W&B run file (wandb writes it; its Python package reads none)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    position, chunks = 7, []  # after the header: ":W&B", a 2-byte magic, a version byte
    while position + 7 <= len(data):
        left = BLOCK - position % BLOCK
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if left < 7 or (kind == 0 and length == 0):  # the block's zero padding
            position += left
            continue
        if position + 7 + length > len(data):  # a killed writer's last chunk, cut short
            return
        chunks.append(data[position + 7 : position + 7 + length])
        position += 7 + length
        if kind in (1, 4):  # a whole record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(chunks))
            chunks = []
            yield record


def wandb_history(path: Path) -> Iterator[dict]:
    """The history rows of an offline W&B run file, as {name: value}."""
    for record in wandb_records(path):
        if record.WhichOneof("record_type") == "history":
            yield {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
