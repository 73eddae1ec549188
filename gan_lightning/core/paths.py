"""Where things are: the project's folders and the checkpoint that `ckpt_path` names.

A leaf: it imports nothing of the project but its errors, so any layer may use it.
"""

from pathlib import Path

from gan_lightning.core.errors import GANError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = PROJECT_ROOT / "conf"
CHECKPOINT_NAMES = ("last", "best")  # ckpt_path=last / best: the newest such checkpoint of a task's runs


class CheckpointError(GANError):
    """A checkpoint is missing, unreadable or not one of ours."""


def resolve_ckpt_path(value: str, runs_dir: str | Path) -> Path:
    """Where `ckpt_path=value` points.

    `last` / `best`: the newest checkpoints/last.ckpt (best.ckpt) under runs_dir, sweeps included; a run folder:
    its checkpoints/last.ckpt; an exported folder (model.safetensors) or any other path: itself.
    """
    if value in CHECKPOINT_NAMES:
        found = sorted(Path(runs_dir).glob(f"**/checkpoints/{value}.ckpt"), key=lambda p: p.stat().st_mtime)
        if not found:
            raise CheckpointError(f"ckpt_path={value}: no run under {runs_dir} has a checkpoints/{value}.ckpt yet")
        return found[-1]
    path = Path(value)
    if path.is_dir() and not (path / "model.safetensors").exists():
        for inside in (path / "checkpoints" / "last.ckpt", path / "last.ckpt"):
            if inside.is_file():
                return inside
        raise CheckpointError(f"run folder {path} holds no checkpoints/last.ckpt")
    return path


def train_runs(log_dir: str | Path) -> Path:
    """Where `ckpt_path=last` / `best` look, for every command: the train runs (and sweeps) under log_dir."""
    return Path(log_dir) / "train"


def output_path(value: str, output_dir: str | Path) -> Path:
    """A file a command writes: an absolute path as given, a relative one inside the command's run folder."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(output_dir) / path


def run_folder(ckpt_path: str | None, task_name: str, log_dir: str, new_folder: str) -> str:
    """The folder a `train` run writes to: the run it resumes (ckpt_path = a run folder, `last`, or a file in a
    run's checkpoints/), so that its curves, checkpoints and log continue there; else `new_folder`."""
    if not ckpt_path or task_name != "train":
        return new_folder
    try:
        checkpoint = resolve_ckpt_path(str(ckpt_path), train_runs(log_dir))
    except CheckpointError:
        return new_folder  # train itself says what is wrong, in one line
    return str(checkpoint.parent.parent) if checkpoint.parent.name == "checkpoints" else new_folder
