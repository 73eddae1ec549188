"""The callbacks of a training run, one file each (conf/callbacks/ has one config file each)."""

from gan_lightning.callbacks.checkpointing import IterationCheckpoint
from gan_lightning.callbacks.compute_clock import ComputeClock
from gan_lightning.callbacks.finite_losses import FiniteLossGuard
from gan_lightning.callbacks.last_validation import LastValidation
from gan_lightning.callbacks.lr_decay import LearningRateDecay
from gan_lightning.callbacks.progress import IterationProgressBar
from gan_lightning.callbacks.random_streams import RandomStreams
from gan_lightning.callbacks.run_config import StoreConfig
from gan_lightning.callbacks.sample_grid import SampleGrid
from gan_lightning.callbacks.sample_quality import SampleQuality
from gan_lightning.callbacks.tensorboard_layout import TensorBoardLayout
from gan_lightning.callbacks.tracking_runs import TrackingRuns

__all__ = [
    "ComputeClock",
    "FiniteLossGuard",
    "IterationCheckpoint",
    "IterationProgressBar",
    "LastValidation",
    "LearningRateDecay",
    "RandomStreams",
    "SampleGrid",
    "SampleQuality",
    "StoreConfig",
    "TensorBoardLayout",
    "TrackingRuns",
]
