"""core._fs: atomic writes, staged folders, folders replaced without a gap, locks;
and the Ray executor's returned files, which go through them."""

from __future__ import annotations

import sys
import threading

import pytest

from core import _fs
from core._fs import (
    atomic_write_json,
    atomic_write_text,
    file_lock,
    replace_directory,
    staged_directory,
    try_lock,
)
from core.config import ColumnSpec, DataConfig, ExperimentConfig
from core.runs.executors.ray_cluster import receive_files
from core.runs.store import RunStore
from tests.support.tables import make_long_table


def test_an_atomic_write_leaves_only_the_target(tmp_path):
    target = tmp_path / "record.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_text(target, '{"a": 2}')
    assert target.read_text() == '{"a": 2}'
    assert [path.name for path in tmp_path.iterdir()] == ["record.json"]


def test_a_failed_write_keeps_the_old_content(tmp_path):
    target = tmp_path / "record.json"
    atomic_write_text(target, "old")

    def half_then_fail(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _fs.atomic_write(target, half_then_fail)
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["record.json"]


def test_a_failed_staged_folder_leaves_the_old_folder(tmp_path):
    target = tmp_path / "bundle"
    with staged_directory(target) as staging:
        (staging / "model").write_text("old")

    def crash_while_writing() -> None:
        with staged_directory(target) as staging:
            (staging / "model").write_text("new")
            raise RuntimeError("crashed while writing")

    with pytest.raises(RuntimeError, match="crashed"):
        crash_while_writing()
    assert (target / "model").read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["bundle"]


@pytest.mark.parametrize("exchange", [True, False], ids=["swap", "two-renames"])
def test_replacing_a_folder_keeps_nothing_of_the_old_one(
    tmp_path, monkeypatch, exchange
):
    if not exchange:
        monkeypatch.setattr(_fs, "_exchange", lambda first, second: False)
    target = tmp_path / "models"
    (target / "stale").mkdir(parents=True)
    staging = tmp_path / "staging"
    (staging / "embedding").mkdir(parents=True)
    replace_directory(staging, target)
    assert [path.name for path in target.iterdir()] == ["embedding"]
    assert [path.name for path in tmp_path.iterdir()] == ["models"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2: Linux")
def test_folders_are_swapped_in_one_step_on_linux(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "a").touch()
    assert _fs._exchange(first, second)
    assert (second / "a").exists()
    assert not (first / "a").exists()


def test_a_lock_excludes_other_holders_until_released(tmp_path):
    path = tmp_path / "slot.lock"
    held = try_lock(path)
    assert held is not None
    assert try_lock(path) is None, "a second holder in this process"
    seen = []
    thread = threading.Thread(target=lambda: seen.append(try_lock(path)))
    thread.start()
    thread.join()
    assert seen == [None], "a second holder in another thread"
    held.release()
    with file_lock(path):
        assert try_lock(path) is None
    again = try_lock(path)
    assert again is not None
    again.release()


@pytest.fixture
def run(tmp_path):
    store = RunStore(tmp_path / "runs")
    config = ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind"),),
            task="binary",
        )
    )
    return store, store.create(make_long_table(), config, ("embedding",), "t.csv")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2: Linux")
def test_returned_files_replace_a_folder_without_a_moment_without_it(run):
    store, record = run
    model = store.bundle_path(record.id, "embedding") / "model.keras"
    receive_files(store, record.id, {"models/embedding/model.keras": b"first"})
    missing, done = [], threading.Event()

    def watch() -> None:
        while not done.is_set():
            if not model.is_file():
                missing.append(True)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for round_number in range(30):
            content = f"round {round_number}".encode()
            receive_files(store, record.id, {"models/embedding/model.keras": content})
    finally:
        done.set()
        watcher.join()
    assert not missing
    assert model.read_bytes() == b"round 29"
    assert not list(record.path.glob(".incoming-*"))
