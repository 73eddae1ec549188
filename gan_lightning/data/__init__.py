"""The data a GAN learns from: MNIST as a LightningDataModule, a conditional GAN's labels, image grids."""
