"""Faults: cancelled training, failed saves, memory limits, tampered bundles.

NaN-loss handling is covered in tests/unit/model/test_experiment.py and the basic
damaged-bundle cases in tests/unit/model/test_bundle.py; these tests add the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import core._fs as fs_module
import core.model.bundle as bundle_module
from core.errors import BundleError, DataValidationError
from core.examples.prepare import (
    check_memory,
    estimate_memory_bytes,
    prepare_experiment,
)
from core.features.preprocessor import SequencePreprocessor
from core.model.bundle import (
    bundle_from_result,
    extract_bundle_zip,
    load_bundle,
    predict,
    save_bundle,
)
from core.model.experiment import run_comparison, run_experiment
from core.model.training import CancelToken
from tests.support.robust import tiny_config, tiny_table

# --- cancel ------------------------------------------------------------------------


def _cancel_at_first_batch(token: CancelToken):
    def progress(event) -> None:
        if event.kind == "batch_end":
            token.cancel()

    return progress


@pytest.mark.slow
def test_cancel_during_the_last_batch_stops_a_comparison_before_the_twin():
    # One batch per epoch: the cancel arrives after the guard's batch check.
    token = CancelToken()
    results = run_comparison(
        tiny_table(),
        tiny_config(),
        cancel=token,
        progress=lambda name, event: _cancel_at_first_batch(token)(event),
    )
    assert list(results) == ["embedding"]
    assert results["embedding"].training.status == "cancelled"
    assert np.isfinite(results["embedding"].metrics["test"]["log_loss"])


@pytest.mark.slow
def test_bundle_without_numeric_columns_reloads(tmp_path):
    config = tiny_config(numeric_columns=())
    result = run_experiment(tiny_table(), config)
    saved = save_bundle(bundle_from_result(result), tmp_path / "bundle")
    reloaded = predict(load_bundle(saved), tiny_table())
    original = predict(bundle_from_result(result), tiny_table())
    np.testing.assert_allclose(
        reloaded.table["probability"], original.table["probability"], atol=1e-6
    )


# --- saving ------------------------------------------------------------------------


def _fail_on(name: str):
    original = bundle_module._write_json

    def write(path, payload):
        if path.name == name:
            raise OSError(28, "No space left on device")
        original(path, payload)

    return write


@pytest.mark.parametrize("failing", ["preprocessor.json", "bundle.json"])
def test_failed_save_over_an_existing_bundle_keeps_the_old_one(
    tiny_bundle, bundle_dir, tmp_path, monkeypatch, failing
):
    target = shutil.copytree(bundle_dir, tmp_path / "bundle")
    before = (target / "bundle.json").read_text()
    monkeypatch.setattr(bundle_module, "_write_json", _fail_on(failing))
    with pytest.raises(OSError, match="No space left"):
        save_bundle(tiny_bundle, target)
    assert (target / "bundle.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    load_bundle(target)


def test_failed_final_rename_puts_the_old_bundle_back(
    tiny_bundle, bundle_dir, tmp_path, monkeypatch
):
    target = shutil.copytree(bundle_dir, tmp_path / "bundle")
    real_replace = os.replace
    moved_onto_target = []

    def replace(source, destination):
        # The first rename onto the bundle's name is the new bundle's: it fails;
        # the next one puts the old bundle back.
        if Path(destination) == Path(target) and not moved_onto_target:
            moved_onto_target.append(source)
            raise OSError(13, "Permission denied")
        real_replace(source, destination)

    # The path without a one-step swap (macOS, Windows), where a gap can occur.
    monkeypatch.setattr(fs_module, "_exchange", lambda first, second: False)
    monkeypatch.setattr(fs_module.os, "replace", replace)
    with pytest.raises(OSError, match="Permission denied"):
        save_bundle(tiny_bundle, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    load_bundle(target)


def test_interrupted_save_leaves_nothing_behind(tiny_bundle, tmp_path, monkeypatch):
    def interrupt(path, payload):
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle_module, "_write_json", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_bundle(tiny_bundle, tmp_path / "bundle")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "received"),
    [
        (lambda path: path.write_text("my notes"), "received a file"),
        (
            lambda path: (path.mkdir(), (path / "thesis.txt").write_text("draft")),
            "received a folder with other files",
        ),
    ],
    ids=["file", "folder-of-user-files"],
)
def test_saving_never_replaces_what_is_not_a_bundle(
    tiny_bundle, tmp_path, make, received
):
    target = tmp_path / "out"
    make(target)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(BundleError, match=received):
        save_bundle(tiny_bundle, target)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.slow
def test_cli_train_with_out_pointing_at_the_data_keeps_the_data(tmp_path, capsys):
    from core.cli.main import main

    data = tmp_path / "data.csv"
    tiny_table().to_csv(data, index=False)
    content = data.read_bytes()
    argv = ["train", "--data", str(data), "--target", "label", "--id", "entity"]
    argv += ["--time", "step", "--epochs", "1", "--out", str(data)]
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: expected a new folder or an existing model")
    assert data.read_bytes() == content


# --- memory ------------------------------------------------------------------------


def test_memory_limit_refuses_before_anything_is_built(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("fit must not run above the memory limit")

    monkeypatch.setattr(SequencePreprocessor, "fit", never)
    with pytest.raises(DataValidationError, match="memory limit of 0.0 GiB") as caught:
        prepare_experiment(tiny_table(), tiny_config(), memory_limit_bytes=1024)
    assert "smaller window or batch size" in str(caught.value)


def test_memory_estimate_grows_with_rows_and_none_disables_the_check():
    config = tiny_config(framing="window", window=30)
    small = estimate_memory_bytes(1_000, config)
    assert estimate_memory_bytes(10_000_000, config) > 100 * small
    check_memory(10**12, config, None)
    with pytest.raises(DataValidationError, match="needing about"):
        check_memory(10**9, config, 4 * 1024**3)


def test_memory_limit_applies_to_a_full_experiment():
    with pytest.raises(DataValidationError, match="memory limit"):
        run_experiment(tiny_table(), tiny_config(), memory_limit_bytes=1)


# --- tampered and foreign bundles --------------------------------------------------


@pytest.fixture
def copy(bundle_dir, tmp_path):
    return shutil.copytree(bundle_dir, tmp_path / "bundle")


def _edit_json(path, change) -> None:
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))


def _grow_vocabulary(payload) -> None:
    for key in ("vocabularies", "category_counts", "category_target_means"):
        payload[key]["kind"] = payload[key]["kind"] + [payload[key]["kind"][0]] * 9
    payload["vocabularies"]["kind"][-9:] = [f"extra{i}" for i in range(9)]


def _drop_numeric(payload) -> None:
    scaler = payload["numeric_scaler"]
    scaler["columns"], scaler["indicator_columns"] = [], []
    for key in ("center", "scale", "mean"):
        scaler[key] = [[] for _ in scaler[key]]
    payload["config"]["numeric_columns"] = []


#: name -> (damage to a copied bundle, error regex).
TAMPERED = {
    "bundle-json-not-object": (
        lambda p: (p / "bundle.json").write_text("[1, 2]"),
        "format version",
    ),
    "metrics-not-json": (
        lambda p: (p / "metrics.json").write_bytes(b"\xff\xfe{"),
        "metrics.json",
    ),
    "config-unknown-key": (
        lambda p: _edit_json(p / "config.json", lambda c: c.update(evil=1)),
        r"unknown \['evil'\]",
    ),
    "preprocessor-incomplete": (
        lambda p: (p / "preprocessor.json").write_text('{"format_version": 1}'),
        "consistent bundle",
    ),
    "model-missing": (lambda p: (p / "model.keras").unlink(), "without model.keras"),
    "model-not-a-folder": (lambda p: shutil.rmtree(p), "not a folder"),
    "vocabulary-bigger-than-model": (
        lambda p: _edit_json(p / "preprocessor.json", _grow_vocabulary),
        "embedding of column 'kind' to have 14 rows .* received 5",
    ),
    "numeric-width-differs": (
        lambda p: _edit_json(p / "preprocessor.json", _drop_numeric),
        "to take 0 numeric features like preprocessor.json, received 1",
    ),
}


@pytest.mark.parametrize(
    ("damage", "message"), list(TAMPERED.values()), ids=list(TAMPERED)
)
def test_tampered_bundles_are_refused_with_a_message(copy, damage, message):
    damage(copy)
    with pytest.raises(BundleError, match=message):
        load_bundle(copy)


def _zip(path, entries) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for info, data in entries:
            zipped.writestr(info, data)


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16) | 0
    return info


#: name -> (entries, error regex); nothing may be written outside the target.
EVIL_ZIPS = {
    "absolute-path": ([("/tmp/evil-robustness.txt", b"x")], "inside the bundle"),
    "dot-dot": ([("bundle/../../evil.txt", b"x")], "inside the bundle"),
    "symlink": ([(_link("bundle/model.keras"), b"/etc/passwd")], "received link"),
    "two-bundles": (
        [("a/bundle.json", b"{}"), ("b/bundle.json", b"{}")],
        "2 bundle.json files",
    ),
    "no-bundle": ([("readme.txt", b"hello")], "0 bundle.json files"),
}


@pytest.mark.parametrize(
    ("entries", "message"), list(EVIL_ZIPS.values()), ids=list(EVIL_ZIPS)
)
def test_unsafe_bundle_zips_are_refused(tmp_path, entries, message):
    archive = tmp_path / "upload.zip"
    _zip(archive, entries)
    with pytest.raises(BundleError, match=message):
        extract_bundle_zip(archive, tmp_path / "out" / "x")
    assert not (tmp_path / "evil.txt").exists()
    assert not os.path.exists("/tmp/evil-robustness.txt")


def test_zip_bomb_is_refused_by_declared_size(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_UNZIPPED_BYTES", 64 * 1024)
    archive = tmp_path / "bomb.zip"
    _zip(archive, [("bundle/bundle.json", b"0" * (1024 * 1024))])
    assert archive.stat().st_size < 10 * 1024
    with pytest.raises(BundleError, match="under 2 GiB, received larger"):
        extract_bundle_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_lying_about_its_size_fails_its_checksum(tmp_path):
    # Claim 10 bytes in both headers for 1 MiB of content: extraction must stop at
    # the claimed size and report a damaged zip rather than fill the disk.
    archive = tmp_path / "liar.zip"
    _zip(archive, [("bundle/bundle.json", b"0" * (1024 * 1024))])
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.index(signature)
        data[start + offset : start + offset + 4] = struct.pack("<I", 10)
    with pytest.raises(BundleError, match="zip"):
        extract_bundle_zip(bytes(data), tmp_path / "out")
    written = sum(
        p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert written <= 10
