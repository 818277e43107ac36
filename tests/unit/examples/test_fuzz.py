"""Property-based fuzzing: random tables and configs raise nothing but CoreError.

Random long-format-ish tables (mixed dtypes, NaN/None/""/inf, odd column names,
0-25 rows) go through schema inference, validation, the preprocessor and the
preparation step (no training). Any exception outside ``CoreError`` is a bug.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import ColumnSpec, DataConfig, ExperimentConfig, SplitConfig
from core.data.io import load_table
from core.data.schema import infer_schema
from core.data.validation import validate_against
from core.errors import CoreError
from core.examples.advisor import preflight
from core.examples.prepare import prepare_experiment
from core.examples.sequences import order_rows
from core.features.preprocessor import SequencePreprocessor

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = st.one_of(
    st.sampled_from(["id", "time", "y", "label", "x", " ", "<b>", "=1+1", "1", "é"]),
    st.text(min_size=1, max_size=6),
)
CELLS = {
    "int": st.integers(-5, 5),
    "float": st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=32),
        st.sampled_from([np.nan, np.inf, -np.inf, 0.5, 1.0]),
    ),
    "text": st.one_of(
        st.sampled_from(["a", "b", "", " ", "n/a", "1,5", "2024-01-01", "<img>"]),
        st.text(max_size=4),
    ),
    "mixed": st.one_of(
        st.none(),
        st.integers(-3, 3),
        st.sampled_from([np.nan, "", "a", 1.5, True, "7", np.inf]),
    ),
    "bool": st.booleans(),
}
#: How many examples each property ran, reported at the end of the module.
RUNS: dict[str, int] = {}


@st.composite
def tables(draw, min_columns: int = 1) -> pd.DataFrame:
    names = draw(st.lists(NAMES, min_size=min_columns, max_size=6, unique=True))
    rows = draw(st.integers(0, 25))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(sorted(CELLS)))
        values = draw(st.lists(CELLS[kind], min_size=rows, max_size=rows))
        columns[name] = pd.Series(values, dtype=object if kind == "mixed" else None)
    return pd.DataFrame(columns)


@st.composite
def tables_with_configs(draw) -> tuple[pd.DataFrame, ExperimentConfig]:
    frame = draw(tables(min_columns=2))
    names = list(frame.columns)
    target = draw(st.sampled_from(names))
    others = [name for name in names if name != target]
    id_column = draw(st.sampled_from([None, *others]))
    time_column = draw(st.sampled_from([None, *others]))
    features = [name for name in others if name not in (id_column, time_column)]
    categorical = (
        draw(st.lists(st.sampled_from(features), unique=True)) if features else []
    )
    numeric = [name for name in features if name not in categorical]
    numeric = draw(st.lists(st.sampled_from(numeric), unique=True)) if numeric else []
    if features and not categorical and not numeric:
        numeric = features[:1]
    settings_ = {
        "target_column": target,
        "id_column": id_column,
        "time_column": None if time_column == id_column else time_column,
        "categorical_columns": tuple(ColumnSpec(name) for name in categorical),
        "numeric_columns": tuple(numeric),
        "task": draw(st.sampled_from(["binary", "multiclass", "regression"])),
        "framing": draw(st.sampled_from(["sequence", "window"])),
        "window": draw(st.integers(1, 6)),
        "max_length": draw(st.integers(1, 6)),
        "max_categories": draw(st.sampled_from([None, 1, 3])),
        "min_category_count": draw(st.integers(1, 3)),
        "numeric_scaling": draw(st.sampled_from(["standard", "minmax", "none"])),
    }
    try:
        config = ExperimentConfig(
            data=DataConfig(**settings_),
            split=SplitConfig(
                method=draw(st.sampled_from(["entity", "time"])),
                validation_fraction=0.2,
                test_fraction=0.2,
            ),
        )
    except CoreError:
        config = None
    return frame, config


def _only_core_errors(step, name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            step()
        except CoreError:
            return
    RUNS[f"{name} (no error)"] = RUNS.get(f"{name} (no error)", 0) + 1


CSV_CELLS = st.one_of(
    st.sampled_from(["", "a", "1", "1,5", '"x\ny"', '"', "n/a", "inf", "é", " "]),
    st.text(alphabet=st.characters(codec="latin-1"), max_size=5),
)


@st.composite
def csv_bytes(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(
        st.lists(st.lists(CSV_CELLS, min_size=1, max_size=5), min_size=0, max_size=8)
    )
    text = draw(st.sampled_from(["\n", "\r\n"])).join(
        delimiter.join(row) for row in rows
    )
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(content=st.one_of(csv_bytes(), st.binary(max_size=200)))
def test_loading_files_raises_only_core_errors(content):
    _only_core_errors(lambda: load_table(content, name="fuzz.csv"), "load_table")


@FUZZ
@given(frame=tables())
def test_schema_inference_raises_only_core_errors(frame):
    _only_core_errors(lambda: infer_schema(frame), "infer_schema")


@FUZZ
@given(case=tables_with_configs())
def test_validation_and_preprocessor_raise_only_core_errors(case):
    frame, config = case
    if config is None:
        return
    _only_core_errors(lambda: validate_against(config.data, frame), "validate_against")

    def fit_transform() -> None:
        preprocessor = SequencePreprocessor(config.data).fit(frame)
        encoded = preprocessor.transform(frame)
        assert encoded.categorical.shape == (
            len(frame),
            len(config.data.categorical_columns),
        )
        assert np.isfinite(encoded.numeric).all()
        preprocessor.inverse_transform(encoded)
        SequencePreprocessor.from_dict(preprocessor.to_dict())

    _only_core_errors(fit_transform, "preprocessor")


@FUZZ
@given(case=tables_with_configs())
def test_preparation_raises_only_core_errors(case):
    frame, config = case
    if config is None:
        return
    _only_core_errors(lambda: prepare_experiment(frame, config), "prepare_experiment")


def _passes(step) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            step()
        except CoreError:
            return False
    return True


@FUZZ
@given(case=tables_with_configs())
def test_validation_passes_then_preparation_passes(case):
    # One rule, one place: whatever validation accepts, the pipeline accepts.
    frame, config = case
    if config is None or not _passes(lambda: validate_against(config.data, frame)):
        return
    RUNS["validation passed"] = RUNS.get("validation passed", 0) + 1
    order_rows(frame, config.data)
    preprocessor = SequencePreprocessor(config.data).fit(frame)
    preprocessor.transform(frame)
    preprocessor.encode_target(frame[config.data.target_column])


@FUZZ
@given(case=tables_with_configs())
def test_preflight_passes_then_prepare_experiment_passes(case):
    frame, config = case
    if config is None or not _passes(lambda: preflight(frame, config)):
        return
    RUNS["preflight passed"] = RUNS.get("preflight passed", 0) + 1
    estimate = preflight(frame, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        prepared = prepare_experiment(frame, config)
    assert {n: len(p) for n, p in prepared.parts.items()} == estimate.examples


@pytest.fixture(scope="module", autouse=True)
def report_runs():
    yield
    print(f"\nfuzz examples run: {RUNS}")
