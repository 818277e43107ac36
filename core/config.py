"""The experiment configuration: one frozen, JSON-serialisable object from UI to core.

Every choice a user makes in the app or on the command line lands in an
:class:`ExperimentConfig`. It is checked on construction, so an invalid combination
fails early with a :class:`~core.errors.ConfigError` that names the field.

Examples
--------
>>> from core.config import ColumnSpec, DataConfig, ExperimentConfig
>>> data = DataConfig(
...     target_column="failure",
...     id_column="machine_id",
...     time_column="timestamp",
...     categorical_columns=(ColumnSpec("machine_type", 4),),
...     numeric_columns=("temperature",),
...     task="binary",
... )
>>> config = ExperimentConfig(data=data)
>>> ExperimentConfig.from_dict(config.to_dict()) == config
True
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar

from core.data.expression_syntax import expression_columns, parse_syntax
from core.errors import ConfigError

SCHEMA_VERSION = 1

Task = Literal["binary", "multiclass", "regression"]
Framing = Literal["sequence", "window"]
Reduction = Literal["last", "first", "max", "min", "mean"]
SplitMethod = Literal["entity", "time"]
Encoding = Literal["embedding", "onehot"]
Scaling = Literal["standard", "minmax", "none"]
LrSchedule = Literal["none", "plateau", "cosine"]
Cell = Literal["lstm", "gru"]
Summary = Literal["last", "attention", "mean_last"]
RegressionLoss = Literal["mse", "huber"]
ValidationWindows = Literal["all", "last"]
TimeUnit = Literal["auto", "seconds", "minutes", "hours", "days"]

TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
FRAMINGS: tuple[str, ...] = ("sequence", "window")
REDUCTIONS: tuple[str, ...] = ("last", "first", "max", "min", "mean")
SPLIT_METHODS: tuple[str, ...] = ("entity", "time")
ENCODINGS: tuple[str, ...] = ("embedding", "onehot")
SCALINGS: tuple[str, ...] = ("standard", "minmax", "none")
LR_SCHEDULES: tuple[str, ...] = ("none", "plateau", "cosine")
CELLS: tuple[str, ...] = ("lstm", "gru")
SUMMARIES: tuple[str, ...] = ("last", "attention", "mean_last")
REGRESSION_LOSSES: tuple[str, ...] = ("mse", "huber")
VALIDATION_WINDOWS: tuple[str, ...] = ("all", "last")
TIME_FEATURES: tuple[str, ...] = ("hour", "day_of_week", "month")
#: The most members (``ModelConfig.members``) one model may average.
MAX_MEMBERS = 16
TIME_UNITS: tuple[str, ...] = ("auto", "seconds", "minutes", "hours", "days")

_T = TypeVar("_T")

#: Fields added after schema version 1, with their defaults (see
#: :meth:`ExperimentConfig.identity_dict`).
LATER_FIELDS: dict[str, dict[str, Any]] = {
    "data": {
        "target_as_input": False,
        "smoothing_alpha": None,
        "entity_age": False,
        "entity_baseline": None,
        "season": None,
        "target_scaling": None,
        "target_change": False,
        "horizons": None,
        "known_future": [],
        "time_features": [],
        "time_deltas": False,
        "time_as_input": False,
        "time_unit": "auto",
        "horizon_time": None,
        "derive_target": None,
    },
    "split": {"validation_windows": "all"},
    "model": {
        "cell": "lstm",
        "conv_filters": 0,
        "conv_kernel_size": 3,
        "summary": "last",
        "layer_norm": False,
        "input_dropout": 0.0,
        "members": 1,
    },
    "train": {
        "lr_schedule": "none",
        "clipnorm": None,
        "regression_loss": "mse",
        "quantiles": None,
        "calibrate_intervals": False,
        "refit": False,
        "bagging": False,
    },
}


def _require(condition: bool, field_name: str, message: str) -> None:
    """Raise a ConfigError for ``field_name`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(field_name, message)


def _require_choice(value: str, choices: tuple[str, ...], field_name: str) -> None:
    _require(
        value in choices,
        field_name,
        f"expected one of {', '.join(choices)}, received {value!r}",
    )


def _require_int(value: Any, field_name: str, minimum: int) -> None:
    _require(
        isinstance(value, int) and not isinstance(value, bool) and value >= minimum,
        field_name,
        f"expected an integer >= {minimum}, received {value!r}",
    )


def _require_fraction(
    value: Any, field_name: str, *, low: float = 0.0, high: float = 1.0
) -> None:
    _require(
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and low <= value < high,
        field_name,
        f"expected a number in [{low}, {high}), received {value!r}",
    )


@dataclass(frozen=True)
class ColumnSpec:
    """A categorical column and its embedding size.

    Parameters
    ----------
    name : str
        Column name in the user's table.
    embedding_dim : int or None
        Embedding width; ``None`` means the documented default rule
        (:func:`core.features.embedding_sizes.default_embedding_dim`).
    """

    name: str
    embedding_dim: int | None = None

    def __post_init__(self) -> None:
        _require(
            isinstance(self.name, str) and self.name != "",
            "data.categorical_columns",
            f"expected a non-empty column name, received {self.name!r}",
        )
        if self.embedding_dim is not None:
            _require_int(self.embedding_dim, f"data.categorical_columns.{self.name}", 1)


@dataclass(frozen=True)
class DataConfig:
    """Which columns play which role and how entities become training examples.

    Parameters
    ----------
    target_column : str
        Column holding the label.
    id_column : str or None
        Entity identifier; ``None`` treats the whole table as one entity.
    time_column : str or None
        Ordering column (integers or date/time strings); ``None`` keeps file order.
    categorical_columns : tuple of ColumnSpec
        Columns encoded through a vocabulary and an embedding.
    numeric_columns : tuple of str
        Columns scaled with training statistics.
    task : {"binary", "multiclass", "regression"}
        Prediction task.
    framing : {"sequence", "window"}
        ``"sequence"``: one example per entity (the most recent ``max_length``
        steps), label reduced over the history by ``label_reduction``.
        ``"window"``: windows of ``window`` steps every ``stride`` steps, label at
        the window's last step, or ``horizon`` steps after it (binary: "event
        within the next ``horizon`` steps").
    max_length : int
        Longest sequence kept in ``"sequence"`` framing.
    label_reduction : {"last", "first", "max", "min", "mean"}
        How a sequence's label is taken from its target values.
    window, stride : int
        Window length and step in ``"window"`` framing.
    horizon : int or None
        ``"window"`` framing only: the label lies this many steps after the
        window's last step (regression, multiclass: the target at ``t + horizon``;
        binary: 1 when the positive class occurs in ``t+1 .. t+horizon``).
    min_category_count : int
        Categories seen fewer times in training map to the unknown index.
    max_categories : int or None
        Keep at most this many most frequent categories per column.
    numeric_scaling : {"standard", "minmax", "none"}
        Scaling fitted on the training split.
    missing_indicators : bool
        Add a 0/1 feature per numeric column that has missing values in training.
    normalize_by : str or None
        A categorical column whose values get their own numeric scaling statistics
        (for example an operating condition).
    target_cap : float or None
        Regression only: clip target values above this (the piece-wise linear
        remaining-useful-life target caps RUL at 125 or 130).
    target_as_input : bool
        Give the model the target's own past values (steps up to the window's
        end) as an input: scaled like a numeric column for regression, a
        categorical column with its own vocabulary and embedding otherwise.
        Needs ``"window"`` framing and a ``horizon``, so the label lies after
        every input step.
    smoothing_alpha : float or None
        Causal exponential smoothing of every numeric column per entity
        (``ewm(alpha, adjust=False)`` over past and present steps only); the
        smoothed values replace the raw ones. ``None`` disables.
    entity_age : bool
        Add a numeric feature: steps since the entity's first row in the table,
        scaled with training statistics.
    entity_baseline : int or None
        Subtract each entity's own starting level from its numeric columns:
        the mean of its first ``entity_baseline`` rows (of the rows so far,
        before it has that many), taken after scaling (so per operating
        condition with ``normalize_by``). The model then sees each entity's
        change since it started (an engine's wear, free of its manufacturing
        offset). Causal: a row uses only its entity's rows up to itself; a
        new file must hold each entity from its first row. ``None`` disables.
    season : int or None
        Steps in one season, for the seasonal naive baseline of a forecast (24
        for hourly rows with a daily cycle); ``None`` detects it from the time
        column's step (see :func:`core.examples.seasons.detect_season`).
    target_scaling : str or None
        Regression only: scale the target (and its past as input) per series,
        ``"entity"`` or a categorical column naming the series, with training
        statistics; see :mod:`core.features.series_scaling`. ``None``: one
        global scaling.
    target_change : bool
        Regression forecasts with the target's past as input: the model learns
        the change from each window's last target value (persistence's
        forecast) instead of the level, and its output is added back to that
        value, so an untrained model starts at persistence. A window whose
        last target is missing is centred on its series' (or the training)
        mean instead.
    horizons : int or None
        Regression forecasts: one model predicts every step ``1 .. horizons``
        after the window's end at once (``horizon``, when given, must equal it;
        unset, it is set to it, so the purge of a time split covers every
        step). ``None``: the single step ``horizon``.
    known_future : tuple of str
        Forecasts: feature columns known in advance (calendar parts, holidays,
        planned settings), fed for the predicted steps too: each gets a
        derived column ``<column>__ahead<h>`` holding its value ``h`` rows
        later (see :mod:`core.features.derived`). May name calendar features.
    time_features : tuple of str
        Calendar features derived from a date/time time column, each a
        categorical input: ``hour`` (of the day), ``day_of_week``, ``month``.
    time_deltas : bool
        Add two numeric inputs for irregular steps: ``<time>__since_previous``
        (time since the entity's previous row, 0 on its first) and
        ``<time>__since_first`` (time since the entity's first row in the
        table), in ``time_unit``, computed per entity from past and present
        rows only and scaled with training statistics.
    time_as_input : bool
        Give the model the time itself as a numeric input ``<time>__value``
        (in ``time_unit``, counted from the earliest training time, which the
        fitted preprocessing stores), scaled with training statistics. It
        reads no other row; under a time split the held-out rows lie later
        than their entity's training rows, so there the model extrapolates
        in this input.
    time_unit : {"auto", "seconds", "minutes", "hours", "days"}
        Unit of the time deltas, the time as input and ``horizon_time`` for a
        date/time column. ``"auto"``: read from the training rows' typical
        step (days for daily or coarser rows, hours for hourly, seconds
        otherwise; the run log says which). A numeric time column is used in
        its own units and needs ``"auto"``.
    horizon_time : float or None
        Binary targets in ``"window"`` framing: the label of a window ending
        at time ``t`` is 1 when the positive class occurs at a row of the
        entity with time in ``(t, t + horizon_time]`` ("event within 90
        days"), in ``time_unit``; 0 when the entity is observed up to at
        least ``t + horizon_time`` without one. A window whose entity's rows
        end before ``t + horizon_time`` without an event is censored: its
        label is unknown, so it is dropped from training and metrics (the
        run log and the pre-flight estimate count them). Excludes
        ``horizon`` and ``horizons`` (steps); a time split's purge covers it.
    derive_target : str or None
        Compute the binary target from other columns with an expression such
        as "status == 2 and load > 100" (1 where it holds, 0 where not,
        missing where a value it reads is missing), the same way at training
        and prediction. The result is the column ``target_column``. Grammar
        (:mod:`core.data.expression_syntax`): a column compared with a
        number, ``'text'``, ``true`` or ``false`` by ``== != < <= > >=``;
        ``in [...]`` and ``not in [...]``; ``and``, ``or``, ``not`` and
        parentheses; odd column names in backquotes. Never evaluated as
        Python. Needs task ``"binary"``; the columns it reads cannot be
        features. ``None``: the target is a column of the table.
    """

    target_column: str
    id_column: str | None = None
    time_column: str | None = None
    categorical_columns: tuple[ColumnSpec, ...] = ()
    numeric_columns: tuple[str, ...] = ()
    task: Task = "binary"
    framing: Framing = "sequence"
    max_length: int = 200
    label_reduction: Reduction = "last"
    window: int = 30
    stride: int = 1
    horizon: int | None = None
    min_category_count: int = 1
    max_categories: int | None = None
    numeric_scaling: Scaling = "standard"
    missing_indicators: bool = True
    normalize_by: str | None = None
    target_cap: float | None = None
    target_as_input: bool = False
    smoothing_alpha: float | None = None
    entity_age: bool = False
    entity_baseline: int | None = None
    season: int | None = None
    target_scaling: str | None = None
    target_change: bool = False
    horizons: int | None = None
    known_future: tuple[str, ...] = ()
    time_features: tuple[str, ...] = ()
    time_deltas: bool = False
    time_as_input: bool = False
    time_unit: TimeUnit = "auto"
    horizon_time: float | None = None
    derive_target: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "categorical_columns", tuple(self.categorical_columns))
        object.__setattr__(self, "numeric_columns", tuple(self.numeric_columns))
        object.__setattr__(self, "known_future", tuple(self.known_future))
        object.__setattr__(self, "time_features", tuple(self.time_features))
        _require_choice(self.task, TASKS, "data.task")
        _require_choice(self.framing, FRAMINGS, "data.framing")
        _require_choice(self.label_reduction, REDUCTIONS, "data.label_reduction")
        _require_choice(self.numeric_scaling, SCALINGS, "data.numeric_scaling")
        _require_int(self.max_length, "data.max_length", 1)
        _require_int(self.window, "data.window", 1)
        _require_int(self.stride, "data.stride", 1)
        _require_int(self.min_category_count, "data.min_category_count", 1)
        if self.max_categories is not None:
            _require_int(self.max_categories, "data.max_categories", 1)
        self._check_horizons()
        self._check_horizon()
        self._check_forecast_options()
        self._check_columns()
        self._check_season()
        self._check_entity_baseline()
        self._check_target_scaling()
        self._check_known_future()
        self._check_time_inputs()
        self._check_horizon_time()
        self._check_derive_target()
        if self.target_cap is not None:
            _require(
                self.task == "regression"
                and isinstance(self.target_cap, int | float)
                and not isinstance(self.target_cap, bool),
                "data.target_cap",
                f"expected a number with task 'regression', received "
                f"{self.target_cap!r} with task {self.task!r}",
            )

    def _check_horizon(self) -> None:
        if self.horizon is None:
            return
        _require_int(self.horizon, "data.horizon", 1)
        _require(
            self.framing == "window",
            "data.horizon",
            f"expected framing 'window' for a horizon, received {self.framing!r}",
        )

    def _check_horizons(self) -> None:
        if self.horizons is None:
            return
        _require_int(self.horizons, "data.horizons", 1)
        _require(
            self.framing == "window" and self.task == "regression",
            "data.horizons",
            "expected framing 'window' and task 'regression' for several horizons, "
            f"received framing {self.framing!r} with task {self.task!r}",
        )
        _require(
            self.horizon in (None, self.horizons),
            "data.horizons",
            f"expected horizon unset or equal to horizons {self.horizons} (the "
            f"farthest step predicted), received horizon {self.horizon!r}",
        )
        # The farthest step: labels, the time split's purge and the forecast
        # checks all read ``horizon``.
        object.__setattr__(self, "horizon", self.horizons)

    def _check_forecast_options(self) -> None:
        for name in ("target_as_input", "entity_age", "target_change"):
            value = getattr(self, name)
            _require(
                isinstance(value, bool),
                f"data.{name}",
                f"expected true or false, received {value!r}",
            )
        if self.target_as_input:
            _require(
                self.framing == "window"
                and (self.horizon is not None or self.horizon_time is not None),
                "data.target_as_input",
                "expected framing 'window' with a horizon >= 1 or a horizon_time "
                "(the label must lie after the target values given as input), "
                f"received framing {self.framing!r} with horizon {self.horizon!r}",
            )
        if self.target_change:
            _require(
                self.task == "regression" and self.target_as_input,
                "data.target_change",
                "expected task 'regression' with the target's past as input "
                "(target_as_input), so each window's last target is known when "
                f"predicting; received task {self.task!r} with target_as_input "
                f"{self.target_as_input!r}",
            )
        alpha = self.smoothing_alpha
        if alpha is not None:
            _require(
                isinstance(alpha, int | float)
                and not isinstance(alpha, bool)
                and 0 < alpha <= 1,
                "data.smoothing_alpha",
                f"expected a number in (0, 1] or none, received {alpha!r}",
            )

    def _check_season(self) -> None:
        if self.season is not None:
            _require_int(self.season, "data.season", 2)

    def _check_entity_baseline(self) -> None:
        if self.entity_baseline is not None:
            _require_int(self.entity_baseline, "data.entity_baseline", 1)
            _require(
                bool(self.numeric_columns),
                "data.entity_baseline",
                "expected numeric columns to take each entity's baseline from, "
                "received none",
            )

    def _check_target_scaling(self) -> None:
        if self.target_scaling is None:
            return
        choices = ["entity", *self.categorical_names]
        _require(
            self.target_scaling in choices,
            "data.target_scaling",
            f"expected one of {choices} or none, received {self.target_scaling!r}",
        )
        _require(
            self.task == "regression",
            "data.target_scaling",
            f"expected task 'regression' for per-series scaling, received "
            f"{self.task!r}",
        )

    def _check_known_future(self) -> None:
        for part in self.time_features:
            _require_choice(part, TIME_FEATURES, "data.time_features")
        _require(
            not self.time_features or self.time_column is not None,
            "data.time_features",
            "expected a time column to derive calendar features from, received none",
        )
        if not self.known_future:
            return
        _require(
            self.framing == "window" and self.horizon is not None,
            "data.known_future",
            "expected framing 'window' with a horizon (inputs known for the "
            f"predicted steps), received framing {self.framing!r} with horizon "
            f"{self.horizon!r}",
        )
        allowed = [*self.feature_columns, *self.time_features]
        unknown = [name for name in self.known_future if name not in allowed]
        _require(
            not unknown,
            "data.known_future",
            f"expected feature columns or calendar features among {allowed}, "
            f"received {unknown}",
        )

    def _check_time_inputs(self) -> None:
        _require_choice(self.time_unit, TIME_UNITS, "data.time_unit")
        for name in ("time_deltas", "time_as_input"):
            value = getattr(self, name)
            _require(
                isinstance(value, bool),
                f"data.{name}",
                f"expected true or false, received {value!r}",
            )
            _require(
                not value or self.time_column is not None,
                f"data.{name}",
                "expected a time column to derive time inputs from, received none",
            )

    def _check_horizon_time(self) -> None:
        value = self.horizon_time
        if value is None:
            return
        _require(
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0,
            "data.horizon_time",
            f"expected a number > 0 or none, received {value!r}",
        )
        object.__setattr__(self, "horizon_time", float(value))
        _require(
            self.horizon is None and self.horizons is None,
            "data.horizon_time",
            "expected data.horizon and data.horizons unset with a horizon in time "
            f"(steps or time, not both), received horizon {self.horizon!r} and "
            f"horizons {self.horizons!r}",
        )
        _require(
            self.framing == "window" and self.task == "binary",
            "data.horizon_time",
            "expected framing 'window' and task 'binary' (an event within a time), "
            f"received framing {self.framing!r} with task {self.task!r}",
        )
        _require(
            self.time_column is not None,
            "data.horizon_time",
            "expected a time column to measure the horizon in, received none",
        )

    def _check_derive_target(self) -> None:
        if self.derive_target is None:
            return
        # Parsed here, so a bad expression fails when the config is built.
        sources = expression_columns(parse_syntax(self.derive_target))
        _require(
            self.task == "binary",
            "data.derive_target",
            f"expected task 'binary' for a derived target (the expression gives "
            f"1 or 0), received task {self.task!r}",
        )
        _require(
            self.target_column not in sources,
            "data.derive_target",
            f"expected a target name other than the columns it is derived from, "
            f"received target {self.target_column!r} read by the expression",
        )
        leaked = [name for name in sources if name in self.feature_columns]
        if leaked:
            raise ConfigError(
                "data.derive_target",
                f"expected the columns the target is derived from outside the "
                f"features (they would give the label away), received "
                f"{leaked[0]!r} among the features",
            )

    def _check_columns(self) -> None:
        categorical = [spec.name for spec in self.categorical_columns]
        features = categorical + list(self.numeric_columns)
        _require(
            len(features) > 0,
            "data.numeric_columns",
            "expected at least one categorical or numeric feature column, "
            "received none",
        )
        duplicates = sorted({name for name in features if features.count(name) > 1})
        _require(
            not duplicates,
            "data.categorical_columns",
            f"expected each column in one role, received {duplicates} as both "
            "categorical and numeric (or twice)",
        )
        reserved = {self.target_column, self.id_column, self.time_column} - {None}
        clash = sorted(reserved.intersection(features))
        _require(
            not clash,
            "data.numeric_columns",
            f"expected id, time and target columns outside the features, "
            f"received {clash} as features",
        )
        if self.normalize_by is not None:
            _require(
                self.normalize_by in categorical,
                "data.normalize_by",
                f"expected one of the categorical columns {categorical}, "
                f"received {self.normalize_by!r}",
            )

    @property
    def categorical_names(self) -> tuple[str, ...]:
        """Names of the categorical columns, in configured order."""
        return tuple(spec.name for spec in self.categorical_columns)

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """Categorical then numeric column names."""
        return self.categorical_names + self.numeric_columns

    @property
    def sequence_width(self) -> int:
        """Number of time steps in one example."""
        return self.window if self.framing == "window" else self.max_length


@dataclass(frozen=True)
class SplitConfig:
    """How the data is divided into train, validation and test, before any fitting.

    Parameters
    ----------
    method : {"entity", "time"}
        ``"entity"``: whole entities go to one side. ``"time"``: the last part of
        every entity's timeline is held out.
    validation_fraction, test_fraction : float
        Shares of entities (or of each timeline) held out.
    seed : int
        Seed of the entity shuffle.
    validation_windows : {"all", "last"}
        Window framing: which validation windows steer early stopping.
        ``"last"`` keeps only each validation entity's last window, matching a
        test protocol that scores one last window per entity (C-MAPSS).
    """

    method: SplitMethod = "entity"
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 0
    validation_windows: ValidationWindows = "all"

    def __post_init__(self) -> None:
        _require_choice(self.method, SPLIT_METHODS, "split.method")
        _require_fraction(self.validation_fraction, "split.validation_fraction")
        _require_fraction(self.test_fraction, "split.test_fraction")
        _require(
            self.validation_fraction + self.test_fraction < 0.9,
            "split.test_fraction",
            "expected validation and test fractions to leave at least 10% for "
            f"training, received {self.validation_fraction} + {self.test_fraction}",
        )
        _require_int(self.seed, "split.seed", 0)
        _require_choice(
            self.validation_windows, VALIDATION_WINDOWS, "split.validation_windows"
        )


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the embedding + LSTM network.

    Parameters
    ----------
    encoding : {"embedding", "onehot"}
        ``"embedding"``: one trainable ``Embedding`` per categorical column.
        ``"onehot"``: the twin, a frozen identity embedding, so the LSTM sees
        exact one-hot vectors.
    lstm_units : tuple of int
        Units of each stacked recurrent layer.
    dropout : float
        ``Dropout`` after each recurrent layer (so between layers and before
        the head). It never touches the raw inputs: inside a recurrent layer
        Keras draws one input mask per sequence, which blanks whole input
        channels for a whole window (docs/model_diagnosis.md).
    recurrent_dropout : float
        Recurrent dropout; anything above 0 disables the cuDNN kernel on GPU.
    bidirectional : bool
        Wrap each recurrent layer in ``Bidirectional``.
    dense_units : int
        Width of the hidden layer of the head; 0 for none.
    category_dropout : float
        Share of real category values replaced by the unknown index during
        training, so the unknown vector is trained.
    cell : {"lstm", "gru"}
        The recurrent cell.
    conv_filters : int
        Filters of a causal ``Conv1D`` front end before the recurrent layers
        (each step sees itself and the ``conv_kernel_size - 1`` steps before
        it); 0 for none.
    conv_kernel_size : int
        Kernel width of that front end.
    summary : {"last", "attention", "mean_last"}
        How the last recurrent layer's sequence becomes one vector: its last
        state, attention pooling over the real steps, or the mean of the real
        steps next to the last state.
    layer_norm : bool
        ``LayerNormalization`` after each recurrent layer.
    input_dropout : float
        Dropout of the first recurrent layer's inputs (one mask per sequence:
        whole channels vanish for a window). Off unless asked for.
    members : int
        Independently initialised copies of the network after the embeddings
        (recurrent layers and head), trained side by side, each on its own
        loss; the model predicts their average. The embeddings are shared, so
        each column keeps one table. More members steady the result across
        seeds at about ``members`` times the training time; 1 is a plain
        network.
    """

    encoding: Encoding = "embedding"
    lstm_units: tuple[int, ...] = (64,)
    dropout: float = 0.1
    recurrent_dropout: float = 0.0
    bidirectional: bool = False
    dense_units: int = 32
    category_dropout: float = 0.02
    cell: Cell = "lstm"
    conv_filters: int = 0
    conv_kernel_size: int = 3
    summary: Summary = "last"
    layer_norm: bool = False
    input_dropout: float = 0.0
    members: int = 1

    def __post_init__(self) -> None:
        units = self.lstm_units
        # A single layer may be given as a bare number (``"lstm_units": 32`` in JSON).
        is_number = isinstance(units, int) and not isinstance(units, bool)
        _require(
            is_number or isinstance(units, list | tuple),
            "model.lstm_units",
            f"expected a list of layer sizes such as [64, 32], received {units!r}",
        )
        object.__setattr__(self, "lstm_units", (units,) if is_number else tuple(units))
        _require_choice(self.encoding, ENCODINGS, "model.encoding")
        _require(
            len(self.lstm_units) > 0,
            "model.lstm_units",
            "expected at least one LSTM layer, received none",
        )
        for units in self.lstm_units:
            _require_int(units, "model.lstm_units", 1)
        _require_fraction(self.dropout, "model.dropout")
        _require_fraction(self.recurrent_dropout, "model.recurrent_dropout")
        _require_int(self.dense_units, "model.dense_units", 0)
        _require_fraction(self.category_dropout, "model.category_dropout", high=0.5)
        self._check_architecture()

    def _check_architecture(self) -> None:
        _require_choice(self.cell, CELLS, "model.cell")
        _require_choice(self.summary, SUMMARIES, "model.summary")
        _require_int(self.conv_filters, "model.conv_filters", 0)
        _require_int(self.conv_kernel_size, "model.conv_kernel_size", 1)
        _require(
            isinstance(self.layer_norm, bool),
            "model.layer_norm",
            f"expected true or false, received {self.layer_norm!r}",
        )
        _require_fraction(self.input_dropout, "model.input_dropout")
        _require_int(self.members, "model.members", 1)
        _require(
            self.members <= MAX_MEMBERS,
            "model.members",
            f"expected at most {MAX_MEMBERS} members, received {self.members}",
        )


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Parameters
    ----------
    epochs : int
        Upper bound on epochs (early stopping may end sooner). The default stays
        20: the app's unedited flows and the recorded benchmarks train with it.
    batch_size : int
        Examples per batch.
    learning_rate : float
        Adam learning rate.
    patience : int
        Epochs without validation-loss improvement before stopping; the best
        weights are restored.
    seed : int
        Seed of weights, shuffling and category dropout.
    class_weight : {"balanced", "none"}
        ``"balanced"`` weights classes inversely to their training frequency.
    jit_compile : bool
        Compile the training step with XLA.
    lr_schedule : {"none", "plateau", "cosine"}
        ``"plateau"``: halve the learning rate after ``max(1, patience // 2)``
        epochs without validation-loss improvement (``ReduceLROnPlateau``).
        ``"cosine"``: cosine decay from ``learning_rate`` towards zero over the
        ``epochs`` budget (``keras.optimizers.schedules.CosineDecay``, per epoch).
    clipnorm : float or None
        Clip each weight's gradient to this norm (Adam's ``clipnorm``); ``None``
        disables.
    regression_loss : {"mse", "huber"}
        Regression only: mean squared error, or Huber loss (delta 1 on the
        scaled target), which gives large residuals a linear rather than a
        quadratic pull.
    quantiles : tuple of float or None
        Regression only: predict these quantiles (increasing, in (0, 1), such
        as 0.1,0.5,0.9) with the pinball loss instead of one value; ``None``
        predicts one value with ``regression_loss``.
    calibrate_intervals : bool
        Widen (or narrow) the outermost quantiles' interval by split-conformal
        calibration on the validation part, so its coverage matches its
        nominal level; needs at least two quantiles.
    refit : bool
        After early stopping, train a fresh model (same seed) on the training
        and validation examples together, for as many epochs as the best
        validation loss took and with that fit's learning rates; it becomes
        the saved model. The validation metrics stay those of the early-stopped
        model (the refit one has seen those examples). In-memory runs only.
    bagging : bool
        Bag the ensemble's members over folds of the training and validation
        entities together: member ``i`` trains on every fold but fold ``i``,
        early stopping watches the out-of-fold loss, and the validation
        metrics are out-of-fold (each validation example scored by the member
        that never trained on its entity). Every entity then trains most
        members, and no single validation split decides the model. Needs
        ``model.members`` of at least 2, an entity split, every validation
        window and no refit; in-memory runs only.
    """

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 5
    seed: int = 0
    class_weight: Literal["balanced", "none"] = "none"
    jit_compile: bool = False
    lr_schedule: LrSchedule = "none"
    clipnorm: float | None = None
    regression_loss: RegressionLoss = "mse"
    quantiles: tuple[float, ...] | None = None
    calibrate_intervals: bool = False
    refit: bool = False
    bagging: bool = False

    def __post_init__(self) -> None:
        _require_int(self.epochs, "train.epochs", 1)
        for name in ("refit", "bagging"):
            value = getattr(self, name)
            _require(
                isinstance(value, bool),
                f"train.{name}",
                f"expected true or false, received {value!r}",
            )
        _require_choice(self.lr_schedule, LR_SCHEDULES, "train.lr_schedule")
        _require_int(self.batch_size, "train.batch_size", 1)
        _require(
            isinstance(self.learning_rate, int | float) and 0 < self.learning_rate < 1,
            "train.learning_rate",
            f"expected a number in (0, 1), received {self.learning_rate!r}",
        )
        _require_int(self.patience, "train.patience", 0)
        _require_int(self.seed, "train.seed", 0)
        _require_choice(self.class_weight, ("balanced", "none"), "train.class_weight")
        _require_choice(
            self.regression_loss, REGRESSION_LOSSES, "train.regression_loss"
        )
        if self.clipnorm is not None:
            _require(
                isinstance(self.clipnorm, int | float)
                and not isinstance(self.clipnorm, bool)
                and self.clipnorm > 0,
                "train.clipnorm",
                f"expected a number > 0 or none, received {self.clipnorm!r}",
            )
        self._check_quantiles()

    def _check_quantiles(self) -> None:
        levels = self.quantiles
        _require(
            isinstance(self.calibrate_intervals, bool),
            "train.calibrate_intervals",
            f"expected true or false, received {self.calibrate_intervals!r}",
        )
        if levels is None:
            _require(
                not self.calibrate_intervals,
                "train.calibrate_intervals",
                "expected quantiles (an interval to calibrate), received none",
            )
            return
        _require(
            isinstance(levels, list | tuple)
            and len(levels) > 0
            and all(
                isinstance(q, int | float) and not isinstance(q, bool) and 0 < q < 1
                for q in levels
            )
            and all(a < b for a, b in zip(levels, levels[1:], strict=False)),
            "train.quantiles",
            f"expected increasing numbers in (0, 1) such as [0.1, 0.5, 0.9], "
            f"received {levels!r}",
        )
        object.__setattr__(self, "quantiles", tuple(float(q) for q in levels))
        _require(
            not self.calibrate_intervals or len(self.quantiles) >= 2,
            "train.calibrate_intervals",
            f"expected at least two quantiles (an interval), received "
            f"{list(self.quantiles)}",
        )


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything needed to reproduce one training run.

    Parameters
    ----------
    data, split, model, train
        The four sections; see their classes.
    schema_version : int
        Version of this layout, checked when a config is read back.
    """

    data: DataConfig
    split: SplitConfig = field(default_factory=SplitConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _require(
            self.schema_version == SCHEMA_VERSION,
            "schema_version",
            f"expected {SCHEMA_VERSION}, received {self.schema_version!r}",
        )
        if self.train.class_weight == "balanced":
            _require(
                self.data.task != "regression",
                "train.class_weight",
                "expected 'none' for a regression task, received 'balanced'",
            )
        _require(
            self.train.regression_loss == "mse" or self.data.task == "regression",
            "train.regression_loss",
            f"expected 'mse' (unused) for task {self.data.task!r}, received "
            f"{self.train.regression_loss!r}",
        )
        _require(
            self.train.quantiles is None or self.data.task == "regression",
            "train.quantiles",
            f"expected none for task {self.data.task!r} (quantiles need a "
            f"regression), received {list(self.train.quantiles or ())}",
        )
        if self.train.refit:
            self._check_refit()
        if self.train.bagging:
            self._check_bagging()

    def _check_refit(self) -> None:
        """A refit trains on every validation example, so it needs all of them,
        and none whose label looks into the test rows."""
        _require(
            self.split.validation_fraction > 0,
            "split.validation_fraction",
            "expected a validation part with train.refit (its best epoch sets "
            "the refit's length), received 0",
        )
        _require(
            self.split.validation_windows == "all",
            "split.validation_windows",
            "expected 'all' with train.refit (the refit trains on every "
            f"validation window), received {self.split.validation_windows!r}",
        )
        _require(
            not (self.split.method == "time" and self.split.test_fraction > 0),
            "train.refit",
            "expected false with a time split and a test part (validation labels "
            "may look into the test rows, which the refit would train on), "
            "received true",
        )

    def _check_bagging(self) -> None:
        """Bagging gives each member a fold of entities to leave out, out of
        every validation window, and is the refit's alternative, not its partner."""
        _require(
            self.model.members >= 2,
            "model.members",
            "expected at least 2 with train.bagging (each member leaves out its "
            f"own fold of entities), received {self.model.members}",
        )
        _require(
            not self.train.refit,
            "train.refit",
            "expected false with train.bagging (the bagged members already train "
            "on the validation entities), received true",
        )
        _require(
            self.split.method == "entity",
            "split.method",
            "expected 'entity' with train.bagging (its folds are sets of "
            f"entities), received {self.split.method!r}",
        )
        _require(
            self.split.validation_windows == "all",
            "split.validation_windows",
            "expected 'all' with train.bagging (the members train on every "
            f"validation window), received {self.split.validation_windows!r}",
        )

    def replace(self, **sections: Any) -> ExperimentConfig:
        """Return a copy with whole sections replaced (``model=...``)."""
        return dataclasses.replace(self, **sections)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dictionary of the config (lists instead of tuples)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def identity_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without later-added fields left at their defaults.

        Comparisons and sweeps hash this, so a field added with a default (and
        left at it) keeps the ids of existing comparisons, which can then still
        be resumed after an upgrade.
        """
        settings = self.to_dict()
        for section, defaults in LATER_FIELDS.items():
            for name, default in defaults.items():
                if settings[section].get(name, default) == default:
                    settings[section].pop(name, None)
        return settings

    def to_json(self) -> str:
        """Config as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ExperimentConfig:
        """Build a config from :meth:`to_dict` output; unknown keys are an error.

        Raises
        ------
        ConfigError
            If a key is unknown, a section is missing or a value is invalid.
        """
        _require(
            isinstance(payload, dict),
            "config",
            f"expected a JSON object, received {type(payload).__name__}",
        )
        _check_keys(cls, payload, "config")
        _require("data" in payload, "data", "expected a 'data' section, received none")
        data = dict(_section(payload, "data"))
        data["categorical_columns"] = tuple(
            _build(ColumnSpec, _as_spec(item), "data.categorical_columns")
            for item in data.get("categorical_columns", ())
        )
        return cls(
            data=_build(DataConfig, data, "data"),
            split=_build(SplitConfig, _section(payload, "split"), "split"),
            model=_build(ModelConfig, _section(payload, "model"), "model"),
            train=_build(TrainConfig, _section(payload, "train"), "train"),
            schema_version=payload.get("schema_version", SCHEMA_VERSION),
        )

    @classmethod
    def from_json(cls, text: str) -> ExperimentConfig:
        """Parse JSON text written by :meth:`to_json`."""
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(
                "config", f"expected valid JSON, received an error: {error}"
            ) from error
        return cls.from_dict(payload)


def _as_spec(item: Any) -> dict[str, Any]:
    """Accept ``"col"``, ``["col", dim]`` or ``{"name": ..., "embedding_dim": ...}``."""
    if isinstance(item, str):
        return {"name": item}
    if isinstance(item, list | tuple) and len(item) == 2:
        return {"name": item[0], "embedding_dim": item[1]}
    return item


def _section(payload: dict[str, Any], name: str) -> dict[str, Any]:
    section = payload.get(name, {})
    _require(
        isinstance(section, dict),
        name,
        f"expected a JSON object, received {type(section).__name__}",
    )
    return section


def _check_keys(cls: type, payload: dict[str, Any], where: str) -> None:
    known = {item.name for item in fields(cls)}
    unknown = sorted(set(payload) - known)
    _require(
        not unknown,
        where,
        f"expected keys among {sorted(known)}, received unknown {unknown}",
    )


def _build(cls: type[_T], payload: Any, where: str) -> _T:
    _require(
        isinstance(payload, dict),
        where,
        f"expected a JSON object, received {type(payload).__name__}",
    )
    _check_keys(cls, payload, where)
    values = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in payload.items()
    }
    try:
        return cls(**values)
    except TypeError as error:
        raise ConfigError(
            where, f"expected valid settings, received {error}"
        ) from error
