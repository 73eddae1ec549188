"""What every entry point shares: Hydra's main over conf/, resolvers registered first, and user errors as one line."""

import functools
import logging
import os
import sys
from collections.abc import Callable

import hydra
from hydra.errors import InstantiationException
from omegaconf import DictConfig
from pytorch_lightning.utilities.exceptions import SIGTERMException

from gan_lightning.cli.command_line import check_command_line
from gan_lightning.cli.resolvers import in_multirun, register_resolvers
from gan_lightning.core.errors import GANError
from gan_lightning.core.paths import CONF_DIR

log = logging.getLogger(__name__)


def project_config(overrides: list[str] | None = None) -> DictConfig:
    """The train config (paths, metric settings), for commands that run outside a Hydra run."""
    from hydra import compose, initialize_config_dir

    register_resolvers()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("train", overrides=overrides or [])


def entry_point(config_name: str) -> Callable[[Callable[[DictConfig], object]], Callable[[], object]]:
    """`main = entry_point("sample")(sample)`: a Hydra command over conf/<config_name>.yaml whose user
    errors end as one line and exit status 1."""

    # Runs when a module is imported, before `make mutate` switches a mutant on; test_cli.py covers it.
    def decorate(task: Callable[[DictConfig], object]) -> Callable[[], object]:
        main = hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=config_name)  # pragma: no mutate
        hydra_main = main(exit_on_user_error(task))  # pragma: no mutate

        @functools.wraps(hydra_main)
        def run() -> object:
            register_resolvers()
            check_command_line(config_name, sys.argv[1:])
            return hydra_main()

        return run

    return decorate


def exit_on_user_error(entry: Callable) -> Callable:
    """Turn a GANError into one line on stderr and exit status 1, instead of a library traceback."""

    @functools.wraps(entry)
    def wrapper(*args, **kwargs):
        try:
            return entry(*args, **kwargs)
        except SIGTERMException:
            sys.exit("stopped by SIGTERM; the checkpoint saved on the way out is logged above")
        except Exception as raised:
            err = user_error(raised)
            if err is None and isinstance(raised, InstantiationException) and not os.environ.get("HYDRA_FULL_ERROR"):
                err = GANError(" ".join(str(raised).split()) + " (HYDRA_FULL_ERROR=1 shows the traceback)")
            if err is None:
                raise
            if in_multirun():
                log.error("%s", err)  # the job's own log keeps why it failed
                raise err from None  # Hydra marks this job failed and runs the others
            sys.exit(f"error: {err}")

    return wrapper


def user_error(err: BaseException | None) -> GANError | None:
    """The GANError behind err: err itself, or the cause that a library (Hydra's instantiate) wrapped."""
    while err is not None:
        if isinstance(err, GANError):
            return err
        err = err.__cause__
    return None
