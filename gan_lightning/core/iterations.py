"""GAN iterations and Lightning's optimizer steps: the one place where the two counts are converted.

One iteration is `d_steps` discriminator updates followed by one generator update. Lightning's
`global_step` counts every optimizer step, D's and G's alike (Lightning issue 17958), so an iteration is
`d_steps + 1` of its steps. Users count in iterations everywhere: budgets, intervals, logs, file names.
"""


def optimizer_steps(iterations: int, d_steps: int) -> int:
    """Lightning's global_step after `iterations` complete iterations."""
    return iterations * (d_steps + 1)


def completed_iterations(global_step: int, d_steps: int) -> int:
    """Complete iterations behind Lightning's global_step."""
    return global_step // (d_steps + 1)


def is_logging_iteration(trainer, iteration: int) -> bool:
    """Whether Lightning writes the loggers after iteration `iteration` (0-based), as its own rule decides.

    Training statistics and host syncs (the NaN check) happen only then.
    """
    every = trainer.log_every_n_steps
    return bool(trainer.fast_dev_run) or (every > 0 and (iteration + 1) % every == 0)
