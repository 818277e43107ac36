"""Categories the held-out rows hold but the training rows never do.

The vocabulary is learned from the training rows only, so a value first seen
in the validation or test rows reaches the model as "unknown" (index 1). A few
such rows are normal; a column whose held-out values are mostly new tells the
model nothing there, and its metrics look like a broken model. The classic case
is a calendar column (``month``) under a time split: the test months come after
every training month. :func:`find_unseen_categories` finds such columns on the
split that training will use, and :func:`unseen_categories_text` says what to
do instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.config import TIME_FEATURES, ExperimentConfig
from core.data.values import natural_order, parse_time_utc
from core.examples.prepare import ExperimentPlan
from core.examples.sequences import PART_NAMES, TEST, TRAIN, VALIDATION
from core.features.derived import calendar_name, calendar_parts
from core.features.vocabulary import MISSING_KEY, category_keys

#: A column is reported when its unseen values cover this share of held-out rows.
MIN_UNSEEN_SHARE = 0.05
#: Unseen values named in a warning; the count says how many more there are.
SHOWN_VALUES = 5
#: Words of a column name that make it calendar-like, with the derived calendar
#: part (``data.time_features``) that replaces it, where there is one.
CALENDAR_WORDS: dict[str, str | None] = {
    "month": "month",
    "weekday": "day_of_week",
    "dow": "day_of_week",
    "dayofweek": "day_of_week",
    "hour": "hour",
    "day": None,
    "week": None,
    "year": None,
}
_MONTH_NAMES = tuple(
    "january february march april may june july august september october "
    "november december".split()
)
_WEEKDAY_NAMES = tuple(
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


@dataclass(frozen=True)
class UnseenCategories:
    """Values of one column that held-out rows hold and training rows never do.

    Attributes
    ----------
    column : str
        The categorical column (a derived calendar column is ``<time>__<part>``).
    values : tuple of str
        The unseen values, most frequent in the held-out rows first.
    rows : dict of str to int
        Held-out rows holding one of them, per part (``validation``, ``test``).
    held_out_rows : int
        All validation and test rows.
    time_split : bool
        Whether the split is by time.
    calendar_like : bool
        Whether the name or the values look like a calendar part.
    calendar_part : str or None
        The ``data.time_features`` part that could replace the column, when it
        is calendar-like and the time column holds dates/times.
    calendar_covered : bool
        Whether the training rows cover every ``calendar_part`` value of the
        held-out rows (so deriving it would leave nothing unseen).
    derived : bool
        Whether the column is itself a derived calendar part.
    """

    column: str
    values: tuple[str, ...]
    rows: dict[str, int]
    held_out_rows: int
    time_split: bool
    calendar_like: bool = False
    calendar_part: str | None = None
    calendar_covered: bool = False
    derived: bool = False

    @property
    def share(self) -> float:
        """Share of the held-out rows that hold an unseen value."""
        return sum(self.rows.values()) / max(self.held_out_rows, 1)


def _row_keys(series: pd.Series) -> np.ndarray:
    """Canonical category key of every row (the preprocessor's keys)."""
    codes, keys = category_keys(series)
    return keys[codes]


def _name_part(column: str) -> tuple[bool, str | None]:
    """Calendar-likeness and matching calendar part from a column's name."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", column).lower()
    words = [word for word in re.split(r"[^a-z]+", spaced) if word]
    if "day_of_week" in "_".join(words):
        return True, "day_of_week"
    matched = [word for word in words if word in CALENDAR_WORDS]
    if not matched:
        return False, None
    parts = [CALENDAR_WORDS[word] for word in matched if CALENDAR_WORDS[word]]
    return True, (parts[0] if parts else None)


def _named(keys: set[str], names: tuple[str, ...]) -> bool:
    """Whether every key is a name of ``names`` or its abbreviation (3+ letters)."""
    return all(
        len(key) >= 3 and any(name.startswith(key) for name in names) for key in keys
    )


def _value_part(keys: np.ndarray) -> str | None:
    """``month`` or ``day_of_week`` when every value is a month or weekday."""
    distinct = {str(key).lower() for key in set(keys) if key != MISSING_KEY}
    if len(distinct) < 2:
        return None
    if distinct <= {str(number) for number in range(1, 13)}:
        return "month"
    if _named(distinct, _MONTH_NAMES):
        return "month"
    if _named(distinct, _WEEKDAY_NAMES):
        return "day_of_week"
    return None


def _datetimes(plan: ExperimentPlan, config: ExperimentConfig) -> pd.Series | None:
    """The time column as date/times, or None when it holds plain numbers."""
    if config.data.time_column is None:
        return None
    parsed = parse_time_utc(plan.frame[config.data.time_column])
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        return None
    return parsed


def _unseen(
    keys: np.ndarray, row_parts: np.ndarray
) -> tuple[tuple[str, ...], dict[str, int]]:
    """Held-out keys absent from training, most frequent first, and rows per part."""
    seen = set(keys[row_parts == TRAIN])
    held = row_parts != TRAIN
    unseen_rows = held & ~pd.Series(keys).isin(seen).to_numpy()
    counts = pd.Series(keys[unseen_rows]).value_counts(sort=False)
    # Ties in natural order: month numbers 9, 10, 11 rather than 10, 11, 9.
    natural = {key: rank for rank, key in enumerate(natural_order(counts.index))}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], natural[item[0]]))
    rows = {
        PART_NAMES[part]: int((unseen_rows & (row_parts == part)).sum())
        for part in (VALIDATION, TEST)
    }
    return tuple(str(key) for key, _ in ordered), rows


def _covered(times: pd.Series, part: str, row_parts: np.ndarray) -> bool:
    """Whether training rows hold every calendar ``part`` value held-out rows do."""
    values = calendar_parts(times, part)
    held = values[(row_parts != TRAIN) & ~np.isnan(values)]
    return set(held) <= set(values[row_parts == TRAIN])


def _columns(
    plan: ExperimentPlan, config: ExperimentConfig, times: pd.Series | None
) -> dict[str, tuple[np.ndarray, bool]]:
    """Row keys of each categorical input, and whether it is a derived calendar part."""
    columns = {
        name: (_row_keys(plan.frame[name]), False)
        for name in config.data.categorical_names
    }
    if times is not None:
        for part in config.data.time_features:
            values = pd.Series(calendar_parts(times, part))
            columns[calendar_name(config.data, part)] = (_row_keys(values), True)
    return columns


def find_unseen_categories(
    plan: ExperimentPlan,
    config: ExperimentConfig,
    min_share: float = MIN_UNSEEN_SHARE,
) -> list[UnseenCategories]:
    """Categorical columns whose held-out values are largely new to training.

    Parameters
    ----------
    plan : ExperimentPlan
        The ordered, split rows (:func:`core.examples.prepare.plan_experiment`).
    config : ExperimentConfig
        The experiment: its categorical columns, calendar features and split.
    min_share : float
        Report a column when its unseen values cover at least this share of
        the validation and test rows.

    Returns
    -------
    list of UnseenCategories
        One per reported column, in the config's column order.
    """
    row_parts = plan.row_parts
    held_out_rows = int((row_parts != TRAIN).sum())
    if held_out_rows == 0:
        return []
    times = _datetimes(plan, config)
    found = []
    for name, (keys, derived) in _columns(plan, config, times).items():
        values, rows = _unseen(keys, row_parts)
        if sum(rows.values()) < min_share * held_out_rows or not values:
            continue
        calendar_like, part = _name_part(name)
        part = part or _value_part(keys)
        calendar_like = (calendar_like or part is not None) and not derived
        if derived or times is None or part not in TIME_FEATURES:
            part = None
        found.append(
            UnseenCategories(
                column=name,
                values=values,
                rows=rows,
                held_out_rows=held_out_rows,
                time_split=config.split.method == "time",
                calendar_like=calendar_like,
                calendar_part=part,
                calendar_covered=part is not None and _covered(times, part, row_parts),
                derived=derived,
            )
        )
    return found


def _advice(finding: UnseenCategories) -> str:
    """What to do instead, for one finding."""
    column = finding.column
    if finding.derived:
        return (
            "The training period does not cover every calendar value of the "
            "held-out period: train on a longer period or leave that part out of "
            "data.time_features."
        )
    numeric = f"make {column!r} a numeric column (its order then carries over)"
    part = finding.calendar_part
    if part and finding.calendar_covered:
        return (
            "Derive the calendar part from the time column instead: "
            f"data.time_features = [{part!r}] (the training rows cover every "
            f"{part} the held-out rows have), or {numeric}."
        )
    if finding.calendar_like:
        text = "A calendar value the training period never had cannot be learned "
        text += "as a category"
        if part:
            text += (
                f", and data.time_features = [{part!r}] would not help (the "
                f"training rows do not cover every {part} of the held-out rows)"
            )
        return text + f": {numeric}, or train on a longer period."
    if finding.time_split:
        return (
            f"If its values are ordered quantities, {numeric}; or split by entity "
            "(split.method = 'entity')."
        )
    return (
        "Values only held-out entities have are unknown to the model: leave an "
        f"identifier out of the features; if its values are ordered quantities, "
        f"{numeric}; or split by time (split.method = 'time'), so every entity's "
        "early rows reach training."
    )


def unseen_categories_text(finding: UnseenCategories) -> str:
    """One warning sentence for a :class:`UnseenCategories` finding, with advice."""
    shown = ", ".join(repr(value) for value in finding.values[:SHOWN_VALUES])
    more = len(finding.values) - SHOWN_VALUES
    if more > 0:
        shown += f" and {more} more"
    split = " under a time split" if finding.time_split else ""
    affected = sum(finding.rows.values())
    per_part = ", ".join(f"{part} {rows:,}" for part, rows in finding.rows.items())
    return (
        f"column {finding.column!r}: {len(finding.values)} value(s) of the "
        f"validation/test rows never occur in the training rows{split} ({shown}); "
        f"{affected:,} of {finding.held_out_rows:,} held-out rows "
        f"({finding.share:.0%}; {per_part}) will reach the model as unknown. "
        + _advice(finding)
    )
