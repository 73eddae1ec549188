"""gan_lightning's Hydra plugin: the Optuna sweeper that continues a stored study (Hydra finds plugins here)."""
