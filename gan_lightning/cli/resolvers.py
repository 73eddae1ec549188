"""The OmegaConf resolvers the configs use, registered by every entry point before it composes a config."""

from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from gan_lightning.core.paths import PROJECT_ROOT, run_folder
from gan_lightning.data.labels import DIGITS

MAX_RUN_NAME = 150  # characters: a folder name (each job has its own folder, so a cut name stays apart)


def swept_keys(hydra: DictConfig) -> set[str]:
    """The keys a multirun varies: those with several values on its command line (kept in the sweep folder's
    multirun.yaml) and those of the sweeper's search space."""
    saved = Path(hydra.sweep.dir) / "multirun.yaml"
    command_line = OmegaConf.load(saved).hydra.overrides.task if saved.exists() else []
    parsed = OverridesParser.create().parse_overrides(list(command_line))
    return {o.key_or_group for o in parsed if o.is_sweep_override()} | set(hydra.sweeper.get("params") or {})


def in_multirun() -> bool:
    """Whether this process runs a job of a Hydra multirun (a sweep or a search)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def tensorboard_run_name() -> str:
    """A sweep job's TensorBoard run is named by the overrides that tell it from the others (`loss=minimax,seed=2`);
    a single run needs no name."""
    if not in_multirun():
        return ""
    hydra = HydraConfig.get()
    keys = swept_keys(hydra)
    own = [line for line in hydra.overrides.task if line.split("=")[0].lstrip("+~") in keys]
    name = ",".join(own) if own else hydra.job.override_dirname
    return name.replace("/", "_")[:MAX_RUN_NAME]


def tracking_run_name() -> str | None:
    """A W&B or MLflow run's name: a sweep job's overrides (as its TensorBoard run), else its run folder's name
    (None, for the tracker to choose, outside a Hydra command)."""
    if not HydraConfig.initialized():
        return None
    return tensorboard_run_name() or Path(HydraConfig.get().runtime.output_dir).name


def register_resolvers() -> None:
    """`${project_root:}`, `${run_folder:...}`, `${tensorboard_run_name:}`, `${tracking_run_name:}` and
    `${digit_classes:...}`, `${positive:...}` (conf/paths, conf/hydra, conf/logger, conf/model). Safe to call more
    than once."""
    OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT), replace=True)
    OmegaConf.register_new_resolver("run_folder", run_folder, replace=True)
    OmegaConf.register_new_resolver("tensorboard_run_name", tensorboard_run_name, replace=True)
    OmegaConf.register_new_resolver("tracking_run_name", tracking_run_name, replace=True)
    # The nets' num_classes: the ten digits for a conditional GAN, None for an unconditional one.
    OmegaConf.register_new_resolver("digit_classes", lambda conditional: DIGITS if conditional else None, replace=True)
    # D's aux_classifier switch: on where its loss has a weight.
    OmegaConf.register_new_resolver(
        "positive", lambda weight: isinstance(weight, int | float) and weight > 0, replace=True
    )
