"""What every logger receives, and the W&B and MLflow runs that a resumed run continues exactly once."""
