"""Bundles: atomic save, safe load, identical predictions, tampering refused."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest

from core.errors import BundleError
from core.model.bundle import (
    bundle_from_result,
    bundle_zip_bytes,
    extract_bundle_zip,
    load_bundle,
    predict,
    save_bundle,
)
from tests.support.robust import tiny_table


@pytest.fixture
def saved(tiny_bundle, tmp_path):
    return save_bundle(tiny_bundle, tmp_path / "bundle")


def test_save_load_predict_gives_identical_outputs(tiny_bundle, saved):
    table = tiny_table()
    original = predict(tiny_bundle, table)
    reloaded = predict(load_bundle(saved), table)
    np.testing.assert_allclose(
        reloaded.table["probability"], original.table["probability"], atol=1e-6
    )
    assert reloaded.metrics is not None
    assert "roc_auc" in reloaded.metrics


@pytest.mark.slow
def test_bundle_holds_the_documented_files(tiny_result, tmp_path):
    saved = save_bundle(bundle_from_result(tiny_result), tmp_path / "bundle")
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


def test_saving_again_replaces_atomically(tiny_bundle, saved):
    save_bundle(tiny_bundle, saved)
    leftovers = [p.name for p in saved.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_failed_save_leaves_no_half_bundle(tiny_bundle, tmp_path, monkeypatch):
    bundle = tiny_bundle

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bundle.model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_bundle(bundle, tmp_path / "bundle")
    assert list(tmp_path.iterdir()) == []


def test_unknown_categories_are_reported_not_fatal(saved):
    table = tiny_table()
    table.loc[table.index[:3], "kind"] = "never_seen"
    result = predict(load_bundle(saved), table)
    assert result.unknown_values["kind"] == {"never_seen": 3}
    assert len(result.table) == table["entity"].nunique()


def test_prediction_without_target_column(saved):
    result = predict(load_bundle(saved), tiny_table().drop(columns="label"))
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
