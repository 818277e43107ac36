"""Property-based fuzzing: random tables and configs raise nothing but CoreError.

Random long-format-ish tables (mixed dtypes, NaN/None/""/inf, odd column names,
0-25 rows) go through schema inference, validation, the preprocessor and the
preparation step (no training). Any exception outside ``CoreError`` is a bug.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, event, given, settings
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
#: For properties of valid inputs only: about one random case in ten passes
#: validation, so an eighth as many valid examples costs about what FUZZ costs.
FUZZ_VALID = settings(
    FUZZ,
    max_examples=max(1, FUZZ.max_examples // 8),
    suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.filter_too_much],
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


def _outcome(step: Callable[[], object]) -> str:
    """``"passed"`` or ``"CoreError"``; anything else propagates and fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            step()
        except CoreError:
            return "CoreError"
    return "passed"


def _fuzz(examples: st.SearchStrategy, check: Callable[[object], str]) -> Counter:
    """Run ``check`` on :data:`FUZZ` examples; count the outcomes it returns.

    Counting lets a test assert that both outcomes occurred, so a property never
    passes because every example stopped at the first error (or never reached it).
    """
    outcomes: Counter = Counter()

    @FUZZ
    @given(examples)
    def run(example) -> None:
        outcome = check(example)
        event(outcome)
        outcomes[outcome] += 1

    run()
    return outcomes


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


def test_loading_files_raises_only_core_errors():
    outcomes = _fuzz(
        st.one_of(csv_bytes(), st.binary(max_size=200)),
        lambda content: _outcome(lambda: load_table(content, name="fuzz.csv")),
    )
    assert outcomes["passed"], outcomes
    assert outcomes["CoreError"], outcomes


def test_schema_inference_raises_only_core_errors():
    outcomes = _fuzz(tables(), lambda frame: _outcome(lambda: infer_schema(frame)))
    assert outcomes["passed"], outcomes


def _validate_and_fit(case: tuple[pd.DataFrame, ExperimentConfig | None]) -> str:
    frame, config = case
    assume(config is not None)
    validation = _outcome(lambda: validate_against(config.data, frame))

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

    return f"validation {validation}, preprocessor {_outcome(fit_transform)}"


def test_validation_and_preprocessor_raise_only_core_errors():
    outcomes = _fuzz(tables_with_configs(), _validate_and_fit)
    ends = " ".join(outcomes)
    assert "validation CoreError" in ends, outcomes
    assert "preprocessor passed" in ends, outcomes


def _prepare(case: tuple[pd.DataFrame, ExperimentConfig | None]) -> str:
    frame, config = case
    assume(config is not None)
    return _outcome(lambda: prepare_experiment(frame, config))


def test_preparation_raises_only_core_errors():
    outcomes = _fuzz(tables_with_configs(), _prepare)
    assert outcomes["passed"], outcomes
    assert outcomes["CoreError"], outcomes


@FUZZ_VALID
@given(case=tables_with_configs())
def test_validation_passes_then_preparation_passes(case):
    # One rule, one place: whatever validation accepts, the pipeline accepts.
    frame, config = case
    assume(config is not None)
    assume(_outcome(lambda: validate_against(config.data, frame)) == "passed")
    order_rows(frame, config.data)
    preprocessor = SequencePreprocessor(config.data).fit(frame)
    preprocessor.transform(frame)
    preprocessor.encode_target(frame[config.data.target_column])


@FUZZ_VALID
@given(case=tables_with_configs())
def test_preflight_passes_then_prepare_experiment_passes(case):
    frame, config = case
    assume(config is not None)
    assume(_outcome(lambda: preflight(frame, config)) == "passed")
    estimate = preflight(frame, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        prepared = prepare_experiment(frame, config)
    assert {n: len(p) for n, p in prepared.parts.items()} == estimate.examples
