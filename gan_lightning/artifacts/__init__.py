"""What runs leave for others: checkpoints (read safely), exported generators, and loading either."""
