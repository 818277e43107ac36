"""Every page through AppTest: guards, seeded states and the full flow."""

from __future__ import annotations

import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from tests.support.app import PAGES, errors_of, open_page, shown, train_here
from ui import state


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_without_data(page):
    app = open_page(page)
    assert not app.exception
    # The Runs page lists the run history, which needs no data of this session.
    if page not in ("home", "data", "runs"):
        assert app.info, f"{page} should explain what to do first"


def test_start_button_loads_sample_and_opens_data_page():
    app = open_page("home")
    app.button(key="home_sample").click().run()
    assert not app.exception
    assert app.session_state[state.DATA_NAME] == "predictive_maintenance"
    assert any("Rows" == metric.label for metric in app.metric)


def test_data_page_shows_preview_and_schema(sample_state):
    app = open_page("data", sample_state)
    assert not app.exception
    assert len(app.dataframe) == 2
    roles = app.dataframe[1].value.set_index("column")["role"]
    assert roles["machine_id"] == "id"


def test_bad_upload_gives_a_message_not_a_traceback():
    app = open_page("data")
    app.file_uploader(key="data_upload").upload(
        "broken.csv", b"\x00\x01\x02\xff\xfe", "text/csv"
    ).run()
    assert not app.exception
    assert errors_of(app)


def test_new_upload_clears_downstream_state(sample_state):
    stale = {state.CONFIG: "stale", state.OPEN_RUN: "20200101-000000-abcdef"}
    app = open_page("data", {**sample_state, **stale})
    csv = b"id,t,kind,y\n1,0,a,0\n1,1,b,1\n2,0,a,0\n2,1,a,1\n"
    app.file_uploader(key="data_upload").upload("small.csv", csv, "text/csv").run()
    assert not app.exception
    assert app.session_state[state.DATA_NAME] == "small.csv"
    assert state.CONFIG not in app.session_state
    assert state.OPEN_RUN not in app.session_state


def _small_config(frame_columns) -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column="failure",
            id_column="machine_id",
            time_column="timestamp",
            categorical_columns=(ColumnSpec("machine_type", 3),),
            numeric_columns=tuple(
                c for c in ("temperature", "vibration") if c in frame_columns
            ),
            framing="window",
            window=10,
            stride=10,
            horizon=10,
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=1, batch_size=128),
    )


def test_configure_form_saves_a_config_and_shows_preflight(sample_state):
    app = open_page("configure", sample_state)
    assert not app.exception
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    assert isinstance(app.session_state[state.CONFIG], ExperimentConfig)
    assert any(metric.label == "Training examples" for metric in app.metric)


def test_bundled_data_prefills_its_intended_roles(sample_state):
    # Inference alone would pick ``rul``; the registry says ``failure``, windowed.
    app = open_page("configure", sample_state)
    assert app.selectbox(key="cfg_target").value == "failure"
    features = app.multiselect(key="cfg_categorical").value
    features += app.multiselect(key="cfg_numeric").value
    assert "rul" not in features
    assert app.number_input(key="cfg_horizon").value == 10
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    config = app.session_state[state.CONFIG]
    assert (config.data.target_column, config.data.framing) == ("failure", "window")


def test_saved_embedding_sizes_survive_leaving_the_page(sample_state):
    config = _small_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    saved = app.session_state[state.CONFIG].data.categorical_columns
    assert saved == config.data.categorical_columns


def test_preflight_shows_what_validation_will_repair(sample_state):
    # Rows out of time order: training sorts them, and the page says so.
    frame = sample_state[state.DATA].sample(frac=1.0, random_state=0)
    config = _small_config(frame.columns)
    app = open_page(
        "configure", {**sample_state, state.DATA: frame, state.CONFIG: config}
    )
    assert not app.exception
    warnings = [shown(element.value) for element in app.warning]
    expected = "rows are not in order; they will be sorted by machine_id and timestamp"
    assert expected in warnings, warnings


def test_invalid_setting_is_explained_next_to_the_form(sample_state):
    app = open_page("configure", sample_state)
    app.text_input(key="cfg_units").input("64,abc")
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception
    assert any("Recurrent units" in message for message in errors_of(app))


def _predicted_column(app):
    tables = [t.value for t in app.dataframe if "predicted" in t.value.columns]
    return tables[0]["predicted"].astype(int)


@pytest.mark.slow
def test_full_flow_train_predict_embed(sample_state):
    config = _small_config(sample_state[state.DATA].columns)
    seeded = {**sample_state, state.CONFIG: config, state.TRAIN_TWIN: True}
    app = open_page("train", seeded)
    assert not app.exception
    record = train_here(app)
    assert record.status.value == "done", record.error
    assert app.session_state[state.OPEN_RUN] == record.id
    table = app.dataframe[0].value
    # A window with a horizon is a forecast: persistence and seasonal naive
    # (daily rows: season 7) stand beside the majority class.
    assert list(table["model"])[:3] == [
        "embedding LSTM",
        "onehot LSTM",
        "baseline (majority_class)",
    ]
    assert "baseline (last observed)" in list(table["model"])
    app.switch_page("pages/predictions.py").run()
    assert not app.exception
    assert app.dataframe, "predictions table expected"
    # The decision threshold moves the table's hard predictions.
    app.slider(key="pred_threshold").set_value(0.01).run()
    assert not app.exception
    predicted = _predicted_column(app)
    app.slider(key="pred_threshold").set_value(0.99).run()
    assert (_predicted_column(app) == 1).sum() < (predicted == 1).sum()
    app.switch_page("pages/embeddings.py").run()
    assert not app.exception
    app.radio(key="emb_dimensions").set_value(3).run()
    assert not app.exception
    app.radio(key="emb_colour").set_value("cluster").run()
    assert not app.exception
    app.slider(key="emb_clusters").set_value(2).run()
    assert not app.exception
