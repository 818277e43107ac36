"""Prediction files that differ from the training data: reported or refused, by name."""

from __future__ import annotations

import numpy as np
import pytest

from core.cli.main import main
from core.errors import DataValidationError
from core.model.bundle import predict
from tests.support.robust import tiny_table


@pytest.fixture(scope="module")
def reference(tiny_bundle):
    return predict(tiny_bundle, tiny_table())


#: name -> (table change, column named, error regex).
REFUSED = {
    "missing-numeric": (lambda df: df.drop(columns="reading"), "reading", "expected"),
    "missing-categorical": (lambda df: df.drop(columns="kind"), "kind", "expected"),
    "missing-id": (lambda df: df.drop(columns="entity"), "entity", "expected"),
    "missing-time": (lambda df: df.drop(columns="step"), "step", "expected"),
    "numeric-words": (
        lambda df: df.assign(reading="warm"),
        "reading",
        "received text such as 'warm'",
    ),
    "time-words": (
        lambda df: df.assign(step="soon"),
        "step",
        "received 'soon'",
    ),
}


@pytest.mark.parametrize(
    ("change", "column", "message"), list(REFUSED.values()), ids=list(REFUSED)
)
def test_unusable_prediction_files_name_the_column(
    tiny_bundle, change, column, message
):
    with pytest.raises(DataValidationError, match=message) as caught:
        predict(tiny_bundle, change(tiny_table()))
    assert caught.value.column == column
    assert f"column '{column}'" in str(caught.value)


#: name -> table change that must give the reference predictions, with no unknowns.
EQUIVALENT = {
    "extra-columns": lambda df: df.assign(comment="<b>hi</b>", other=1.5),
    "no-target": lambda df: df.drop(columns="label"),
    "reordered-columns": lambda df: df[df.columns[::-1]],
    "int-category-as-float": lambda df: df.assign(shift=df["shift"].astype(float)),
    "int-category-as-text": lambda df: df.assign(shift=df["shift"].astype(str)),
    "numbers-as-text": lambda df: df.assign(reading=df["reading"].astype(str)),
    "time-as-text": lambda df: df.assign(step=df["step"].astype(str)),
    "id-as-text": lambda df: df.assign(entity=df["entity"].astype(str)),
    "shuffled-rows": lambda df: df.sample(frac=1.0, random_state=7),
}


@pytest.mark.parametrize("change", list(EQUIVALENT.values()), ids=list(EQUIVALENT))
def test_changed_dtypes_and_extra_columns_give_the_same_predictions(
    tiny_bundle, reference, change
):
    result = predict(tiny_bundle, change(tiny_table()))
    assert result.unknown_values == {}
    np.testing.assert_allclose(
        result.table["probability"].to_numpy(),
        reference.table["probability"].to_numpy(),
        atol=1e-6,
    )


def test_decimal_comma_numbers_predict_like_numbers(tiny_bundle, reference):
    table = tiny_table()
    table["reading"] = [f"{value:.9f}".replace(".", ",") for value in table["reading"]]
    result = predict(tiny_bundle, table)
    np.testing.assert_allclose(
        result.table["probability"], reference.table["probability"], atol=1e-5
    )


#: name -> (table change, column, unknown values reported).
REPORTED = {
    "new-text-category": (
        lambda df: df.assign(kind=np.where(df["step"] == 0, "zeta", df["kind"])),
        "kind",
        {"zeta": 8},
    ),
    "int-category-as-decimal-text": (
        lambda df: df.assign(shift=[f"{value}.0" for value in df["shift"]]),
        "shift",
        {"0.0": 25, "1.0": 8, "2.0": 7},
    ),
    "missing-category": (
        lambda df: df.assign(kind=np.where(df["step"] == 1, None, df["kind"])),
        "kind",
        {"<missing>": 8},
    ),
}


@pytest.mark.parametrize(
    ("change", "column", "unknown"), list(REPORTED.values()), ids=list(REPORTED)
)
def test_new_categories_are_reported_not_fatal(tiny_bundle, change, column, unknown):
    result = predict(tiny_bundle, change(tiny_table()))
    assert result.unknown_values == {column: unknown}
    rows = sum(unknown.values())
    assert f"column '{column}': {rows} row(s) with unseen categories" in result.notes
    assert len(result.table) == 8


def test_cli_predict_with_a_missing_id_column_exits_2(bundle_dir, tmp_path, capsys):
    data = tmp_path / "new.csv"
    tiny_table().drop(columns="entity").to_csv(data, index=False)
    argv = ["predict", "--model", str(bundle_dir), "--data", str(data)]
    code = main([*argv, "--out", str(tmp_path / "p.csv")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith("error: column 'entity': expected this column")
    assert not (tmp_path / "p.csv").exists()


def test_cli_predict_notes_new_categories(bundle_dir, tmp_path, capsys):
    data = tmp_path / "new.csv"
    tiny_table().assign(kind="zeta").to_csv(data, index=False)
    argv = ["predict", "--model", str(bundle_dir), "--data", str(data)]
    code = main([*argv, "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err
    assert code == 0
    assert "note: column 'kind': unseen categories 'zeta' (40)" in err
    assert (tmp_path / "p.csv").is_file()
