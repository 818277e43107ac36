"""SequencePreprocessor: the fit/transform contract, vocabularies, scaling, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig
from core.errors import DataValidationError, NotFittedError
from core.features.preprocessor import SequencePreprocessor
from core.features.vocabulary import MISSING_KEY, UNKNOWN_INDEX, UNKNOWN_LABEL


def _config(**changes) -> DataConfig:
    values = {
        "target_column": "label",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind"), ColumnSpec("shift", 2)),
        "numeric_columns": ("reading",),
    }
    return DataConfig(**{**values, **changes})


def test_fit_returns_self_and_sets_state(long_table):
    preprocessor = SequencePreprocessor(_config())
    assert preprocessor.fit(long_table) is preprocessor
    assert set(preprocessor.vocabularies_) == {"kind", "shift"}
    assert preprocessor.input_dims_["shift"] == 3 + 2
    assert preprocessor.embedding_dims_["shift"] == 2


def test_transform_before_fit_raises(long_table):
    with pytest.raises(NotFittedError, match="fit"):
        SequencePreprocessor(_config()).transform(long_table)


def test_refit_forgets_old_vocabulary(long_table):
    preprocessor = SequencePreprocessor(_config()).fit(long_table)
    other = long_table.assign(kind="omega")
    preprocessor.fit(other)
    assert preprocessor.vocabularies_["kind"] == ["omega"]


def test_real_category_zero_is_not_padding(long_table):
    preprocessor = SequencePreprocessor(_config()).fit(long_table)
    encoded = preprocessor.transform(long_table)
    # The integer category 0 of "shift" is a real category with index >= 2.
    assert "0" in preprocessor.vocabularies_["shift"]
    assert encoded.categorical.min() >= 1
    zero_rows = long_table["shift"].to_numpy() == 0
    assert (encoded.categorical[zero_rows, 1] >= 2).all()


def test_all_missing_forms_are_one_category():
    frame = pd.DataFrame(
        {
            "kind": ["a", None, np.nan, "", pd.NA, "b"],
            "label": [0, 1, 0, 1, 0, 1],
        }
    )
    config = DataConfig(
        target_column="label", categorical_columns=(ColumnSpec("kind"),)
    )
    preprocessor = SequencePreprocessor(config).fit(frame)
    assert preprocessor.vocabularies_["kind"].count(MISSING_KEY) == 1
    indices = preprocessor.transform(frame).categorical[:, 0]
    assert len(set(indices[1:5])) == 1


def test_integer_forms_of_a_category_match():
    train = pd.DataFrame({"code": [1, 2, 2], "label": [0, 1, 1]})
    config = DataConfig(
        target_column="label", categorical_columns=(ColumnSpec("code"),)
    )
    preprocessor = SequencePreprocessor(config).fit(train)
    other = pd.DataFrame({"code": ["1", "2.0", None]})
    other["code"] = other["code"].astype(object)
    other.loc[1, "code"] = 2.0
    indices = preprocessor.transform(other).categorical[:, 0]
    assert indices.tolist()[:2] == [3, 2]


def test_unseen_values_map_to_unknown_and_are_counted(long_table):
    preprocessor = SequencePreprocessor(_config()).fit(long_table)
    new = long_table.head(5).assign(kind=["new1", "new1", "new2", "alpha", "beta"])
    encoded = preprocessor.transform(new)
    assert encoded.categorical[:3, 0].tolist() == [UNKNOWN_INDEX] * 3
    assert encoded.unknown_values["kind"] == {"new1": 2, "new2": 1}
    assert encoded.unknown_counts["kind"] == 3


def test_rare_categories_map_to_unknown(long_table):
    frame = long_table.copy()
    frame.loc[0, "kind"] = "rare"
    preprocessor = SequencePreprocessor(_config(min_category_count=2)).fit(frame)
    assert "rare" not in preprocessor.vocabularies_["kind"]
    assert preprocessor.transform(frame).categorical[0, 0] == UNKNOWN_INDEX


def test_vocabulary_comes_from_training_rows_only(long_table):
    train = long_table[long_table["entity"] <= 20]
    held_out = long_table[long_table["entity"] > 20].assign(kind="only_in_test")
    preprocessor = SequencePreprocessor(_config()).fit(train)
    assert "only_in_test" not in preprocessor.vocabularies_["kind"]
    assert (preprocessor.transform(held_out).categorical[:, 0] == 1).all()


def test_numeric_scaling_uses_training_statistics(long_table):
    preprocessor = SequencePreprocessor(_config()).fit(long_table)
    numeric = preprocessor.transform(long_table).numeric
    present = long_table["reading"].notna().to_numpy()
    assert abs(numeric[present, 0].mean()) < 1e-5
    assert numeric[present, 0].std() == pytest.approx(1.0, abs=1e-4)
    # Missing values are imputed (0 after standard scaling) and flagged.
    assert (numeric[~present, 0] == 0).all()
    assert (numeric[:, 1] == (~present)).all()
    assert preprocessor.numeric_feature_names == ["reading", "reading__missing"]


def test_inverse_transform_recovers_labels_and_values(long_table):
    preprocessor = SequencePreprocessor(_config()).fit(long_table)
    restored = preprocessor.inverse_transform(preprocessor.transform(long_table))
    expected_kind = long_table["kind"].fillna(MISSING_KEY).to_numpy()
    assert (restored["kind"].to_numpy() == expected_kind).all()
    assert (restored["shift"].to_numpy() == long_table["shift"].astype(str)).all()
    np.testing.assert_allclose(
        restored["reading"].to_numpy(), long_table["reading"].to_numpy(), atol=1e-5
    )


def test_inverse_transform_labels_unknown(long_table):
    preprocessor = SequencePreprocessor(_config()).fit(long_table)
    encoded = preprocessor.transform(long_table.head(2).assign(kind="zzz"))
    assert (
        preprocessor.inverse_transform(encoded)["kind"].tolist() == [UNKNOWN_LABEL] * 2
    )


def test_json_round_trip_gives_identical_encoding(long_table):
    preprocessor = SequencePreprocessor(_config(normalize_by="kind")).fit(long_table)
    text = json.dumps(preprocessor.to_dict())
    restored = SequencePreprocessor.from_dict(json.loads(text))
    first, second = preprocessor.transform(long_table), restored.transform(long_table)
    np.testing.assert_array_equal(first.categorical, second.categorical)
    np.testing.assert_array_equal(first.numeric, second.numeric)


def test_normalize_by_scales_each_group_separately():
    frame = pd.DataFrame(
        {
            "condition": ["a"] * 50 + ["b"] * 50,
            "x": np.r_[np.linspace(0, 1, 50), np.linspace(100, 110, 50)],
            "label": [0, 1] * 50,
        }
    )
    config = DataConfig(
        target_column="label",
        categorical_columns=(ColumnSpec("condition"),),
        numeric_columns=("x",),
        normalize_by="condition",
    )
    numeric = SequencePreprocessor(config).fit(frame).transform(frame).numeric[:, 0]
    for group in (numeric[:50], numeric[50:]):
        assert abs(group.mean()) < 1e-5
        assert group.std() == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    ("values", "match"),
    [(["1.5", "n/a", "2"], "n/a"), ([1.0, np.inf, 2.0], "infinite")],
    ids=["text-in-numeric", "infinity"],
)
def test_bad_numeric_values_name_the_column(values, match):
    frame = pd.DataFrame({"x": values, "label": [0, 1, 0]})
    config = DataConfig(target_column="label", numeric_columns=("x",))
    with pytest.raises(DataValidationError, match=f"column 'x'.*{match}"):
        SequencePreprocessor(config).fit(frame)


def test_decimal_comma_column_is_accepted():
    frame = pd.DataFrame({"x": ["1,5", "2,5", ""], "label": [0, 1, 0]})
    config = DataConfig(target_column="label", numeric_columns=("x",))
    numeric = SequencePreprocessor(config).fit(frame).transform(frame).numeric
    assert numeric[0, 0] == pytest.approx(-1.0)


def test_missing_column_is_named(long_table):
    with pytest.raises(DataValidationError, match="column 'reading'"):
        SequencePreprocessor(_config()).fit(long_table.drop(columns="reading"))


@pytest.mark.parametrize(
    ("task", "target", "match"),
    [
        ("binary", [1, 1, 1], "two classes"),
        ("binary", ["a", "b", "c"], "exactly two"),
        ("regression", ["x", "y", "z"], "numbers"),
    ],
    ids=["constant-binary", "three-class-binary", "text-regression"],
)
def test_unusable_targets_are_explained(task, target, match):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": target})
    config = DataConfig(target_column="label", numeric_columns=("x",), task=task)
    with pytest.raises(DataValidationError, match=f"column 'label'.*{match}"):
        SequencePreprocessor(config).fit(frame)


def test_target_encoding_round_trip():
    frame = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0], "label": ["no", "yes", "no", None]}
    )
    config = DataConfig(target_column="label", numeric_columns=("x",))
    preprocessor = SequencePreprocessor(config).fit(frame)
    encoded = preprocessor.encode_target(frame["label"])
    assert encoded[:3].tolist() == [0.0, 1.0, 0.0]
    assert np.isnan(encoded[3])
    assert preprocessor.decode_target(encoded[:3]).tolist() == ["no", "yes", "no"]


def test_regression_target_is_scaled_and_unscaled():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": [10.0, 20.0, 30.0]})
    config = DataConfig(
        target_column="label", numeric_columns=("x",), task="regression"
    )
    preprocessor = SequencePreprocessor(config).fit(frame)
    encoded = preprocessor.encode_target(frame["label"])
    assert abs(encoded.mean()) < 1e-9
    np.testing.assert_allclose(preprocessor.decode_target(encoded), [10, 20, 30])


def test_regression_target_cap_clips_training_and_scoring_values():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": [50.0, 125.0, 300.0]})
    config = DataConfig(
        target_column="label", numeric_columns=("x",), task="regression", target_cap=125
    )
    preprocessor = SequencePreprocessor(config).fit(frame)
    decoded = preprocessor.decode_target(preprocessor.encode_target(frame["label"]))
    np.testing.assert_allclose(decoded, [50, 125, 125])
