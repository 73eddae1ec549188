"""GANs on MNIST with PyTorch Lightning, Hydra and TensorBoard."""
