"""A search's study storage, with a study written by an older Optuna upgraded in place.

A `study.db` made by the Optuna this project used to search with (2.10) has an older table schema, which
today's Optuna refuses to read. On first use it is copied beside itself (`study.db.schema-<its schema revision>`) and
upgraded, with a one-line notice; the copy is what an older Optuna can still open.
"""

import logging
import shutil
from pathlib import Path

import optuna
from optuna.storages import RDBStorage

from gan_lightning.core.errors import GANError

log = logging.getLogger(__name__)
SQLITE = "sqlite:///"


class StorageError(GANError):
    """A storage that cannot be opened or upgraded: one line that says what to do."""


def sqlite_file(url: str) -> Path | None:
    return Path(url.removeprefix(SQLITE)) if url.startswith(SQLITE) else None


def open_storage(url: str | None) -> RDBStorage | None:
    """The storage at `url` (None: the study lives in memory), its folder made, an old schema upgraded."""
    if url is None:
        return None
    url = str(url)
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return RDBStorage(url)
    except RuntimeError as error:
        if "optuna storage upgrade" not in str(error) or path is None:
            raise StorageError(f"cannot open the study storage {url}: {error}") from None
    unchecked = RDBStorage(url, skip_compatibility_check=True)
    old = unchecked.get_current_version()
    kept = path.with_name(f"{path.name}.schema-{old}")
    shutil.copy2(path, kept)
    try:
        unchecked.upgrade()
    except Exception as error:  # noqa: BLE001 - whatever alembic raises, the copy holds the study
        raise StorageError(
            f"could not upgrade {path} to Optuna {optuna.__version__}'s schema ({error}); the study is "
            f"unchanged in {kept}: `optuna storage upgrade --storage {SQLITE}{kept}` tries again by hand"
        ) from None
    log.info(
        "Upgraded %s from schema %s to Optuna %s's; the original is kept as %s", path, old, optuna.__version__, kept
    )
    return RDBStorage(url)
