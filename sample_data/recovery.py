"""The small model and short run that recover the generator's planted families.

Shared by the planted-structure test (``tests/integration/test_planted_structure.py``),
the insight tests and ``bench/planted_structure.py``, so the test and the
benchmark measure the same recipe.
"""

from __future__ import annotations

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)

#: Generator and training seed of the recovery run.
SEED = 0


def recovery_config() -> ExperimentConfig:
    """Windows over ``generate()``'s histories, a 16-unit LSTM, eight epochs."""
    data = DataConfig(
        target_column="failure",
        id_column="machine_id",
        time_column="timestamp",
        categorical_columns=(
            ColumnSpec("machine_type", 3),
            ColumnSpec("maintenance_plan", 2),
            ColumnSpec("site", 2),
        ),
        numeric_columns=("temperature", "vibration", "pressure", "load"),
        task="binary",
        framing="window",
        window=20,
        stride=10,
        horizon=10,
    )
    return ExperimentConfig(
        data=data,
        model=ModelConfig(lstm_units=(16,)),
        train=TrainConfig(
            epochs=8, batch_size=64, learning_rate=3e-3, patience=8, seed=SEED
        ),
    )
