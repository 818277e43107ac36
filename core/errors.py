"""Typed errors for everything a user can get wrong about their data or settings.

Every error the user can fix derives from :class:`CoreError`; anything else is a bug
and is allowed to propagate.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base class of every error caused by the user's data, settings or files."""


class ConfigError(CoreError, ValueError):
    """An experiment setting is invalid.

    Parameters
    ----------
    field : str
        Dotted name of the setting, e.g. ``"data.window"``.
    message : str
        What was expected and what was received.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class DataValidationError(CoreError, ValueError):
    """The data does not fit the configuration.

    Parameters
    ----------
    column : str or None
        The offending column, or ``None`` when the problem is the whole table.
    message : str
        What was expected and what was received.
    """

    def __init__(self, column: str | None, message: str) -> None:
        self.column = column
        self.message = message
        prefix = f"column '{column}': " if column is not None else ""
        super().__init__(f"{prefix}{message}")


class NotFittedError(CoreError, RuntimeError):
    """A fitted object was used before ``fit`` was called."""


class BundleError(CoreError):
    """A saved model bundle is missing, damaged, foreign or unsafe."""


class TrainingError(CoreError):
    """Training could not produce a usable model (for example the loss became NaN)."""
