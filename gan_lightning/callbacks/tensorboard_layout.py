"""TensorBoard's Custom Scalars tab: the tutorial's curves as the tutorial plotted them, then sample quality."""

import pytorch_lightning as pl
from pytorch_lightning.loggers import TensorBoardLogger

LAYOUT = {
    "1. the tutorial's curves": {
        "losses: d_real, d_fake, d, g": [
            "Multiline",
            ["train/d_real_loss", "train/d_fake_loss", "train/d_loss", "train/g_loss"],
        ],
        "D(x) and D(G(z))": ["Multiline", ["train/d_real_prob", "train/d_fake_prob"]],
        "divergence: mean D(x) / (D(x) + D(G(z)))": ["Multiline", ["train/divergence"]],
        "G's gradient norm": ["Multiline", ["train/g_grad_norm"]],
    },
    "2. sample quality (validation)": {
        "FID and KID": ["Multiline", ["val/fid", "val/kid"]],
        "Inception Score, digits covered": ["Multiline", ["val/inception_score", "val/mode_classes"]],
        "D's accuracy on reals and fakes": ["Multiline", ["val/d_real_acc", "val/d_fake_acc"]],
    },
}


class TensorBoardLayout(pl.Callback):
    """Writes LAYOUT into every TensorBoard run once, when training starts."""

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_custom_scalars(LAYOUT)
