"""Errors a user can act on. Entry points print their message as one line instead of a traceback."""


class GANError(Exception):
    """Base class: the message says what is wrong and what to do about it."""


class ConfigError(GANError, ValueError):
    """A config value is invalid; the message names the key."""


class DataError(GANError):
    """The dataset is missing or unreadable; the message names the folder and the fix."""


class DivergenceError(GANError):
    """A loss became NaN or infinite; the weights after that iteration are unusable."""
