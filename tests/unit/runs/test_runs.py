"""The run store: records, atomic updates, damaged folders, deletion, liveness."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.runs.executors.local import LocalExecutor
from core.runs.processes import process_alive, process_started
from core.runs.store import (
    RUN_FORMAT_VERSION,
    DamagedRun,
    RunNotFoundError,
    RunRecord,
    RunStatus,
    RunStore,
    default_runs_dir,
    frame_fingerprint,
)
from tests.support.configs import store_config as _config
from tests.support.runs import create_run as _create
from tests.support.tables import make_long_table


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def test_a_new_run_is_queued_with_its_data_stored_once(store):
    first = _create(store)
    second = _create(store)
    assert first.status is RunStatus.QUEUED
    assert first.data_fingerprint == second.data_fingerprint
    assert len(list((store.root / "_data").glob("*.parquet"))) == 1
    assert first.rows == len(make_long_table())
    assert first.entities == 40
    assert store.load_data(first).shape == make_long_table().shape
    payload = json.loads((first.path / "run.json").read_text())
    assert payload["format_version"] == RUN_FORMAT_VERSION
    assert payload["status"] == "queued"
    assert {"tensorflow", "keras", "python"} <= set(payload["versions"])


def test_record_round_trips_through_json(store):
    record = store.update(_create(store).id, status="running", pid=123, owner="a@b")
    again = store.get(record.id)
    assert again == record
    assert again.status is RunStatus.RUNNING
    assert again.config == _config()


def test_listing_is_newest_first(store):
    ids = [_create(store, seed=seed).id for seed in range(3)]
    assert [item.id for item in store.list()] == ids[::-1]


def test_updates_leave_no_temporary_files(store):
    record = _create(store)
    for status in ("running", "done"):
        store.update(record.id, status=status)
    names = {path.name for path in record.path.iterdir()}
    assert names <= {"run.json", ".lock"}


def test_the_first_final_status_wins(store):
    record = _create(store)
    store.finish(record.id, RunStatus.CANCELLED)
    assert store.finish(record.id, RunStatus.INTERRUPTED, "x").status is (
        RunStatus.CANCELLED
    )


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda path: path.write_text('{"id": "trunc'), "not valid JSON"),
        (lambda path: path.unlink(), "run.json is missing"),
        (
            lambda path: path.write_text(
                json.dumps({**json.loads(path.read_text()), "format_version": 99})
            ),
            "newer version",
        ),
        (
            lambda path: path.write_text(
                json.dumps({**json.loads(path.read_text()), "status": "exploded"})
            ),
            "incomplete",
        ),
        (lambda path: path.write_text("[1, 2]"), "not a JSON object"),
    ],
    ids=["truncated", "missing", "newer-format", "bad-status", "not-an-object"],
)
def test_damaged_folders_are_listed_with_a_reason(store, damage, reason):
    healthy = _create(store, seed=1)
    broken = _create(store, seed=2)
    damage(broken.path / "run.json")
    listed = {item.id: item for item in store.list()}
    assert isinstance(listed[healthy.id], RunRecord)
    assert isinstance(listed[broken.id], DamagedRun)
    assert reason in listed[broken.id].reason
    with pytest.raises(RunNotFoundError, match=reason):
        store.get(broken.id)


@pytest.mark.parametrize(
    "run_id", ["../etc", "20261201-000000-abcdef/../x", "", "x" * 30, "a/b"]
)
def test_malformed_ids_never_reach_the_file_system(store, run_id):
    with pytest.raises(RunNotFoundError, match="expected a run id"):
        store.get(run_id)


def test_unknown_id_is_not_found(store):
    with pytest.raises(RunNotFoundError):
        store.get("20200101-000000-abcdef")


def test_deleting_the_last_run_of_a_table_deletes_the_table(store):
    first, second = _create(store), _create(store)
    other = _create(store, seed=5)
    data = store.data_path(first.data_fingerprint)
    store.delete(first.id)
    assert data.is_file(), "still used by the second run"
    store.delete(second.id)
    assert not data.exists()
    assert store.data_path(other.data_fingerprint).is_file()
    assert [item.id for item in store.list()] == [other.id]


def test_a_damaged_run_can_be_deleted(store):
    record = _create(store)
    (record.path / "run.json").write_text("{")
    store.delete(record.id)
    assert store.list() == []


def test_progress_lines_skip_a_line_being_written(store):
    record = _create(store)
    store.append_progress(record.id, {"kind": "phase", "phase": "loading"})
    with (record.path / "progress.jsonl").open("a") as handle:
        handle.write('{"kind": "ba')
    assert [event["phase"] for event in store.progress(record.id)] == ["loading"]


def test_runs_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQ_EMBED_RUNS_DIR", str(tmp_path / "elsewhere"))
    assert default_runs_dir() == tmp_path / "elsewhere"
    assert RunStore().root == tmp_path / "elsewhere"


def test_fingerprint_follows_content_and_types():
    table = make_long_table()
    assert frame_fingerprint(table) == frame_fingerprint(table.copy())
    assert frame_fingerprint(table) != frame_fingerprint(table.assign(reading=0.0))
    changed = table.assign(step=table["step"].astype("float64"))
    assert frame_fingerprint(table) != frame_fingerprint(changed)


def _dead_process() -> tuple[int, float | None]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    started = process_started(child.pid)
    child.kill()
    child.wait()
    return child.pid, started


def test_liveness_sees_live_dead_and_reused_pids():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = process_started(child.pid)
        assert process_alive(child.pid, started)
        assert not process_alive(child.pid, (started or 0) + 10), "a reused pid"
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid, started)
    assert not process_alive(None, None)


def test_a_run_whose_process_died_is_interrupted(store):
    record = _create(store)
    pid, started = _dead_process()
    store.update(record.id, status="running", pid=pid, pid_started=started)
    refreshed = LocalExecutor(store).get(record.id)
    assert refreshed.status is RunStatus.INTERRUPTED
    assert "ended without finishing" in refreshed.error


def test_a_cancelled_run_whose_process_was_terminated_is_cancelled(store):
    record = _create(store)
    pid, started = _dead_process()
    store.update(record.id, status="running", pid=pid, pid_started=started)
    store.request_cancel(record.id)
    assert LocalExecutor(store).get(record.id).status is RunStatus.CANCELLED


def test_queue_positions_follow_creation_order(store):
    records = [_create(store, seed=seed) for seed in range(3)]
    store.update(records[0].id, status="running")
    executor = LocalExecutor(store)
    positions = [executor.queue_position(store.get(r.id)) for r in records]
    assert positions == [None, 1, 2]


def test_status_values_are_the_six_documented_ones():
    assert [status.value for status in RunStatus] == [
        "queued",
        "running",
        "done",
        "failed",
        "cancelled",
        "interrupted",
    ]
    assert [status.final for status in RunStatus] == [False, False] + [True] * 4
