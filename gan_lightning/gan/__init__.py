"""The GAN core: the LightningModule, networks, objectives, penalties, augmentation, EMA, dropout, sampling and
the protocol that callbacks may use of the module."""
