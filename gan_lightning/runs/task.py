"""The run folder's bookkeeping around a training run, so that `train` tells only the run itself."""

import functools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from omegaconf import DictConfig

from gan_lightning.cli.resolvers import in_multirun
from gan_lightning.core.errors import ConfigError

log = logging.getLogger(__name__)


class RunResult(NamedTuple):
    """What a training run returns to its bookkeeping."""

    metrics: dict[str, float]
    iterations: int
    classifier_hash: str | None


def writable_folder(folder: str) -> Path:
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write_test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"paths.output_dir {path} is not a writable folder ({err.strerror or err})") from err
    return path


def earlier_result(cfg: DictConfig) -> dict[str, float] | None:
    """A multirun job's earlier result, when its folder holds one and skip_finished is on (not when resuming)."""
    result = Path(cfg.paths.output_dir) / "metrics.json"
    if not (in_multirun() and cfg.get("skip_finished") and not cfg.get("ckpt_path") and result.exists()):
        return None
    log.info("Skipped: %s holds the finished run of this job (skip_finished=false trains again)", result)
    return json.loads(result.read_text())["metrics"]


def training_task(check: Callable[[DictConfig], None]):
    """Wraps a training run `run(cfg, ...) -> RunResult` into what the command and Python callers get: its metrics.

    Around the run: a multirun job whose folder holds its result is not trained again (skip_finished); the
    config is checked (`check`) before the folder is touched; the folder must be writable; a run that raises
    leaves FAILED with the reason (sweep summaries and people read it; a resumed run removes it); one that
    returns writes metrics.json whole or not at all (a sweep killed mid-write must not leave a truncated
    result to resume from).
    """

    def wrap(run: Callable[..., RunResult]) -> Callable[..., dict[str, float]]:
        @functools.wraps(run)
        def task(cfg: DictConfig, *args, **kwargs) -> dict[str, float]:
            finished = earlier_result(cfg)
            if finished is not None:
                return finished
            check(cfg)
            output_dir = writable_folder(cfg.paths.output_dir)
            (output_dir / "FAILED").unlink(missing_ok=True)
            started = time.perf_counter()
            try:
                result = run(cfg, *args, **kwargs)
            except BaseException as err:
                (output_dir / "FAILED").write_text(f"{type(err).__name__}: {err}\n")
                raise
            summary = {
                "iterations": result.iterations,
                "wall_time_s": round(time.perf_counter() - started, 1),
                "classifier_hash": result.classifier_hash,
                "metrics": result.metrics,
            }
            partial = output_dir / "metrics.json.partial"
            partial.write_text(json.dumps(summary, indent=2))
            partial.replace(output_dir / "metrics.json")
            log.info("Final metrics: %s", {name: round(value, 4) for name, value in sorted(result.metrics.items())})
            if result.classifier_hash:
                log.info("Quality metrics from feature classifier %s", result.classifier_hash)
            log.info("Run folder: %s", output_dir)
            return result.metrics

        return task

    return wrap
