"""A tuner's search space: named parameters over the experiment config's fields.

A :class:`SearchSpace` is plain data (JSON in and out, shown and edited on the
Tune page, given to ``python -m core tune --space FILE``). Each
:class:`Parameter` names a config field as ``"section.field"`` (for example
``"model.dropout"`` or ``"train.learning_rate"``), or the embedding width of a
categorical column as ``"embedding.<column>"``. :meth:`SearchSpace.apply` turns
one trial's values into an :class:`~core.config.ExperimentConfig`, checked like
any other, so a space cannot produce a config the Configure page could not.

Examples
--------
>>> from core.config import DataConfig, ExperimentConfig
>>> base = ExperimentConfig(DataConfig(target_column="y", numeric_columns=("x",)))
>>> space = SearchSpace((
...     Parameter("model.lstm_units", "categorical", choices=("32", "64,32")),
...     Parameter("train.learning_rate", "float", low=1e-4, high=1e-2, log=True),
... ))
>>> config = space.apply(base, {"model.lstm_units": "64,32",
...                             "train.learning_rate": 0.003})
>>> config.model.lstm_units, config.train.learning_rate
((64, 32), 0.003)
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Literal

from core.config import (
    CELLS,
    SUMMARIES,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)
from core.errors import ConfigError

Kind = Literal["int", "float", "categorical"]
KINDS: tuple[str, ...] = ("int", "float", "categorical")
EMBEDDING_PREFIX = "embedding."
SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "split": SplitConfig,
    "model": ModelConfig,
    "train": TrainConfig,
}
#: Fields no search may change: they define the question, not the model.
FIXED_FIELDS = {
    "data.target_column",
    "data.id_column",
    "data.time_column",
    "data.categorical_columns",
    "data.numeric_columns",
    "data.task",
    "data.derive_target",
    "data.target_as_input",
    "data.horizon",
    "data.framing",
    "model.encoding",
    "split.method",
    "split.validation_fraction",
    "split.test_fraction",
    "split.seed",
    "train.seed",
    "train.epochs",
}


@dataclass(frozen=True)
class Parameter:
    """One searched setting.

    Parameters
    ----------
    name : str
        ``"section.field"`` of the config, or ``"embedding.<column>"``.
    kind : {"int", "float", "categorical"}
        How values are drawn.
    low, high : float or None
        Bounds (inclusive) of ``int`` and ``float`` parameters.
    log : bool
        Draw on a log scale (learning rates).
    step : int or None
        ``int`` only: the step between values.
    choices : tuple
        ``categorical`` only: the values (numbers, text, true/false). A tuple
        field such as ``model.lstm_units`` takes text like ``"64,32"``.
    """

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: int | None = None
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(self.choices))
        where = f"space.{self.name}"
        if self.kind not in KINDS:
            raise ConfigError(
                where, f"expected a kind among {KINDS}, received {self.kind!r}"
            )
        if self.kind == "categorical":
            if not self.choices:
                raise ConfigError(where, "expected at least one choice, received none")
            return
        if self.low is None or self.high is None or not self.low <= self.high:
            raise ConfigError(
                where,
                f"expected numbers low <= high, received {self.low!r}, {self.high!r}",
            )
        if self.log and self.low <= 0:
            raise ConfigError(
                where, f"expected low > 0 on a log scale, received {self.low!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON object, without the fields the kind does not use."""
        if self.kind == "categorical":
            return {"name": self.name, "kind": self.kind, "choices": list(self.choices)}
        payload: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "log": self.log,
        }
        if self.step is not None:
            payload["step"] = self.step
        return payload


@dataclass(frozen=True)
class SearchSpace:
    """The parameters a study searches, in order."""

    parameters: tuple[Parameter, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        names = [parameter.name for parameter in self.parameters]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ConfigError(
                "space", f"expected each parameter once, received {repeated} twice"
            )

    def to_list(self) -> list[dict[str, Any]]:
        """The space as a JSON list."""
        return [parameter.to_dict() for parameter in self.parameters]

    @classmethod
    def from_list(cls, payload: Any) -> SearchSpace:
        """Read :meth:`to_list`'s output (from a file or the Tune page).

        Raises
        ------
        ConfigError
            If an entry is not an object with a known name and valid bounds.
        """
        if not isinstance(payload, list):
            raise ConfigError(
                "space",
                "expected a JSON list of parameters, received "
                f"{type(payload).__name__}",
            )
        parameters = []
        for item in payload:
            if not isinstance(item, dict) or "name" not in item or "kind" not in item:
                raise ConfigError(
                    "space",
                    f"expected objects with 'name' and 'kind', received {item!r}",
                )
            known = {field.name for field in dataclasses.fields(Parameter)}
            unknown = sorted(set(item) - known)
            if unknown:
                raise ConfigError(
                    f"space.{item['name']}",
                    f"expected keys among {sorted(known)}, received {unknown}",
                )
            parameters.append(Parameter(**item))
        return cls(tuple(parameters))

    def check(self, base: ExperimentConfig) -> None:
        """Refuse names that are not searchable fields of ``base``.

        Raises
        ------
        ConfigError
            Naming the parameter, with what it expected.
        """
        for parameter in self.parameters:
            _check_name(parameter.name, base)

    def apply(self, base: ExperimentConfig, values: dict[str, Any]) -> ExperimentConfig:
        """``base`` with one trial's values written into their fields.

        Raises
        ------
        ConfigError
            If a name is not a searchable field or the result is invalid.
        """
        payload = base.to_dict()
        for name, value in values.items():
            _check_name(name, base)
            if name.startswith(EMBEDDING_PREFIX):
                column = name[len(EMBEDDING_PREFIX) :]
                for spec in payload["data"]["categorical_columns"]:
                    if spec["name"] == column:
                        spec["embedding_dim"] = int(value)
                continue
            section, field_name = name.split(".", 1)
            payload[section][field_name] = _field_value(section, field_name, value)
        return ExperimentConfig.from_dict(payload)

    def values_of(self, base: ExperimentConfig) -> dict[str, Any]:
        """``base``'s own values of the parameters, where the space holds them.

        A study starts from these (trial 0), so its best trial is never worse
        on validation than the configuration the user began with. A parameter
        whose base value lies outside its range, off its step or among none of
        its choices is left out: the sampler draws that one.
        """
        values: dict[str, Any] = {}
        for parameter in self.parameters:
            if parameter.kind == "categorical":
                choice = _matching_choice(self, parameter, base)
                if choice is not _NO_VALUE:
                    values[parameter.name] = choice
                continue
            value = _current_value(parameter.name, base)
            if _inside(parameter, value):
                values[parameter.name] = (
                    int(value) if parameter.kind == "int" else float(value)
                )
        return values


#: Marks "no choice of the parameter gives the base value" (None is a choice).
_NO_VALUE = object()


def _matching_choice(
    space: SearchSpace, parameter: Parameter, base: ExperimentConfig
) -> Any:
    """The first choice that leaves ``base`` as it is, else ``_NO_VALUE``."""
    expected = base.to_dict()
    for choice in parameter.choices:
        try:
            tried = space.apply(base, {parameter.name: choice})
        except ConfigError:
            continue  # a choice this base refuses cannot be its own value
        if tried.to_dict() == expected:
            return choice
    return _NO_VALUE


def _current_value(name: str, base: ExperimentConfig) -> Any:
    """The value a numeric parameter reads in ``base`` (None where it has none)."""
    if name.startswith(EMBEDDING_PREFIX):
        column = name[len(EMBEDDING_PREFIX) :]
        for spec in base.data.categorical_columns:
            if spec.name == column:
                return spec.embedding_dim
        return None
    section, field_name = name.split(".", 1)
    return getattr(getattr(base, section), field_name)


def _inside(parameter: Parameter, value: Any) -> bool:
    """Whether an int/float parameter can draw ``value`` itself."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if not parameter.low <= value <= parameter.high:
        return False
    if parameter.kind == "float":
        return True
    step = 1 if parameter.log else parameter.step or 1
    return float(value).is_integer() and (value - parameter.low) % step == 0


def _check_name(name: str, base: ExperimentConfig) -> None:
    where = f"space.{name}"
    if name.startswith(EMBEDDING_PREFIX):
        column = name[len(EMBEDDING_PREFIX) :]
        if column not in base.data.categorical_names:
            raise ConfigError(
                where,
                f"expected a categorical column among "
                f"{list(base.data.categorical_names)}, received {column!r}",
            )
        return
    section, _, field_name = name.partition(".")
    cls = SECTIONS.get(section)
    fields = {field.name for field in dataclasses.fields(cls)} if cls else set()
    if field_name not in fields:
        raise ConfigError(
            where,
            "expected 'section.field' of the config (data, split, model, train) "
            f"or 'embedding.<column>', received {name!r}",
        )
    if name in FIXED_FIELDS:
        raise ConfigError(
            where, f"expected a setting of the model or its training, received {name!r}"
        )


def _field_value(section: str, field_name: str, value: Any) -> Any:
    """A drawn value in the field's own type ("64,32" for a tuple of ints)."""
    hint = typing.get_type_hints(SECTIONS[section])[field_name]
    if typing.get_origin(hint) is tuple and isinstance(value, str):
        return [int(part) for part in value.split(",") if part.strip()]
    if typing.get_origin(hint) is tuple and isinstance(value, int | float):
        return [int(value)]
    return value


def default_space(base: ExperimentConfig) -> SearchSpace:
    """A sensible first space around ``base``: what most often matters.

    Units and layers, the cell, dropout, the sequence summary, layer
    normalisation, learning rate, batch size, the window (window framing) and
    every categorical column's embedding width (from half to twice its size).
    """
    parameters = [
        Parameter(
            "model.lstm_units",
            "categorical",
            choices=("32", "64", "128", "64,32", "128,64"),
        ),
        Parameter("model.cell", "categorical", choices=CELLS),
        Parameter("model.dropout", "float", low=0.0, high=0.5),
        Parameter("model.summary", "categorical", choices=SUMMARIES),
        Parameter("model.layer_norm", "categorical", choices=(False, True)),
        Parameter("train.learning_rate", "float", low=3e-4, high=1e-2, log=True),
        Parameter("train.batch_size", "categorical", choices=(32, 64, 128)),
    ]
    data = base.data
    if data.framing == "window":
        low, step = max(2, data.window // 2), max(1, data.window // 4)
        # Optuna wants high - low to be a multiple of the step.
        high = low + step * max(1, (data.window * 2 - low) // step)
        parameters.append(
            Parameter("data.window", "int", low=low, high=high, step=step)
        )
    for spec in data.categorical_columns:
        size = spec.embedding_dim or 8
        parameters.append(
            Parameter(
                f"{EMBEDDING_PREFIX}{spec.name}",
                "int",
                low=max(1, size // 2),
                high=max(2, size * 2),
            )
        )
    return SearchSpace(tuple(parameters))
