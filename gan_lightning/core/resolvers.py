"""The OmegaConf resolvers the configs use, registered by every entry point before it composes a config."""

from omegaconf import OmegaConf

from gan_lightning.core.paths import PROJECT_ROOT, run_folder


def register_resolvers() -> None:
    """`${project_root:}` and `${run_folder:...}` (conf/paths, conf/hydra). Safe to call more than once."""
    OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT), replace=True)
    OmegaConf.register_new_resolver("run_folder", run_folder, replace=True)
