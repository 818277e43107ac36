"""The target a config derives from an expression, applied where tables enter.

:func:`apply_derived_target` is called wherever a table enters the pipeline:
the training plan (:func:`core.examples.prepare.plan_experiment`), a new file
(:func:`core.examples.prepare.prepare_prediction`), the checks before either
(:func:`core.data.validation.validate_against`) and each streamed chunk of a
Parquet dataset. The expression is row-wise, so computing it per chunk, per
file or on the whole table gives the same labels, at training and prediction.
"""

from __future__ import annotations

import pandas as pd

from core.config import DataConfig
from core.data.target_expression import parse_target_expression

#: Rows of :func:`target_balance`, in the order shown.
BALANCE_CLASSES = ("1", "0", "missing")


def derived_target_sources(config: DataConfig) -> tuple[str, ...]:
    """The columns the target is derived from (none without ``derive_target``)."""
    if config.derive_target is None:
        return ()
    return parse_target_expression(config.derive_target).columns


def has_target_sources(frame: pd.DataFrame, config: DataConfig) -> bool:
    """Whether ``frame`` holds every column the derived target reads."""
    return all(name in frame.columns for name in derived_target_sources(config))


def apply_derived_target(
    frame: pd.DataFrame, config: DataConfig, *, required: bool = True
) -> pd.DataFrame:
    """The table with its target column computed from ``config.derive_target``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table as the user gave it.
    config : DataConfig
        Its data settings.
    required : bool
        ``True`` (training): a column the expression reads must be present.
        ``False`` (a new file to predict): without those columns the file
        has no target, so a column named like the target is dropped rather
        than taken for the derived one, and the file is predicted unscored.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself without ``derive_target``; otherwise a copy whose
        ``target_column`` holds 1, 0 or missing (``Int64``), replacing any
        column of that name.

    Raises
    ------
    ConfigError
        On ``data.derive_target``: a column it reads is missing (when
        ``required``) or its values cannot be compared as written.
    """
    if config.derive_target is None:
        return frame
    expression = parse_target_expression(config.derive_target)
    if not required and not has_target_sources(frame, config):
        return frame.drop(columns=[config.target_column], errors="ignore")
    return frame.assign(**{config.target_column: expression.evaluate(frame)})


def target_balance(frame: pd.DataFrame, expression: str) -> pd.DataFrame:
    """How many rows an expression labels 1, 0 and missing, with their shares.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table the target would be derived from.
    expression : str
        A target expression (:mod:`core.data.expression_syntax`).

    Returns
    -------
    pandas.DataFrame
        Columns ``class`` (``"1"``, ``"0"``, ``"missing"``), ``rows`` and
        ``share`` (of all rows; 0 for an empty table).

    Raises
    ------
    ConfigError
        On ``data.derive_target``, for an expression that does not parse or
        does not fit the table's columns.

    Examples
    --------
    >>> table = pd.DataFrame({"status": [2, 1, 1, None]})
    >>> target_balance(table, "status == 2").to_dict("list")
    {'class': ['1', '0', 'missing'], 'rows': [1, 2, 1], 'share': [0.25, 0.5, 0.25]}
    """
    labels = parse_target_expression(expression).evaluate(frame)
    counts = [int((labels == 1).sum()), int((labels == 0).sum())]
    counts.append(int(labels.isna().sum()))
    total = max(len(frame), 1)
    return pd.DataFrame(
        {
            "class": list(BALANCE_CLASSES),
            "rows": counts,
            "share": [count / total for count in counts],
        }
    )
