"""A run store written by the code before the move (commit e6e5b17) opens unchanged.

The fixture (tests/fixtures/run_store_before_move, see its README) holds a
finished table run with both encodings and a finished streamed run, exactly
as the old ``python -m core train`` wrote them. Today's code must list them,
read every field, keep them ``done``, show them, load their bundles in safe
mode and predict, and read their progress lines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from core.analysis.evolution import run_vocabulary
from core.runs.executors.local import LocalExecutor
from core.runs.outputs import read_predictions
from core.runs.progress import Phase, PhaseRecord, StepRecord, read_progress_line
from core.runs.store import RunRecord, RunStatus, RunStore
from core.runs.views import live_progress, metrics_side_by_side, run_summary
from tests.support.configs import tiny_run_config
from tests.support.tables import make_long_table

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "run_store_before_move"
TABLE_RUN = "20261203-102007-6e0d84"
STREAMED_RUN = "20261203-102148-f86dff"


@pytest.fixture
def store(tmp_path) -> RunStore:
    """A copy of the fixture store (reading a run takes its lock file)."""
    shutil.copytree(FIXTURE, tmp_path / "runs")
    return RunStore(tmp_path / "runs")


def test_both_runs_are_listed_and_stay_done(store):
    listed = LocalExecutor(store).list()
    assert [item.id for item in listed] == [STREAMED_RUN, TABLE_RUN]
    assert all(isinstance(item, RunRecord) for item in listed)
    assert {item.status for item in listed} == {RunStatus.DONE}


def test_record_fields_read_as_written(store):
    table, streamed = store.get(TABLE_RUN), store.get(STREAMED_RUN)
    assert table.encodings == ("embedding", "onehot")
    assert streamed.encodings == ("embedding",)
    assert table.data_name == "pm_subset.csv"
    assert table.config.data.target_column == "failure"
    assert table.config.model.lstm_units == (4,)
    assert table.rows > 0
    assert table.entities == 40
    assert table.peak_memory_bytes > 0
    assert table.finished > table.started
    # Old records name their process by /proc clock ticks, not a start time.
    assert isinstance(table.pid_start, int)
    assert table.pid_started is None
    # Old records have no `streamed` field: the dataset reference decides.
    assert not table.streamed
    assert streamed.streamed
    assert store.load_data(table).shape[0] == table.rows


def test_views_show_both_runs(store):
    records = store.records()
    summaries = {record.id: run_summary(store, record) for record in records}
    assert summaries[TABLE_RUN]["status"] == "done"
    assert set(summaries[TABLE_RUN]["metrics"]) == {"embedding", "onehot"}
    assert 0.0 <= summaries[TABLE_RUN]["metrics"]["embedding"]["roc_auc"] <= 1.0
    assert set(summaries[STREAMED_RUN]["metrics"]) == {"embedding"}
    side_by_side = metrics_side_by_side(store, records)
    assert "embedding LSTM" in set(side_by_side["model"])
    assert len(store.histories(TABLE_RUN)["onehot"]["loss"]) == 2
    streaming = store.results(STREAMED_RUN)["embedding"]["streaming"]
    assert streaming["rows"] == store.get(STREAMED_RUN).rows


def test_progress_lines_read_as_typed_records_and_write_back_the_same(store):
    for run_id in (TABLE_RUN, STREAMED_RUN):
        lines = store.progress(run_id)
        records = [read_progress_line(line) for line in lines]
        assert all(record is not None for record in records)
        for line, record in zip(lines, records, strict=True):
            expected = {key: value for key, value in line.items() if key != "time"}
            assert record.to_json() == expected
            assert record.time == line["time"]
        phases = [r.phase for r in records if isinstance(r, PhaseRecord)]
        assert phases[0] is Phase.STARTING
        assert phases[-1] is Phase.SAVED
        epochs = [r for r in records if isinstance(r, StepRecord) and r.kind == "epoch"]
        assert len(epochs) == 2 * len(store.get(run_id).encodings)
    progress = live_progress(store.get(TABLE_RUN), store.progress(TABLE_RUN))
    assert progress.fraction == 1.0
    assert set(progress.curves) == {"embedding", "onehot"}


def test_stored_outputs_are_found_where_the_store_says(store):
    record = store.get(TABLE_RUN)
    for encoding in record.encodings:
        table, labels, scores = read_predictions(store, record.id, encoding, "test")
        assert len(table) == len(labels) == len(scores) > 0
    snapshots = sorted(store.snapshots_dir(record.id, "embedding").glob("*.npz"))
    assert [path.stem for path in snapshots] == [
        "epoch_0000",
        "epoch_0001",
        "epoch_0002",
    ]
    assert (store.tensorboard_dir(record.id, "embedding") / "checkpoint").is_file()
    labels, counts = run_vocabulary(store, record, "site")
    assert len(labels) == len(counts) > 0
    assert store.log_path(record.id).is_file()
    assert store.dataset_reference_path(STREAMED_RUN).is_file()


def test_every_bundle_loads_in_safe_mode_and_predicts(store):
    from core.model.bundle import load_bundle, predict

    record = store.get(TABLE_RUN)
    frame = store.load_data(record)
    machines = frame["machine_id"].drop_duplicates().iloc[:2]
    rows = frame[frame["machine_id"].isin(machines)]
    for run in (record, store.get(STREAMED_RUN)):
        for encoding in run.encodings:
            bundle = load_bundle(store.bundle_path(run.id, encoding))
            predicted = predict(bundle, rows).table
            assert len(predicted) > 0
            assert predicted["probability"].between(0.0, 1.0).all()


def _ticks_since_boot(pid: int) -> int:
    """A live process's start as the old code recorded it (Linux clock ticks)."""
    process = psutil.Process(pid)
    clock_ticks = os.sysconf("SC_CLK_TCK")
    return round((process.create_time() - psutil.boot_time()) * clock_ticks)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ticks: Linux")
def test_live_runs_recorded_by_the_old_code_are_judged_by_their_ticks(store):
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    live, killed = subprocess.Popen(sleeper), subprocess.Popen(sleeper)
    try:
        runs = []
        for child in (live, killed):
            record = store.create(
                make_long_table(), tiny_run_config(), ("embedding",), "t.csv"
            )
            ticks = _ticks_since_boot(child.pid)
            store.update(record.id, status="running", pid=child.pid, pid_start=ticks)
            runs.append(record.id)
        killed.kill()
        killed.wait()
        executor = LocalExecutor(store)
        assert executor.get(runs[0]).status is RunStatus.RUNNING
        assert executor.get(runs[1]).status is RunStatus.INTERRUPTED
        # A reused pid: the same process, recorded as started a minute earlier.
        store.update(runs[0], pid_start=_ticks_since_boot(live.pid) - 6000)
        assert executor.get(runs[0]).status is RunStatus.INTERRUPTED
    finally:
        live.kill()
        live.wait()
