"""Sweep tools: a multirun's jobs, their statistics, the summary tables and pictures (Hydra callback + CLI)."""
