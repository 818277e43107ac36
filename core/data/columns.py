"""The one home of the checks that a table has the columns a step needs."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from core.errors import DataValidationError

_SHOWN_COLUMNS = 30


def require_columns(df: pd.DataFrame, columns: Iterable[str | None]) -> None:
    """Raise for the first wanted column the table lacks (``None`` entries skipped).

    Raises
    ------
    DataValidationError
        Naming the missing column and listing the table's columns.
    """
    for column in columns:
        if column is not None and column not in df.columns:
            available = [str(name) for name in df.columns]
            shown = available[:_SHOWN_COLUMNS] + (
                ["..."] if len(available) > _SHOWN_COLUMNS else []
            )
            raise DataValidationError(
                column, f"expected this column in the data, received columns {shown}"
            )


def require_unique_columns(df: pd.DataFrame) -> None:
    """Raise DataValidationError for a table without columns or with repeats."""
    if df.shape[1] == 0:
        raise DataValidationError(None, "expected at least one column, received none")
    duplicated = sorted({str(name) for name in df.columns[df.columns.duplicated()]})
    if duplicated:
        raise DataValidationError(
            duplicated[0],
            f"expected unique column names, received duplicates {duplicated}",
        )
