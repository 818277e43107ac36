"""Bundles: atomic save, safe load, identical predictions, tampering refused."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from core.errors import BundleError
from core.model.bundle import (
    bundle_from_result,
    bundle_zip_bytes,
    extract_bundle_zip,
    load_bundle,
    predict,
    save_bundle,
)
from core.model.experiment import run_experiment
from tests.support.tables import make_long_table


@pytest.fixture(scope="module")
def trained():
    config = ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind"), ColumnSpec("shift")),
            numeric_columns=("reading",),
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=1),
    )
    table = make_long_table(seed=2, entities=30)
    return table, run_experiment(table, config)


@pytest.fixture
def saved(trained, tmp_path):
    return save_bundle(bundle_from_result(trained[1]), tmp_path / "bundle")


def test_save_load_predict_gives_identical_outputs(trained, saved):
    table, result = trained
    original = predict(bundle_from_result(result), table)
    reloaded = predict(load_bundle(saved), table)
    np.testing.assert_allclose(
        reloaded.table["probability"], original.table["probability"], atol=1e-6
    )
    assert reloaded.metrics is not None
    assert "roc_auc" in reloaded.metrics


def test_bundle_holds_the_documented_files(saved):
    names = {path.name for path in saved.iterdir()}
    assert names == {
        "bundle.json",
        "model.keras",
        "preprocessor.json",
        "config.json",
        "metrics.json",
        "history.json",
    }
    metrics = json.loads((saved / "metrics.json").read_text())
    assert {"task", "validation", "test", "baseline"} <= set(metrics)


def test_saving_again_replaces_atomically(trained, saved):
    save_bundle(bundle_from_result(trained[1]), saved)
    leftovers = [p.name for p in saved.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_failed_save_leaves_no_half_bundle(trained, tmp_path, monkeypatch):
    bundle = bundle_from_result(trained[1])

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bundle.model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_bundle(bundle, tmp_path / "bundle")
    assert list(tmp_path.iterdir()) == []


def test_unknown_categories_are_reported_not_fatal(trained, saved):
    table = trained[0].copy()
    table.loc[table.index[:3], "kind"] = "never_seen"
    result = predict(load_bundle(saved), table)
    assert result.unknown_values["kind"] == {"never_seen": 3}
    assert len(result.table) == table["entity"].nunique()


def test_prediction_without_target_column(trained, saved):
    result = predict(load_bundle(saved), trained[0].drop(columns="label"))
    assert "actual" not in result.table.columns
    assert result.metrics is None


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda path: (path / "config.json").write_text("{oops"), "config.json"),
        (lambda path: (path / "preprocessor.json").unlink(), "preprocessor.json"),
        (
            lambda path: (path / "bundle.json").write_text('{"format_version": 99}'),
            "format version",
        ),
        (lambda path: (path / "model.keras").write_bytes(b"not a zip"), "Keras"),
    ],
    ids=["bad-json", "missing-file", "foreign-version", "corrupt-model"],
)
def test_damaged_bundles_are_refused(saved, damage, match):
    damage(saved)
    with pytest.raises(BundleError, match=match):
        load_bundle(saved)


def test_model_with_lambda_layer_is_refused(saved):
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x + 1)(inputs)).save(
        saved / "model.keras"
    )
    with pytest.raises(BundleError, match="refused"):
        load_bundle(saved)


def test_zip_round_trip(saved, tmp_path):
    folder = extract_bundle_zip(bundle_zip_bytes(saved), tmp_path / "unzipped")
    assert load_bundle(folder).config.data.target_column == "label"


def test_zip_entries_escaping_the_folder_are_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../../escaped.txt", "x")
    with pytest.raises(BundleError, match="inside the bundle folder"):
        extract_bundle_zip(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_not_a_zip_is_refused(tmp_path):
    with pytest.raises(BundleError, match="zip"):
        extract_bundle_zip(b"plain text", tmp_path / "out")
