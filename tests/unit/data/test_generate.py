"""The synthetic maintenance generator: determinism, schema, planted truth."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sample_data.generate import FAMILIES, MACHINE_TYPES, generate, main
from tests.support.paths import ROOT

SAMPLE_DATA = ROOT / "sample_data"
COLUMNS = [
    "machine_id",
    "timestamp",
    "machine_type",
    "operator_id",
    "maintenance_plan",
    "site",
    "temperature",
    "vibration",
    "pressure",
    "load",
    "failure",
    "rul",
]
SMALL = {"n_machines": 16, "n_operators": 12, "min_length": 8, "max_length": 40}


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, dict]:
    """A tiny seeded data set and its truth."""
    return generate(seed=7, **SMALL)


def _write(tmp_path: Path, folder: str, seed: int) -> tuple[bytes, bytes]:
    """Run the command line into a folder; return the CSV and JSON bytes."""
    out = tmp_path / folder
    main(
        ["--seed", str(seed), "--machines", "6", "--operators", "10"]
        + ["--out", str(out)]
    )
    return (
        (out / "predictive_maintenance.csv").read_bytes(),
        (out / "predictive_maintenance_truth.json").read_bytes(),
    )


def test_same_seed_gives_identical_bytes(tmp_path):
    first = _write(tmp_path, "first", seed=3)
    second = _write(tmp_path, "second", seed=3)
    assert first == second


def test_different_seed_gives_different_data(tmp_path):
    first_csv, _ = _write(tmp_path, "first", seed=3)
    other_csv, _ = _write(tmp_path, "other", seed=4)
    assert first_csv != other_csv


def test_columns_and_dtypes(small):
    frame, _ = small
    assert list(frame.columns) == COLUMNS
    for column in ("machine_id", "operator_id", "failure", "rul"):
        assert pd.api.types.is_integer_dtype(frame[column]), column
    for column in ("temperature", "vibration", "pressure", "load"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    for column in ("timestamp", "machine_type", "site"):
        assert pd.api.types.is_string_dtype(frame[column]), column
    assert set(frame["failure"].unique()) <= {0, 1}
    pd.to_datetime(frame["timestamp"], format="%Y-%m-%d")


def test_rows_are_daily_and_ordered_per_machine(small):
    frame, _ = small
    assert frame["machine_id"].is_monotonic_increasing
    days = pd.to_datetime(frame["timestamp"]).groupby(frame["machine_id"]).diff()
    assert (days.dropna() == pd.Timedelta(days=1)).all()


def test_histories_have_variable_lengths_within_bounds(small):
    frame, _ = small
    lengths = frame.groupby("machine_id").size()
    assert lengths.between(SMALL["min_length"], SMALL["max_length"]).all()
    assert lengths.nunique() > 1
    assert len(lengths) == SMALL["n_machines"]


def test_failure_only_ends_a_history_and_rul_counts_down(small):
    frame, _ = small
    for _, history in frame.groupby("machine_id"):
        failures = history["failure"].to_numpy()
        rul = history["rul"].to_numpy()
        assert failures[:-1].sum() == 0
        assert (np.diff(rul) == -1).all()
        assert rul.min() >= 0
        # A failed history ends at RUL 0; a censored one is cut before its failure.
        assert (rul[-1] == 0) == (failures[-1] == 1)


def test_some_machines_fail_and_some_are_censored():
    frame, _ = generate(seed=0, n_machines=40, n_operators=20)
    last = frame.groupby("machine_id").tail(1)
    assert 0 < last["failure"].sum() < len(last)


def test_truth_is_consistent_with_data(small):
    frame, truth = small
    families = truth["machine_type_family"]
    assert set(frame["machine_type"]) <= set(families)
    assert set(families) == set(MACHINE_TYPES)
    assert set(families.values()) == set(FAMILIES)
    per_family = pd.Series(families).value_counts()
    assert (per_family == len(MACHINE_TYPES) // len(FAMILIES)).all()
    assert {str(value) for value in frame["operator_id"]} <= set(
        truth["operator_skill"]
    )
    assert len(truth["operator_skill"]) == SMALL["n_operators"]
    plans = set(frame["maintenance_plan"].dropna())
    assert plans <= set(truth["maintenance_plan_effects"])
    assert set(frame["site"]) <= set(truth["site_effects"])
    assert truth["seed"] == 7
    assert truth["parameters"]["n_operators"] == SMALL["n_operators"]
    assert truth["summary"]["rows"] == len(frame)
    assert truth["summary"]["failed_machines"] == frame["failure"].sum()
    json.dumps(truth)


def test_every_type_appears_once_there_are_enough_machines(small):
    frame, _ = small
    assert set(frame["machine_type"]) == set(MACHINE_TYPES)


@pytest.mark.parametrize("operators", [1, 10, 1_000], ids=lambda n: f"{n}-operators")
def test_operator_cardinality_is_settable(operators):
    frame, truth = generate(seed=1, n_machines=5, n_operators=operators)
    assert frame["operator_id"].between(1, operators).all()
    assert len(truth["operator_skill"]) == operators


def test_operator_changes_along_a_history():
    frame, _ = generate(seed=2, n_machines=4, n_operators=50)
    distinct = frame.groupby("machine_id")["operator_id"].nunique()
    assert (distinct > 1).all()


def test_missing_values_only_where_planted():
    frame, _ = generate(seed=5, missing_fraction=0.2, **SMALL)
    missing = frame.isna().sum()
    assert missing["vibration"] > 0
    assert missing["maintenance_plan"] > 0
    assert missing.drop(["vibration", "maintenance_plan"]).sum() == 0


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"n_machines": 0}, "n_machines=0"),
        ({"n_operators": 0}, "n_operators=0"),
        ({"min_length": 50, "max_length": 40}, "min_length=50"),
    ],
    ids=["no-machines", "no-operators", "bounds-swapped"],
)
def test_invalid_arguments_are_refused(arguments, match):
    with pytest.raises(ValueError, match=match):
        generate(**arguments)


def test_bundled_file_is_the_default_output():
    frame, truth = generate()
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    bundled = (SAMPLE_DATA / "predictive_maintenance.csv").read_text(encoding="utf-8")
    message = "regenerate with: python sample_data/generate.py"
    assert buffer.getvalue() == bundled, message
    bundled_truth = (SAMPLE_DATA / "predictive_maintenance_truth.json").read_text()
    assert json.loads(bundled_truth) == json.loads(json.dumps(truth)), message


def test_operator_count_leaves_the_fleet_unchanged():
    few, _ = generate(seed=3, n_machines=8, n_operators=10)
    many, _ = generate(seed=3, n_machines=8, n_operators=10_000)
    columns = ["machine_type", "site", "maintenance_plan", "timestamp"]
    first_rows = [frame.groupby("machine_id")[columns].first() for frame in (few, many)]
    pd.testing.assert_frame_equal(*first_rows)
