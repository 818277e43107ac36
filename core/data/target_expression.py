"""A binary target derived from columns: ``status == 2 and value > 100``.

The expression is parsed by :mod:`core.data.expression_syntax` (never by
``eval``, ``DataFrame.eval`` or ``DataFrame.query``: on a shared server it is
untrusted text) and evaluated here with vectorised pandas operations into 1,
0 or missing per row.

Examples
--------
>>> import pandas as pd
>>> expression = parse_target_expression("status == 2 or `peak load` > 100")
>>> expression.columns
('status', 'peak load')
>>> table = pd.DataFrame({"status": [2, 1, None], "peak load": [0, 120, 5]})
>>> expression.evaluate(table).tolist()
[1, 1, <NA>]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.expression_syntax import (
    COMPARISONS,
    FIELD,
    ORDERING,
    Comparison,
    Literal,
    Membership,
    Negation,
    Node,
    expression_columns,
    parse_syntax,
)
from core.data.values import parse_numbers
from core.errors import ConfigError


@dataclass(frozen=True)
class TargetExpression:
    """A parsed target expression.

    Attributes
    ----------
    text : str
        The expression as written.
    root : Node
        Its syntax tree.
    """

    text: str
    root: Node

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expression reads, in order of first appearance."""
        return tuple(dict.fromkeys(expression_columns(self.root)))

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """1 where the expression holds, 0 where it does not, missing where unknown.

        A comparison on a missing value is unknown rather than false: a
        machine whose status was not recorded did not "not fail", and a 0 there
        would teach the model a label nobody observed. ``and``/``or``/``not``
        follow three-valued (Kleene) logic, so ``a or b`` is still 1 when ``b``
        holds and ``a`` is unknown.

        Parameters
        ----------
        frame : pandas.DataFrame
            Holds every column of :attr:`columns`.

        Returns
        -------
        pandas.Series
            Nullable integers (``Int64``) on ``frame``'s index.

        Raises
        ------
        ConfigError
            On ``data.derive_target``: a column is missing (close names
            suggested), or a value cannot be compared with the column's values.
        """
        for column in self.columns:
            if column not in frame.columns:
                raise unknown_column_error(column, frame.columns)
        truth = _truth(self.root, frame)
        return pd.Series(truth, index=frame.index).astype("Int64")


def parse_target_expression(text: str) -> TargetExpression:
    """Parse a target expression (:mod:`core.data.expression_syntax`).

    Parameters
    ----------
    text : str
        Such as ``status == 2``, ``value > 100`` or ``kind in ['a', 'b']``.

    Returns
    -------
    TargetExpression

    Raises
    ------
    ConfigError
        On ``data.derive_target``, naming the position, what was expected and
        what was received.
    """
    return TargetExpression(text, parse_syntax(text))


def unknown_column_error(column: str, columns: object) -> ConfigError:
    """The error for a column the table lacks, with close names suggested."""
    names = [str(name) for name in columns]
    close = difflib.get_close_matches(column, names, n=3, cutoff=0.6)
    close += [n for n in names if n.lower() == column.lower() and n not in close]
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    shown = names[:30] + (["..."] if len(names) > 30 else [])
    return ConfigError(
        FIELD,
        f"expected a column of the data, received {column!r}{hint} (columns: {shown})",
    )


def _truth(node: Node, frame: pd.DataFrame) -> pd.arrays.BooleanArray:
    """Three-valued truth of ``node`` on every row (pandas' Kleene logic)."""
    if isinstance(node, Comparison):
        return _compare(frame[node.column], node.column, node.operator, node.value)
    if isinstance(node, Membership):
        series = frame[node.column]
        found = _compare(series, node.column, "==", node.values[0])
        for value in node.values[1:]:
            found = found | _compare(series, node.column, "==", value)
        return ~found if node.negated else found
    if isinstance(node, Negation):
        return ~_truth(node.operand, frame)
    combined = _truth(node.operands[0], frame)
    for operand in node.operands[1:]:
        other = _truth(operand, frame)
        combined = combined & other if node.operator == "and" else combined | other
    return combined


def _boolean(values: np.ndarray, missing: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(
        np.asarray(values, dtype=bool), np.asarray(missing, dtype=bool)
    )


def _compare(
    series: pd.Series, column: str, operator_text: str, value: Literal
) -> pd.arrays.BooleanArray:
    """``series <operator> value`` with missing values unknown."""
    compare = COMPARISONS[operator_text]
    if pd.api.types.is_numeric_dtype(series):
        if isinstance(value, str):
            raise ConfigError(
                FIELD,
                f"expected a number to compare column {column!r} with (it holds "
                f"numbers), received the text {value!r}",
            )
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            return _boolean(compare(numbers, float(value)), np.isnan(numbers))
    text = series.astype("string")
    missing = (text.isna() | (text == "").fillna(False)).to_numpy(dtype=bool)
    if isinstance(value, bool):
        # Text such as "True"/"false" (a CSV column with gaps reads as text).
        equal = (text.str.lower() == str(value).lower()).fillna(False)
        return _boolean(compare(equal.to_numpy(dtype=bool), True), missing)
    if isinstance(value, str):
        equal = (text == value).fillna(False).to_numpy(dtype=bool)
        return _boolean(compare(equal, True), missing)
    numbers = parse_numbers(series).values
    unreadable = ~missing & np.isnan(numbers)
    if operator_text in ORDERING and unreadable.any():
        example = text[unreadable].iloc[0]
        raise ConfigError(
            FIELD,
            f"expected numbers in column {column!r} to compare with "
            f"'{operator_text} {value}', received text such as {example!r}",
        )
    # Text that is not a number equals no number (NaN compares unequal).
    with np.errstate(invalid="ignore"):
        return _boolean(compare(numbers, float(value)), missing)
