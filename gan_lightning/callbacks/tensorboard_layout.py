"""TensorBoard's Custom Scalars tab: the tutorial's curves as the tutorial plotted them, then sample quality."""

import pytorch_lightning as pl
from pytorch_lightning.loggers import TensorBoardLogger

from gan_lightning.core.curves import tag

LAYOUT = {
    "1. the tutorial's curves": {
        "losses: d_real, d_fake, d, g": [
            "Multiline",
            [tag(n) for n in ("d_real_loss", "d_fake_loss", "d_loss", "g_loss")],
        ],
        "D(x) and D(G(z))": ["Multiline", [tag("d_real_prob"), tag("d_fake_prob")]],
        "divergence: mean D(x) / (D(x) + D(G(z)))": ["Multiline", [tag("divergence")]],
        "G's gradient norm": ["Multiline", [tag("g_grad_norm")]],
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
