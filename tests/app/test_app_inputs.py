"""Bad uploads and concurrent sessions through the real app (streamlit AppTest)."""

from __future__ import annotations

import pytest

from core.config import TrainConfig
from core.model.bundle import load_bundle
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import errors_of, infos_of, open_page
from tests.support.robust import tiny_config, tiny_csv, tiny_table
from ui import state

#: name -> (file name, bytes, words the st.error must hold).
BAD_UPLOADS = {
    "empty": ("empty.csv", b"", "received an empty file 'empty.csv'"),
    "header-only": ("h.csv", b"a,b,label\n", "received only the header"),
    "binary": ("x.csv", bytes(range(256)) * 4, "received binary data"),
    "xlsx": ("book.csv", b"PK\x03\x04" + b"\x00" * 64, "Excel workbook (.xlsx)"),
    "duplicate-columns": ("d.csv", b"a,a,label\n1,2,0\n", "duplicates: 'a'"),
    "bad-parquet": ("t.parquet", b"a,b\n1,2\n", "starting with 'PAR1'"),
}


@pytest.mark.parametrize(
    ("name", "content", "message"), list(BAD_UPLOADS.values()), ids=list(BAD_UPLOADS)
)
def test_bad_upload_shows_a_specific_error(name, content, message):
    app = open_page("data")
    app.file_uploader(key="data_upload").upload(name, content, "text/csv").run()
    assert not app.exception
    errors = errors_of(app)
    assert len(errors) == 1
    assert message in errors[0]


def test_repaired_upload_shows_what_was_fixed():
    content = tiny_table().to_csv(index=False, sep=";").encode("latin-1")
    app = open_page("data")
    app.file_uploader(key="data_upload").upload("x.csv", content, "text/csv").run()
    assert not app.exception
    assert not app.error
    assert any("delimiter ';' detected" in info for info in infos_of(app))


def test_bad_upload_keeps_the_data_and_settings_already_loaded():
    app = open_page("data")
    uploader = app.file_uploader(key="data_upload")
    uploader.upload("good.csv", tiny_csv(), "text/csv").run()
    app.session_state[state.CONFIG] = tiny_config()
    app.file_uploader(key="data_upload").upload("bad.csv", b"", "text/csv").run()
    assert not app.exception
    assert errors_of(app)
    assert app.session_state[state.DATA_NAME] == "good.csv"
    assert len(app.session_state[state.DATA]) == len(tiny_table())
    assert app.session_state[state.CONFIG] == tiny_config()


def _seeded(frame, config, name: str) -> dict:
    return {
        state.DATA: frame,
        state.DATA_NAME: name,
        state.DATA_FINGERPRINT: f"test:{name}",
        state.DATA_NOTES: [],
        state.CONFIG: config,
        state.TRAIN_TWIN: False,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.assign(label=1), "column 'label': expected at least two"),
        (lambda df: df.assign(step="soon"), "column 'step': expected integers"),
        (lambda df: df.assign(reading="n/a"), "column 'reading': expected numbers"),
    ],
    ids=["constant-target", "unparsable-time", "numeric-text"],
)
def test_configure_page_reports_unusable_data_by_column(change, message):
    frame = change(tiny_table())
    app = open_page("configure", _seeded(frame, tiny_config(), "bad.csv"))
    assert not app.exception
    assert any(message in error for error in errors_of(app)), errors_of(app)


def _start_training(frame, config, name: str):
    app = open_page("train", _seeded(frame, config, name))
    app.button(key="train_start").click().run()
    assert not app.exception
    return app, app.session_state[state.CURRENT_RUN]


@pytest.mark.slow
def test_two_sessions_training_at_once_keep_their_own_results(monkeypatch):
    # Each session submits its own run; both train at once in their own
    # processes, as on a shared server with two training slots.
    monkeypatch.setenv("SEQ_EMBED_MAX_TRAINING", "2")
    first_frame = tiny_table(entities=8, seed=1)
    second_frame = tiny_table(entities=12, seed=2).assign(
        kind=lambda df: df["kind"].map({"a": "north", "b": "south", "c": "east"})
    )
    three_epochs = TrainConfig(epochs=3, batch_size=2, patience=3)
    cases = {
        "first.csv": (first_frame, tiny_config().replace(train=three_epochs)),
        "second.csv": (
            second_frame,
            tiny_config(framing="window", window=3).replace(train=three_epochs),
        ),
    }
    sessions = {
        name: _start_training(frame, config, name)
        for name, (frame, config) in cases.items()
    }
    (_, first_id), (_, second_id) = sessions.values()
    assert first_id != second_id
    executor = LocalExecutor(RunStore())
    records = {
        name: executor.wait(run_id, timeout=240)
        for name, (_, run_id) in sessions.items()
    }
    first, second = records.values()
    assert second.started < first.finished  # the two runs overlapped
    for name, (frame, config) in cases.items():
        app, run_id = sessions[name]
        app.run()
        assert not app.exception
        assert records[name].status is RunStatus.DONE, records[name].error
        assert records[name].config == config
        assert app.session_state[state.OPEN_RUN] == run_id
        bundle = load_bundle(executor.store.bundle_path(run_id, "embedding"))
        vocabulary = set(bundle.preprocessor.vocabularies_["kind"])
        assert vocabulary == set(frame["kind"])
        assert records[name].rows == len(frame)
        assert app.session_state[state.DATA_NAME] == name


@pytest.mark.slow
def test_previous_results_survive_a_new_run_that_is_cancelled():
    executor = LocalExecutor(RunStore())
    previous = executor.submit(tiny_table(), tiny_config(), ("embedding",), "x.csv")
    assert executor.wait(previous.id, timeout=240).status is RunStatus.DONE
    long = tiny_config().replace(
        train=TrainConfig(epochs=500, batch_size=2, patience=500)
    )
    app = open_page(
        "train",
        {**_seeded(tiny_table(), long, "x.csv"), state.OPEN_RUN: previous.id},
    )
    app.button(key="train_start").click().run()
    run_id = app.session_state[state.CURRENT_RUN]
    assert run_id != previous.id
    app.button(key="train_cancel").click().run()
    assert executor.wait(run_id, timeout=120).status is RunStatus.CANCELLED
    app.run()
    assert not app.exception
    assert app.session_state[state.OPEN_RUN] == previous.id


def test_choosing_an_empty_target_column_gives_a_message():
    frame = tiny_table().assign(label=float("nan"))
    seeded = _seeded(frame, None, "empty-target.csv")
    app = open_page("configure", seeded)
    app.selectbox(key="cfg_target").select("label").run()
    assert not app.exception
    assert any("column 'label'" in error for error in errors_of(app))
