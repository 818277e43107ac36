"""Column roles: suggestions for the UI to pre-fill, and the task a target implies.

:func:`infer_schema` guesses which column identifies entities, which orders time,
which is the target and which are categorical or numeric features. It only
suggests; the user decides. Checking a table against the roles the user chose is
:func:`core.data.validation.validate_against`.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame(
...     {"unit": [1, 1, 2, 2], "cycle": [1, 2, 1, 2], "sensor": [0.1, 0.4, 0.2, 0.3],
...      "rul": [1, 0, 1, 0]}
... )
>>> suggestion = infer_schema(df)
>>> suggestion.id_column, suggestion.time_column, suggestion.target_column
('unit', 'cycle', 'rul')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from core.config import Task
from core.data.columns import require_unique_columns
from core.data.values import (
    date_part_columns,
    parse_numbers,
    parse_time,
    timestamp_from_parts,
)
from core.errors import DataValidationError
from core.features.numeric import to_numeric_values

Role = Literal["id", "time", "target", "categorical", "numeric", "ignored"]
FeatureRole = Literal["categorical", "numeric", "ignored"]
ColumnKind = Literal[
    "empty",
    "bool",
    "integer",
    "whole_float",
    "float",
    "datetime",
    "date_text",
    "number_text",
    "mostly_number_text",
    "text",
]

MAX_CLASSES = 20
#: A text column is suggested as numeric when at most this share of its rows
#: (and at most ``MAX_UNPARSED_VALUES`` distinct values) do not read as numbers.
MAX_UNPARSED_SHARE = 0.01
MAX_UNPARSED_VALUES = 5
MAX_LOW_CARDINALITY = 50
LOW_CARDINALITY_SHARE = 0.05

_ID_HINTS = frozenset(
    "id unit entity machine store customer user device engine patient account "
    "session vehicle asset client subject series sku product item site turbine "
    "equipment".split()
)
_NOT_ID_HINTS = frozenset("type code category kind class group".split())
_TIME_HINTS = frozenset(
    "time timestamp date datetime cycle cycles step t day hour week month year "
    "period ts seq minute second tick".split()
)
_TARGET_HINTS = frozenset(
    "target label y failure fail failed rul class outcome sales churn fraud "
    "default anomaly response".split()
)
_CATEGORY_SUFFIXES = frozenset({"id", "type", "code"})
#: Name words of integer columns that are cyclic codes rather than amounts: the
#: hour of day or the month embed well as categories (a learnt daily arc).
_CALENDAR_CODES = frozenset(
    "hour month day weekday dow dayofweek quarter season minute".split()
)
_DATE_SAMPLE = 200


@dataclass(frozen=True)
class ColumnProfile:
    """What one column looks like and the role suggested for it.

    Parameters
    ----------
    name : str
        Column name.
    dtype : str
        pandas dtype as text.
    role : {"id", "time", "target", "categorical", "numeric", "ignored"}
        Suggested role.
    missing_fraction : float
        Share of missing values, from 0 to 1.
    cardinality : int
        Number of distinct non-missing values.
    example_values : tuple of str
        Up to three distinct values, as text.
    feature_role : {"categorical", "numeric", "ignored"}
        The role the column would have as a feature, also for the id, time and
        target columns (so a column freed from one of those roles can rejoin
        the features).
    unparsed_values : dict of str to int
        For a column suggested as numeric although it holds text: the values
        that do not read as numbers, with their row counts.
    """

    name: str
    dtype: str
    role: Role
    missing_fraction: float
    cardinality: int
    example_values: tuple[str, ...]
    feature_role: FeatureRole = "ignored"
    unparsed_values: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SchemaSuggestion:
    """Suggested roles of all columns of a long-format table.

    Parameters
    ----------
    id_column, time_column : str or None
        Entity identifier and ordering column, if any were recognised.
    target_column : str
        Column to predict.
    task : {"binary", "multiclass", "regression"}
        Task suggested by the target values (:func:`infer_task`).
    categorical_columns, numeric_columns : tuple of str
        Suggested features; never the id, time or target column.
    columns : tuple of ColumnProfile
        One profile per column, in table order.
    notes : tuple of str
        Why a guess was made, and columns that deserve a second look.
    date_parts : tuple of str
        Separate year, month, day (hour, minute, second) columns that
        :func:`core.data.repairs.add_timestamp` can combine into one time column.
    target_guessed : bool
        True when no column is named like a target and ``target_column`` is
        only the last usable column.
    """

    id_column: str | None
    time_column: str | None
    target_column: str
    task: Task
    categorical_columns: tuple[str, ...]
    numeric_columns: tuple[str, ...]
    columns: tuple[ColumnProfile, ...]
    notes: tuple[str, ...] = ()
    date_parts: tuple[str, ...] = ()
    target_guessed: bool = False


@dataclass(frozen=True)
class _Facts:
    """Kind, size and name tokens of one column."""

    kind: ColumnKind
    cardinality: int
    present: int
    tokens: tuple[str, ...]
    unparsed: dict[str, int] = field(default_factory=dict)
    sparse: bool = False


def infer_task(series: pd.Series) -> Task:
    """Suggest the task for a target column.

    Two distinct values (or fewer) give ``"binary"``; text, or integers with at
    most 20 distinct values, give ``"multiclass"``; other numbers give
    ``"regression"``. Numbers stored as text count as numbers.

    Parameters
    ----------
    series : pandas.Series
        Target values; missing values are ignored.

    Returns
    -------
    str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.

    Raises
    ------
    DataValidationError
        If every value is missing.
    """
    present = series.dropna()
    if present.empty:
        raise DataValidationError(
            _label(series), "expected target values, received only missing values"
        )
    distinct = present.nunique()
    if distinct <= 2:
        return "binary"
    numbers = _numbers_or_none(present)
    if numbers is None:
        return "multiclass"
    integral = bool(np.all(np.mod(numbers, 1) == 0))
    return "multiclass" if integral and distinct <= MAX_CLASSES else "regression"


def task_for_classes(keys: list[str]) -> Task:
    """The task to name when a binary task meets more than two classes.

    Many numbers (1,017 wages) mean regression; a few labels or small
    integers mean multiclass.

    >>> task_for_classes(["low", "mid", "high"]), task_for_classes(list("0123456789"))
    ('multiclass', 'multiclass')
    >>> task_for_classes([str(value / 10) for value in range(50)])
    'regression'
    """
    task = infer_task(pd.Series(list(dict.fromkeys(keys)), dtype=object))
    return "multiclass" if task == "binary" else task


def _numbers_or_none(series: pd.Series) -> np.ndarray | None:
    """Float values when every value is a number (or numeric text), else None."""
    if pd.api.types.is_bool_dtype(series):
        return None
    try:
        return to_numeric_values(series, _label(series))
    except DataValidationError:
        return None


def _label(series: pd.Series) -> str | None:
    return None if series.name is None else str(series.name)


def _tokens(name: object) -> tuple[str, ...]:
    """Lower-case words of a column name: ``"machineID"`` -> ``("machine", "id")``."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))
    return tuple(word.lower() for word in words)


def _inspect(series: pd.Series) -> _Facts:
    """Classify a column by its values."""
    present = series.dropna()
    kind = _kind(series, present)
    unparsed: dict[str, int] = {}
    if kind == "text":
        unparsed = _mostly_numbers(present)
        kind = "mostly_number_text" if unparsed else kind
    sparse = kind == "integer" and _sparse_integers(present)
    return _Facts(
        kind,
        int(present.nunique()),
        len(present),
        _tokens(series.name),
        unparsed,
        sparse,
    )


def _sparse_integers(present: pd.Series) -> bool:
    """Whether distinct integers are spread thinly over their range, as codes are.

    Ordered amounts (weeks worked, years of education) fill most of the range
    between their smallest and largest value; codes (industry 11, 23, 42) do not.
    A 0/1 flag counts as a code: its two values name states, not amounts.
    """
    distinct = np.unique(present.to_numpy(dtype=np.int64))
    if len(distinct) <= 2:
        return True
    span = int(distinct[-1]) - int(distinct[0]) + 1
    return span > 2 * len(distinct)


def _mostly_numbers(present: pd.Series) -> dict[str, int]:
    """Values that are not numbers with their rows, when only a few; else ``{}``."""
    counts = present.astype(str).str.strip().value_counts()
    # Parse the distinct values only: the cost grows with the cardinality.
    failed = parse_numbers(pd.Series(counts.index)).failed
    few = 0 < len(failed) <= MAX_UNPARSED_VALUES
    rows = {value: int(counts[value]) for value in failed}
    if few and sum(rows.values()) <= MAX_UNPARSED_SHARE * len(present):
        return rows
    return {}


def _kind(series: pd.Series, present: pd.Series) -> ColumnKind:
    if present.empty:
        return "empty"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        values = present.to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        return "whole_float" if np.all(np.mod(finite, 1) == 0) else "float"
    distinct = pd.Series(present.unique())
    if _numbers_or_none(distinct) is not None:
        return "number_text"
    sample = distinct.head(_DATE_SAMPLE).astype(str)
    if sample.str.contains(r"\d", regex=True).all():
        try:
            parse_time(sample)
            return "date_text"
        except DataValidationError:
            pass
    return "text"


def infer_schema(
    df: pd.DataFrame, target_column: str | None = None
) -> SchemaSuggestion:
    """Suggest the role of every column of a long-format table.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per entity per time step.
    target_column : str, optional
        The target when it is already known (a bundled data set, a saved
        config); otherwise it is guessed from the column names.

    Returns
    -------
    SchemaSuggestion
        Roles, task and per-column profiles; ``notes`` explain guesses and flag
        columns to check (such as an identifier used as a category).

    Raises
    ------
    DataValidationError
        If the table has no columns or duplicate column names, or
        ``target_column`` is not one of its columns.
    """
    require_unique_columns(df)
    if target_column is not None and target_column not in df.columns:
        raise DataValidationError(
            target_column,
            f"expected the target to be one of the columns "
            f"{list(map(str, df.columns))}, received {target_column!r}",
        )
    facts = {name: _inspect(df[name]) for name in df.columns}
    notes: list[str] = []
    target = target_column if target_column is not None else _target_by_name(facts)
    guessed = target is None
    id_column = _pick_id(df, facts, exclude={target})
    time_column = _pick_time(df, facts, id_column, exclude={target, id_column})
    if target is None:
        target = _last_column(facts, exclude={id_column, time_column})
        notes.append(
            f"no column is named like a target; {target!r} is only the last "
            "column that is not the id or time: choose the column to predict on "
            "the configure page"
        )
    task = _suggest_task(df[target], notes)
    feature_roles = {name: _feature_role(fact, len(df)) for name, fact in facts.items()}
    roles: dict[str, str] = dict(feature_roles)
    fixed = {id_column: "id", time_column: "time", target: "target"}
    roles.update({name: role for name, role in fixed.items() if name is not None})
    date_parts = _unbuilt_date_parts(df)
    notes.extend(_time_notes(df, time_column, id_column, date_parts))
    notes.extend(_duplicate_timestamp_notes(df, facts, id_column))
    notes.extend(_role_notes(facts, roles, id_column, time_column))
    # After the role notes, which would call an ignored column empty or a date.
    notes.extend(_set_aside_other_targets(facts, roles, target))
    profiles = tuple(
        _profile(df[name], facts[name], roles[name], feature_roles[name])
        for name in facts
    )
    return SchemaSuggestion(
        id_column=id_column,
        time_column=time_column,
        target_column=target,
        task=task,
        categorical_columns=_having_role(roles, "categorical"),
        numeric_columns=_having_role(roles, "numeric"),
        columns=profiles,
        notes=tuple(notes),
        date_parts=date_parts,
        target_guessed=guessed,
    )


def _having_role(roles: dict[str, str], wanted: str) -> tuple[str, ...]:
    return tuple(name for name, role in roles.items() if role == wanted)


def _target_by_name(facts: dict[str, _Facts]) -> str | None:
    """Best target-like name: whole name 3, last word 2; later columns win ties."""
    best, best_score = None, 0
    for name, fact in facts.items():
        if fact.kind in ("empty", "datetime", "date_text") or not fact.tokens:
            continue
        whole = "_".join(fact.tokens) in _TARGET_HINTS
        score = 3 if whole else 2 if fact.tokens[-1] in _TARGET_HINTS else 0
        if score and score >= best_score:
            best, best_score = name, score
    return best


def _set_aside_other_targets(
    facts: dict[str, _Facts], roles: dict[str, str], target: str
) -> list[str]:
    """Ignore other columns named exactly like a target (``failure`` beside ``rul``).

    Such a column is usually another view of the outcome; as a feature it would
    leak the answer, so it is left out unless the user adds it back.
    """
    notes = []
    for name, fact in facts.items():
        if name == target or roles[name] not in ("categorical", "numeric"):
            continue
        if "_".join(fact.tokens) in _TARGET_HINTS:
            roles[name] = "ignored"
            notes.append(
                f"column {name!r} looks like another target; left out of the "
                f"features so it cannot leak the answer to {target!r} (add it back "
                "if its value is known before the outcome)"
            )
    return notes


def _last_column(facts: dict[str, _Facts], exclude: set[str | None]) -> str:
    usable = [name for name, fact in facts.items() if name not in exclude]
    filled = [name for name in usable if facts[name].kind != "empty"]
    return (filled or usable or list(facts))[-1]


def _best(scores: dict[str, tuple[int, ...]]) -> str | None:
    """The name with the highest score (first on ties), if that score is positive."""
    best = max(scores, key=lambda name: scores[name], default=None)
    return best if best is not None and scores[best][0] > 0 else None


def _pick_id(df: pd.DataFrame, facts: dict[str, _Facts], exclude: set) -> str | None:
    """Entity id: name hints, values repeated over rows, contiguous blocks."""
    return _best(
        {
            name: _id_score(df[name], fact)
            for name, fact in facts.items()
            if name not in exclude
        }
    )


def _id_score(series: pd.Series, fact: _Facts) -> tuple[int]:
    repeated = 2 <= fact.cardinality <= fact.present / 2
    kinds = ("integer", "whole_float", "text", "number_text")
    if (
        fact.kind not in kinds
        or not repeated
        or _NOT_ID_HINTS.intersection(fact.tokens)
    ):
        return (0,)
    values = series.to_numpy()
    changes = int(np.count_nonzero(values[1:] != values[:-1]))
    words = set(fact.tokens)
    hints = 2 * ("id" in words) + 2 * bool(words & (_ID_HINTS - {"id"}))
    return (hints + (changes + 1 == fact.cardinality),)


def _pick_time(
    df: pd.DataFrame, facts: dict[str, _Facts], id_column: str | None, exclude: set
) -> str | None:
    """The column that best orders each entity's rows (see :func:`_time_score`)."""
    ids = None if id_column is None else df[id_column]
    return _best(
        {
            name: (*_time_score(df[name], fact, ids), fact.cardinality)
            for name, fact in facts.items()
            if name not in exclude
        }
    )


def _time_score(
    series: pd.Series, fact: _Facts, ids: pd.Series | None
) -> tuple[int, int, int]:
    """(tier, is a date, increases): unique within entities beats repeating.

    Tier 4: a date or time-named column every entity sees each value of once
    (it orders the rows); tier 3: a row counter, an integer column without a
    time name that strictly increases within every entity (``No`` in the
    Beijing files); tier 2: values repeat within an entity (``day`` of month
    beside ``hour``); tier 1: a date fixed per entity (an install date), an
    attribute rather than a clock.
    """
    hinted = bool(_TIME_HINTS.intersection(fact.tokens))
    is_date = fact.kind in ("datetime", "date_text")
    numeric = fact.kind in ("integer", "whole_float", "float")
    if fact.kind in ("integer", "whole_float") and not hinted:
        counter = fact.cardinality > 2 and _strictly_increases(series, ids)
        return (3, 0, 1) if counter else (0, 0, 0)
    if not (is_date or (numeric and hinted)):
        return (0, 0, 0)
    if is_date and not _varies_within(series, ids):
        return (1, 1, 0)
    unique = repeated_within(series, ids) == 0
    increases = _increases(series, ids)
    if numeric and not (unique or increases):
        return (0, 0, 0)
    return (4 if unique else 2, int(is_date), int(increases))


def _strictly_increases(series: pd.Series, ids: pd.Series | None) -> bool:
    """Whether every step within every entity goes up (so values are unique too)."""
    values = pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if values.isna().any():
        return False
    steps = values.diff() if ids is None else values.groupby(ids.to_numpy()).diff()
    steps = steps.dropna()
    return len(steps) > 0 and bool((steps > 0).all())


def repeated_within(series: pd.Series, ids: pd.Series | None) -> int:
    """Rows whose value already occurred earlier for the same entity."""
    if ids is None:
        return int(series.duplicated().sum())
    pairs = pd.DataFrame({"id": ids.to_numpy(), "value": series.to_numpy()})
    return int(pairs.duplicated().sum())


def _varies_within(series: pd.Series, ids: pd.Series | None) -> bool:
    """Whether most entities see more than one distinct value."""
    if ids is None:
        return series.nunique() > 1
    return bool(series.groupby(ids.to_numpy()).nunique().gt(1).mean() >= 0.5)


def _increases(series: pd.Series, ids: pd.Series | None) -> bool:
    """Whether values mostly increase from row to row within each entity."""
    if pd.api.types.is_datetime64_any_dtype(series):
        series = series.astype("int64").where(series.notna())
    elif not pd.api.types.is_numeric_dtype(series):
        return False
    values = pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan))
    steps = values.diff() if ids is None else values.groupby(ids.to_numpy()).diff()
    steps = steps.dropna()
    return len(steps) > 0 and (steps >= 0).mean() >= 0.95 and (steps > 0).any()


def _time_notes(
    df: pd.DataFrame,
    time_column: str | None,
    id_column: str | None,
    date_parts: tuple[str, ...],
) -> list[str]:
    """Warn about a time column that repeats; offer to build one from date parts."""
    notes = []
    if time_column is not None:
        ids = None if id_column is None else df[id_column]
        repeated = repeated_within(df[time_column], ids)
        if repeated:
            within = "within an entity" if id_column else "in the table"
            notes.append(
                f"time column {time_column!r} repeats {within} ({repeated:,} rows "
                "repeat a value already seen), so it cannot order the rows on its "
                "own; choose a column that is unique per entity"
                + (" or build a timestamp from the date parts" if date_parts else "")
            )
    if date_parts:
        notes.append(
            f"columns {', '.join(date_parts)} are parts of a date: build one "
            "timestamp column from them on the data page to order the rows"
        )
    return notes


def _unbuilt_date_parts(df: pd.DataFrame) -> tuple[str, ...]:
    """Date-part columns, unless the table already holds the timestamp they make.

    Once :func:`core.data.repairs.add_timestamp` has built the column there is
    nothing left to offer, so the hint and its button go away.
    """
    parts = date_part_columns(df)
    if not parts:
        return ()
    dates = [
        name for name in df.columns if pd.api.types.is_datetime64_any_dtype(df[name])
    ]
    if not dates:
        return parts
    try:
        stamps = timestamp_from_parts(df, parts).to_numpy()
    except DataValidationError:
        return parts
    for name in dates:
        values = df[name]
        if getattr(values.dtype, "tz", None) is None and np.array_equal(
            values.to_numpy(dtype="datetime64[ns]"), stamps.astype("datetime64[ns]")
        ):
            return ()
    return parts


def _duplicate_timestamp_notes(
    df: pd.DataFrame, facts: dict[str, _Facts], id_column: str | None
) -> list[str]:
    """Flag a clock column that shows the same time twice for one entity.

    An hour repeated when clocks go back (daylight saving) makes the order of
    those rows ambiguous; the rows may also be true duplicates.
    """
    ids = None if id_column is None else df[id_column]
    notes = []
    for name, fact in facts.items():
        if fact.kind not in ("datetime", "date_text") or name == id_column:
            continue
        series = df[name]
        if not _varies_within(series, ids):
            continue
        keys = pd.DataFrame(
            {"id": 0 if ids is None else ids.to_numpy(), "value": series.to_numpy()}
        ).dropna()
        repeats = keys[keys.duplicated()]
        if repeats.empty:
            continue
        first = repeats.iloc[0]
        where = "" if ids is None else f"{first['id']!r} at "
        notes.append(
            f"column {name!r} has {len(repeats):,} duplicate timestamps within an "
            f"entity (first: {where}{first['value']}), as a daylight-saving change "
            "repeats an hour when clocks go back; the order of those rows is "
            "ambiguous: keep one row per time, or convert the times to UTC"
        )
    return notes


def _suggest_task(target: pd.Series, notes: list[str]) -> str:
    present = target.dropna()
    if present.empty:
        notes.append(f"target {target.name!r} has no values; task left at 'binary'")
        return "binary"
    if present.nunique() < 2:
        notes.append(f"target {target.name!r} has a single value; nothing to learn")
    if len(present) < len(target):
        share = percent_text(1 - len(present) / len(target))
        notes.append(f"target {target.name!r} is missing in {share} of rows")
    return infer_task(target)


def percent_text(fraction: float) -> str:
    """A share as the data page's table shows it: two decimals, never a false 0.

    >>> percent_text(0.0034), percent_text(0.00001), percent_text(0.0)
    ('0.34 %', '< 0.01 %', '0 %')
    """
    if fraction <= 0:
        return "0 %"
    if fraction < 0.0001:
        return "< 0.01 %"
    return f"{100 * fraction:.2f} %"


def _feature_role(fact: _Facts, rows: int) -> FeatureRole:
    """Categorical for text, flags and codes; numeric for amounts; else ignored.

    An integer column is a category when its name says code (``machine_type``,
    ``hour``) or when it has few values spread like codes; ordered integers
    with many values (weeks worked, years of education) are amounts. A column
    with one value in the whole table carries nothing and is never selected.
    """
    if fact.kind != "empty" and fact.cardinality <= 1:
        return "ignored"
    id_like = bool(fact.tokens) and fact.tokens[-1] in _CATEGORY_SUFFIXES
    few = fact.cardinality <= MAX_LOW_CARDINALITY and fact.cardinality < (
        LOW_CARDINALITY_SHARE * rows
    )
    calendar = bool(_CALENDAR_CODES.intersection(fact.tokens))
    code = id_like or (few and (calendar or fact.sparse))
    if fact.kind in ("bool", "text") or (fact.kind == "integer" and code):
        return "categorical"
    if fact.kind == "whole_float" and id_like:
        return "categorical"  # an integer id read as float because of gaps
    if fact.kind in ("integer", "whole_float", "float", "number_text"):
        return "numeric"
    if fact.kind == "mostly_number_text":
        return "numeric"
    return "ignored"


def _role_notes(
    facts: dict[str, _Facts],
    roles: dict[str, str],
    id_column: str | None,
    time_column: str | None,
) -> list[str]:
    notes = []
    if id_column is None:
        notes.append("no entity id column found; the whole table is one sequence")
    if time_column is None:
        notes.append("no time column found; rows keep their file order")
    for name, fact in facts.items():
        role = roles[name]
        if (
            role == "categorical"
            and fact.present > 1
            and fact.cardinality == fact.present
        ):
            notes.append(
                f"column {name!r} looks like an identifier: all {fact.cardinality} "
                "values are unique, so an embedding cannot generalise; drop it or "
                "cap it with max_categories"
            )
        elif role == "ignored":
            if fact.kind == "empty":
                why = "has no values"
            elif fact.cardinality <= 1:
                why = "has one value in the whole table, so it tells rows nothing"
            else:
                why = "holds dates but is not the time column"
            notes.append(f"column {name!r} {why}; not suggested as a feature")
        elif role == "numeric" and fact.kind == "number_text":
            notes.append(
                f"column {name!r} holds numbers stored as text; they will be converted"
            )
        elif role == "numeric" and fact.kind == "mostly_number_text":
            shown = ", ".join(
                f"{value!r} ({rows} row(s))" for value, rows in fact.unparsed.items()
            )
            notes.append(
                f"column {name!r} is numeric except for values that do not parse: "
                f"{shown}; read them as missing on the data page, or fix the file"
            )
    return notes


def _profile(
    series: pd.Series, fact: _Facts, role: str, feature_role: FeatureRole
) -> ColumnProfile:
    examples = pd.unique(series.dropna().head(1000))[:3]
    return ColumnProfile(
        name=str(series.name),
        dtype=str(series.dtype),
        role=role,
        missing_fraction=1 - fact.present / len(series) if len(series) else 0.0,
        cardinality=fact.cardinality,
        example_values=tuple(str(value) for value in examples),
        feature_role=feature_role,
        unparsed_values=dict(fact.unparsed),
    )
