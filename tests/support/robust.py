"""Tiny tables and a one-epoch config for the robustness tests (bad input, faults)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)

CSV_HEADER = "entity,step,kind,shift,reading,label"


def tiny_table(entities: int = 8, length: int = 5, seed: int = 0) -> pd.DataFrame:
    """Long table: int ``entity``/``step``, text ``kind``, int ``shift``, float
    ``reading``, binary ``label`` alternating by entity."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "entity": entity,
            "step": step,
            "kind": "abc"[(entity + step) % 3],
            "shift": (entity * step) % 3,
            "reading": float(rng.normal()),
            "label": entity % 2,
        }
        for entity in range(entities)
        for step in range(length)
    ]
    return pd.DataFrame(rows)


def tiny_csv(**kwargs) -> bytes:
    """:func:`tiny_table` as CSV bytes."""
    return tiny_table(**kwargs).to_csv(index=False).encode("utf-8")


def tiny_config(**data: object) -> ExperimentConfig:
    """A one-epoch, four-unit experiment over :func:`tiny_table`'s columns."""
    settings: dict[str, object] = {
        "target_column": "label",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind"), ColumnSpec("shift")),
        "numeric_columns": ("reading",),
    }
    settings.update(data)
    return ExperimentConfig(
        data=DataConfig(**settings),
        split=SplitConfig(validation_fraction=0.2, test_fraction=0.2),
        model=ModelConfig(lstm_units=(4,), dense_units=0),
        train=TrainConfig(epochs=1, batch_size=8, patience=1),
    )
