"""The experiment config a command's flags describe, over a config file and the data.

Flags win over ``--config``, which wins over a bundled data set's registry
entry, which wins over the schema's suggestions from the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from core.cli.config_flags import apply_config_flags, flag_dest, given_flag
from core.config import ColumnSpec, ExperimentConfig
from core.data.bundled import list_bundled
from core.data.expression_syntax import expression_columns, parse_syntax
from core.data.schema import SchemaSuggestion, infer_schema, infer_task
from core.errors import ConfigError


def parse_categorical(text: str | None) -> tuple[ColumnSpec, ...] | None:
    """``"a:4,b,c:8"`` to column specs (``b`` gets the default width).

    Raises
    ------
    ConfigError
        When a width is not a whole number.
    """
    if text is None:
        return None
    specs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, dim = item.partition(":")
        if dim and not dim.isdigit():
            raise ConfigError(
                "--categorical", f"expected COLUMN[:DIM], received {item!r}"
            )
        specs.append(ColumnSpec(name, int(dim) if dim else None))
    return tuple(specs)


def _split_list(text: str | None) -> tuple[str, ...] | None:
    """``"a, b,,c"`` to ``("a", "b", "c")``; None stays None."""
    if text is None:
        return None
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def build_config(args: argparse.Namespace, df: pd.DataFrame) -> ExperimentConfig:
    """Config from ``--config`` (if any), schema suggestions and explicit flags.

    Raises
    ------
    ConfigError
        When no target is known, or a flag or the resulting config is invalid.
    """
    base = (
        ExperimentConfig.from_json(Path(args.config).read_text(encoding="utf-8"))
        if args.config
        else _bundled_base(args)
    )
    data = base.to_dict()["data"] if base else {}
    suggestion = _LazySuggestion(df)
    derive = _derive_target(args, data)
    data["target_column"] = (
        args.target
        or data.get("target_column")
        or (DERIVED_TARGET_NAME if derive else None)
    )
    if not data["target_column"]:
        raise ConfigError("--target", "expected a target column, received none")
    data["id_column"] = _choose(args.id, data, "id_column", suggestion, "id_column")
    data["time_column"] = _choose(
        args.time, data, "time_column", suggestion, "time_column"
    )
    roles = {data["target_column"], data["id_column"], data["time_column"]}
    # The columns a derived target reads would give the label away as features.
    roles |= set(expression_columns(parse_syntax(derive))) if derive else set()
    data["categorical_columns"] = _categorical_columns(args, data, suggestion, roles)
    data["numeric_columns"] = _numeric_columns(args, data, suggestion, roles)
    data["task"] = _task(args, base, data, df)
    _apply_framing(args, data)
    return _assemble(args, base, data)


#: The target's name when ``--derive-target`` comes without ``--target``.
DERIVED_TARGET_NAME = "target"


def _derive_target(args: argparse.Namespace, data: dict[str, Any]) -> str | None:
    """``--derive-target`` (``none`` switches a config file's off), else the file's."""
    if getattr(args, flag_dest("data", "derive_target"), None) is not None:
        return given_flag(args, "data", "derive_target")
    return data.get("derive_target")


class _LazySuggestion:
    """Schema suggestions, inferred on first use (all roles given: never)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._suggestion: SchemaSuggestion | None = None

    def get(self, role: str) -> Any:
        """The suggested value of one role (a column name or a tuple of them)."""
        if self._suggestion is None:
            self._suggestion = infer_schema(self.df)
        return getattr(self._suggestion, role)


def _bundled_base(args: argparse.Namespace) -> ExperimentConfig | None:
    """The registry's roles and framing when ``--data`` names a bundled set.

    Not when ``--target`` asks for another target, nor when
    ``--derive-target`` derives one: its framing (an event horizon, say)
    belongs to the registry's target.
    """
    if Path(args.data).is_file() or given_flag(args, "data", "derive_target"):
        return None
    for item in list_bundled():
        if item.name == args.data and args.target in (None, item.target_column):
            return ExperimentConfig(data=item.data_config())
    return None


def _choose(
    flag: str | None, data: dict, key: str, suggestion: _LazySuggestion, role: str
) -> Any:
    """The flag (an empty one means none), else the base config's, else suggested."""
    if flag is not None:
        return flag or None
    return data[key] if key in data else suggestion.get(role)


def _categorical_columns(
    args: argparse.Namespace,
    data: dict[str, Any],
    suggestion: _LazySuggestion,
    roles: set[str | None],
) -> tuple[ColumnSpec, ...]:
    """``--categorical`` as given, else the base config's or suggested, less roles."""
    categorical = parse_categorical(args.categorical)
    if categorical is not None:
        return categorical
    # A config's explicit list wins, an empty one included: [] means none.
    configured = data.get("categorical_columns")
    categorical = (
        tuple(
            ColumnSpec(spec["name"], spec.get("embedding_dim")) for spec in configured
        )
        if configured is not None
        else tuple(ColumnSpec(name) for name in suggestion.get("categorical_columns"))
    )
    return tuple(spec for spec in categorical if spec.name not in roles)


def _numeric_columns(
    args: argparse.Namespace,
    data: dict[str, Any],
    suggestion: _LazySuggestion,
    roles: set[str | None],
) -> tuple[str, ...]:
    """``--numeric`` as given, else the base config's or suggested, less roles."""
    numeric = _split_list(args.numeric)
    if numeric is not None:
        return numeric
    configured = data.get("numeric_columns")
    if configured is None:
        configured = suggestion.get("numeric_columns")
    return tuple(column for column in configured if column not in roles)


def _task(
    args: argparse.Namespace,
    base: ExperimentConfig | None,
    data: dict[str, Any],
    df: pd.DataFrame,
) -> str:
    """``--task``, else the base config's, else inferred from the target column.

    A derived target is binary unless ``--task`` says otherwise (which the
    config then refuses, naming ``data.derive_target``).
    """
    if args.task == "auto" and _derive_target(args, data):
        return "binary"
    task = args.task if args.task != "auto" else data.get("task")
    if task and not (args.task == "auto" and not base):
        return task
    if data["target_column"] not in df.columns:
        raise ConfigError(
            "--target",
            f"expected a column of the data, received {data['target_column']!r}",
        )
    return infer_task(df[data["target_column"]])


def _apply_framing(args: argparse.Namespace, data: dict[str, Any]) -> None:
    """``--window`` switches to window framing with that width."""
    if args.window is not None:
        data["framing"] = "window"
        data["window"] = args.window


def _assemble(
    args: argparse.Namespace, base: ExperimentConfig | None, data: dict[str, Any]
) -> ExperimentConfig:
    """The whole config: the base's sections, ``data`` and the generated flags."""
    payload = base.to_dict() if base else {}
    payload["data"] = {
        **data,
        "categorical_columns": [
            {"name": spec.name, "embedding_dim": spec.embedding_dim}
            for spec in data["categorical_columns"]
        ],
        "numeric_columns": list(data["numeric_columns"]),
    }
    apply_config_flags(args, payload)
    return ExperimentConfig.from_dict(payload)


def run_encodings(
    args: argparse.Namespace, config: ExperimentConfig
) -> tuple[str, ...]:
    """The configured encoding, then the other one under ``--compare``."""
    encoding = config.model.encoding
    if not args.compare:
        return (encoding,)
    return (encoding, "onehot" if encoding == "embedding" else "embedding")
