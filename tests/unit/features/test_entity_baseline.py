"""``data.entity_baseline``: each entity's starting level is taken off its features."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig
from core.errors import ConfigError
from core.features.derived import derive_features, input_config
from core.features.entity_baseline import entity_baselines
from core.features.preprocessor import SequencePreprocessor


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for entity, offset in (("a", 100.0), ("b", -40.0), ("c", 7.0)):
        for step in range(8):
            rows.append(
                {
                    "entity": entity,
                    "step": step,
                    "kind": "xy"[step % 2],
                    "reading": offset + step + rng.normal(scale=0.1),
                    "other": rng.normal(),
                    "y": float(step),
                }
            )
    return pd.DataFrame(rows)


def _data(**changes: object) -> DataConfig:
    values: dict[str, object] = {
        "target_column": "y",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind"),),
        "numeric_columns": ("reading", "other"),
        "task": "regression",
        "missing_indicators": False,
        "entity_baseline": 3,
    }
    return DataConfig(**{**values, **changes})


def _encoded(frame: pd.DataFrame, data: DataConfig, fit_on: pd.DataFrame | None = None):
    inputs = input_config(data)
    derived = derive_features(frame, inputs)
    fitted = derive_features(fit_on if fit_on is not None else frame, inputs)
    preprocessor = SequencePreprocessor(inputs).fit(fitted)
    return preprocessor, preprocessor.transform(derived).numeric


def test_the_baseline_is_the_mean_of_the_first_rows_so_far():
    values = np.array([[1.0], [3.0], [5.0], [100.0], [10.0], [20.0]])
    entity = np.array(["a", "a", "a", "a", "b", "b"])
    baselines = entity_baselines(values, entity, rows=2)
    np.testing.assert_allclose(baselines[:, 0], [1.0, 2.0, 2.0, 2.0, 10.0, 15.0])


def _changes(frame: pd.DataFrame, plain: np.ndarray, position: int) -> np.ndarray:
    """Each row's scaled value less the mean of its entity's first 3 rows."""
    changes = np.empty(len(frame))
    for entity in frame["entity"].unique():
        rows = frame.index[frame["entity"] == entity]
        values = plain[rows, position].astype(np.float64)
        counts = np.minimum(np.arange(1, len(rows) + 1), 3)
        sums = np.cumsum(np.where(np.arange(len(rows)) < 3, values, 0.0))
        changes[rows] = values - sums / counts
    return changes


def test_each_entity_starts_at_zero_whatever_its_offset():
    frame = _table()
    _, plain = _encoded(frame, _data(entity_baseline=None))
    preprocessor, shifted = _encoded(frame, _data())
    position = preprocessor.numeric_feature_names.index("reading")
    first = frame.groupby("entity").head(1).index
    np.testing.assert_allclose(shifted[first, position], 0.0, atol=1e-6)
    # The change from the baseline, on the unit spread of the training changes.
    changes = _changes(frame, plain, position)
    assert preprocessor.baseline_spread_[position] == pytest.approx(changes.std())
    np.testing.assert_allclose(
        shifted[:, position], changes / changes.std(), rtol=1e-4, atol=1e-5
    )
    assert shifted[:, position].std() == pytest.approx(1.0, rel=1e-4)


def test_the_fitted_spread_travels_with_the_preprocessor():
    frame = _table()
    preprocessor, shifted = _encoded(frame, _data())
    payload = json.loads(json.dumps(preprocessor.to_dict()))
    reloaded = SequencePreprocessor.from_dict(payload)
    again = reloaded.transform(derive_features(frame, input_config(_data())))
    np.testing.assert_array_equal(again.numeric, shifted)


def test_a_later_row_never_changes_an_earlier_rows_features():
    frame = _table()
    _, before = _encoded(frame, _data())
    changed = frame.copy()
    changed.loc[5, "reading"] += 1000.0  # entity a, step 5
    _, after = _encoded(changed, _data(), fit_on=frame)
    np.testing.assert_allclose(after[:5], before[:5], atol=1e-6)
    assert not np.allclose(after[5], before[5])


def test_derived_inputs_and_indicators_keep_their_values():
    frame = _table()
    frame.loc[2, "other"] = np.nan
    data = _data(entity_age=True, missing_indicators=True)
    preprocessor, shifted = _encoded(frame, data)
    _, plain = _encoded(frame, dataclasses.replace(data, entity_baseline=None))
    names = preprocessor.numeric_feature_names
    kept = [i for i, name in enumerate(names) if name not in ("reading", "other")]
    assert len(kept) == 2  # the age and the indicator of "other"
    np.testing.assert_array_equal(shifted[:, kept], plain[:, kept])


def test_per_operating_condition_scaling_comes_first():
    frame = _table()
    # A condition that moves the reading by 50: per-condition scaling removes it.
    frame["reading"] += np.where(frame["kind"] == "x", 50.0, 0.0)
    preprocessor, shifted = _encoded(frame, _data(normalize_by="kind"))
    _, plain = _encoded(frame, _data(normalize_by="kind", entity_baseline=None))
    changes = _changes(frame, plain, 0)
    np.testing.assert_allclose(
        shifted[:, 0] * preprocessor.baseline_spread_[0], changes, atol=1e-5
    )


def test_a_new_file_with_the_same_rows_gets_the_same_features():
    frame = _table()
    preprocessor, training = _encoded(frame, _data())
    part = frame[frame["entity"] == "b"].reset_index(drop=True)
    inputs = input_config(_data())
    again = preprocessor.transform(derive_features(part, inputs)).numeric
    rows = frame.index[frame["entity"] == "b"]
    np.testing.assert_allclose(again, training[rows], atol=1e-6)


@pytest.mark.parametrize("value", [0, -2, 1.5, True])
def test_the_baseline_needs_a_whole_number_of_rows(value):
    with pytest.raises(ConfigError, match="data.entity_baseline"):
        _data(entity_baseline=value)


def test_the_baseline_needs_numeric_columns():
    with pytest.raises(ConfigError, match="data.entity_baseline"):
        _data(numeric_columns=())
