"""Errors a user can act on. Entry points print their message as one line instead of a traceback."""


def describe(err: BaseException) -> str:
    """A library's exception in one line: its type and the first line of its message (torch's run to pages)."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0].strip()}" if lines else type(err).__name__


class GANError(Exception):
    """Base class: the message says what is wrong and what to do about it."""


class ConfigError(GANError, ValueError):
    """A config value is invalid; the message names the key."""


class DataError(GANError):
    """The dataset is missing or unreadable; the message names the folder and the fix."""


class NonFiniteLossError(GANError):
    """A loss became NaN or infinite: training diverged, and the weights after that iteration are unusable."""
