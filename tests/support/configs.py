"""Tiny experiment configs for the tables of :mod:`tests.support.tables`."""

from __future__ import annotations

from collections.abc import Collection

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)

#: The forecasting tests' model: one four-unit LSTM, no dropout.
FORECAST_MODEL = ModelConfig(lstm_units=(4,), dense_units=0, dropout=0.0)
#: Steps ahead that :func:`forecast_config` predicts.
FORECAST_HORIZON = 2


def tiny_run_config(epochs: int = 2, seed: int = 0) -> ExperimentConfig:
    """A small binary experiment on ``make_long_table`` that trains in seconds."""
    return ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind", 3), ColumnSpec("shift", 2)),
            numeric_columns=("reading",),
            task="binary",
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=epochs, batch_size=8, patience=epochs, seed=seed),
    )


def small_sample_config() -> ExperimentConfig:
    """A one-epoch window configuration of the bundled sample (seconds to train)."""
    return ExperimentConfig(
        data=DataConfig(
            target_column="failure",
            id_column="machine_id",
            time_column="timestamp",
            categorical_columns=(ColumnSpec("machine_type", 3),),
            numeric_columns=("temperature",),
            framing="window",
            window=10,
            stride=10,
            horizon=10,
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=1, batch_size=128),
    )


def store_config() -> ExperimentConfig:
    """Default training settings over ``make_long_table``: what a stored run needs."""
    return ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind", 2),),
            numeric_columns=("reading",),
            task="binary",
        )
    )


def comparison_config(
    categorical: tuple[str, ...] = ("kind",),
    numeric: tuple[str, ...] = ("noise",),
    seed: int = 0,
) -> ExperimentConfig:
    """Six short epochs over ``category_only_table``."""
    return ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=tuple(ColumnSpec(name, 3) for name in categorical),
            numeric_columns=numeric,
            task="binary",
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=6, batch_size=16, patience=6, seed=seed),
    )


def forecast_data(**changes: object) -> DataConfig:
    """Windows of ``forecast_table`` with the target's past as an input."""
    values: dict[str, object] = {
        "target_column": "level",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind"),),
        "numeric_columns": ("driver",),
        "task": "regression",
        "framing": "window",
        "window": 5,
        "horizon": FORECAST_HORIZON,
        "target_as_input": True,
    }
    return DataConfig(**{**values, **changes})


def forecast_config(split: str = "entity", **changes: object) -> ExperimentConfig:
    """:func:`forecast_data` with a one-epoch tiny model."""
    return ExperimentConfig(
        data=forecast_data(**changes),
        split=SplitConfig(method=split, seed=0),
        model=FORECAST_MODEL,
        train=TrainConfig(epochs=1, batch_size=16),
    )


def small_window_config(frame_columns: Collection[str]) -> ExperimentConfig:
    """One epoch of windows over the bundled predictive-maintenance sample."""
    return ExperimentConfig(
        data=DataConfig(
            target_column="failure",
            id_column="machine_id",
            time_column="timestamp",
            categorical_columns=(ColumnSpec("machine_type", 3),),
            numeric_columns=tuple(
                c for c in ("temperature", "vibration") if c in frame_columns
            ),
            framing="window",
            window=10,
            stride=10,
            horizon=10,
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=1, batch_size=128),
    )


def level_regression_config(
    model: ModelConfig, train: TrainConfig, **split_changes: object
) -> ExperimentConfig:
    """Regression of ``make_long_table``'s ``level`` from ``kind`` and ``reading``.

    Split by entity with seed 0 unless ``split_changes`` say otherwise; the
    refit and bagging tests vary only the model and training settings.
    """
    return ExperimentConfig(
        data=DataConfig(
            target_column="level",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind", 3),),
            numeric_columns=("reading",),
            task="regression",
        ),
        split=SplitConfig(seed=0, **split_changes),
        model=model,
        train=train,
    )
