"""A training run's machinery: the Trainer with its callbacks and loggers, where it resumes, the metrics of its
final weights, and the run folder's bookkeeping. `train.py` tells the run with these."""
