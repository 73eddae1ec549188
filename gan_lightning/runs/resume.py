"""Where a run resumes, checked before anything trains."""

import logging
from pathlib import Path
from typing import NamedTuple

from omegaconf import DictConfig

from gan_lightning.artifacts.checkpoints import check_compatible, read_checkpoint
from gan_lightning.core.iterations import completed_iterations
from gan_lightning.core.paths import resolve_ckpt_path, train_runs
from gan_lightning.gan.module import GAN
from gan_lightning.loggers.continued import HISTORY_KEY
from gan_lightning.loggers.handoff import RUNS_KEY

log = logging.getLogger(__name__)


class Resume(NamedTuple):
    """Where a run resumes: its checkpoint, the iteration stored there, the tracking runs it continues and the
    scalars logged before the checkpoint (for the trackers)."""

    path: Path | None = None
    iteration: int = 0
    tracking_runs: dict[str, str] = {}
    logged: list = []


def checked_resume(cfg: DictConfig, model: GAN) -> Resume:
    """The checkpoint to resume from (ckpt_path), checked now with a message that says what is wrong."""
    if not cfg.get("ckpt_path"):
        return Resume()
    path = resolve_ckpt_path(str(cfg.ckpt_path), train_runs(cfg.paths.log_dir))
    checkpoint = read_checkpoint(path)
    check_compatible(checkpoint, model, path)
    iteration = completed_iterations(checkpoint["global_step"], model.d_steps)
    log.info("Resuming from %s (iteration %d)", path, iteration)
    return Resume(path, iteration, checkpoint.get(RUNS_KEY, {}), checkpoint.get(HISTORY_KEY, []))
