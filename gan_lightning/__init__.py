"""GANs on MNIST with PyTorch Lightning, Hydra and TensorBoard.

`from gan_lightning import load_generator, score`: the Python API (gan_lightning/api.py), imported on first
use so that `import gan_lightning.<module>` stays light.
"""

__all__ = ["load_generator", "score"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from gan_lightning import api

        return getattr(api, name)
    raise AttributeError(f"module 'gan_lightning' has no attribute {name!r}")
