"""Pages on a table the studio has never seen (shaped like Beijing air quality)."""

from __future__ import annotations

import pytest

from sample_data.air_quality import make_air_quality_table
from tests.support.app import open_page, shown
from ui import state


def _csv(frame) -> bytes:
    return frame.to_csv(index=False).encode()


def _upload(app, frame, name="air.csv"):
    app.file_uploader(key="data_upload").upload(name, _csv(frame), "text/csv").run()
    assert not app.exception, app.exception
    return app


def _schema_roles(app):
    tables = [t.value for t in app.dataframe if "role" in t.value.columns]
    return tables[0].set_index("column")


@pytest.fixture
def air_table():
    return make_air_quality_table(stations=3, hours=120)


def test_date_parts_become_a_derived_timestamp_that_survives_reruns(air_table):
    app = _upload(open_page("data"), air_table)
    infos = [shown(element.value) for element in app.info]
    assert any("parts of a date" in text for text in infos), infos
    app.button(key="data_build_timestamp").click().run()
    assert not app.exception, app.exception
    roles = _schema_roles(app)
    assert roles.loc["timestamp", "role"] == "time"
    assert roles.loc["timestamp", "derived"] == "derived from year, month, day, hour"
    # The uploader still holds the raw file: a rerun must not bring it back.
    app.run()
    assert "timestamp" in app.session_state[state.DATA].columns
    assert _schema_roles(app).loc["timestamp", "role"] == "time"


def test_a_mostly_numeric_column_can_be_read_with_its_text_as_missing(air_table):
    air_table["PM2.5"] = air_table["PM2.5"].astype(object)
    air_table.loc[7, "PM2.5"] = "high"
    app = _upload(open_page("data"), air_table)
    assert _schema_roles(app).loc["PM2.5", "role"] == "numeric"
    infos = [shown(element.value) for element in app.info]
    assert any("'PM2.5'" in text and "'high'" in text for text in infos), infos
    app.button(key="data_blank_text").click().run()
    assert not app.exception
    frame = app.session_state[state.DATA]
    assert frame["PM2.5"].dtype == float
    assert frame["PM2.5"].isna().sum() == 1


def test_schema_cache_does_not_hash_the_table():
    import inspect

    from ui import data

    parameters = inspect.signature(data._schema.__wrapped__).parameters
    frames = [name for name in parameters if "frame" in name]
    assert frames
    assert all(name.startswith("_") for name in frames)


SAVE = "FormSubmitter:experiment_form-Save configuration"


def _bundled_state(name: str) -> dict:
    from ui.data import dataset_from_bundled

    dataset = dataset_from_bundled(name)
    return {
        state.DATA: dataset.frame,
        state.DATA_NAME: dataset.name,
        state.DATA_FINGERPRINT: dataset.fingerprint,
        state.DATA_NOTES: [],
    }


def test_saving_keeps_the_bundled_target_cap():
    app = open_page("configure", _bundled_state("cmapss_fd004"))
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG].data.target_cap == 125


def test_saving_unchanged_widgets_changes_nothing_in_the_config(sample_state):
    import dataclasses

    from ui.data import dataset_from_bundled, suggested_config

    base = suggested_config(dataset_from_bundled("predictive_maintenance"))
    config = base.replace(
        data=dataclasses.replace(
            base.data,
            max_categories=7,
            numeric_scaling="minmax",
            missing_indicators=False,
        ),
        model=dataclasses.replace(
            base.model,
            recurrent_dropout=0.1,
            category_dropout=0.05,
            encoding="onehot",
            lstm_units=(8,),
        ),
        train=dataclasses.replace(base.train, jit_compile=True, epochs=1),
    )
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    saved = app.session_state[state.CONFIG]
    # The size table writes each default size explicitly; nothing else changes.
    sizes = saved.data.categorical_columns
    assert [spec.name for spec in sizes] == list(config.data.categorical_names)
    unsized = dataclasses.replace(
        saved.data, categorical_columns=base.data.categorical_columns
    )
    assert saved.replace(data=unsized) == config


def test_only_the_chosen_framings_fields_are_shown(sample_state):
    app = open_page("configure", sample_state)  # bundled: sliding windows
    keys = {element.key for element in app.number_input}
    assert {"cfg_window", "cfg_stride", "cfg_horizon"} <= keys
    assert "cfg_max_length" not in keys
    assert not [s for s in app.selectbox if s.key == "cfg_reduction"]
    app.radio(key="cfg_framing").set_value("sequence").run()
    keys = {element.key for element in app.number_input}
    assert "cfg_max_length" in keys
    assert not {"cfg_window", "cfg_stride", "cfg_horizon"} & keys
    app.button(key=SAVE).click().run()
    saved = app.session_state[state.CONFIG].data
    assert (saved.framing, saved.horizon) == ("sequence", None)


def _uploaded_air_table(air_table):
    app = _upload(open_page("data"), air_table)
    app.switch_page("pages/configure.py").run()
    assert not app.exception, app.exception
    return app


def test_a_column_freed_from_the_target_role_rejoins_the_features(air_table):
    app = _uploaded_air_table(air_table)
    assert app.selectbox(key="cfg_target").value == "WSPM"
    captions = " ".join(shown(c.value) for c in app.caption)
    assert "No column is named like a target" in captions
    app.selectbox(key="cfg_target").set_value("PM2.5").run()
    assert "WSPM" in app.multiselect(key="cfg_numeric").value
    assert "PM2.5" not in app.multiselect(key="cfg_numeric").value
    old_time = app.selectbox(key="cfg_time").value
    other_time = "day" if old_time == "No" else "No"
    app.selectbox(key="cfg_time").set_value(other_time).run()
    chosen = app.multiselect(key="cfg_categorical").value
    chosen += app.multiselect(key="cfg_numeric").value
    assert old_time in chosen


def test_task_label_never_contradicts_the_choice(air_table):
    app = _uploaded_air_table(air_table)
    task = app.selectbox(key="cfg_task")
    assert task.label == "Task"
    app.selectbox(key="cfg_target").set_value("wd").run()
    app.selectbox(key="cfg_task").set_value("regression").run()
    captions = [shown(c.value) for c in app.caption]
    assert "The target's values suggest 'multiclass'." in captions


def test_default_settings_on_an_upload_warn_about_too_few_examples(air_table):
    app = _uploaded_air_table(air_table)
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    warnings = [shown(w.value) for w in app.warning]
    assert any("training example(s): too few" in w for w in warnings), warnings
    assert any("sliding windows" in w for w in warnings)


def test_no_success_message_next_to_a_preflight_error(sample_state):
    # Binary target with many values: saved, but the pre-flight refuses it.
    app = open_page("configure", sample_state)
    app.selectbox(key="cfg_target").set_value("rul").run()
    app.selectbox(key="cfg_task").set_value("binary").run()
    app.number_input(key="cfg_horizon").set_value(0).run()
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert app.error
    assert not app.success


def test_config_round_trips_through_json_download_and_upload(sample_state):
    app = open_page("configure", sample_state)
    app.button(key=SAVE).click().run()
    saved = app.session_state[state.CONFIG]
    downloads = [b for b in app.get("download_button") if "JSON" in str(b.proto)]
    assert downloads
    changed = saved.replace(train=saved.train.__class__(epochs=3, batch_size=16))
    app.session_state[state.CONFIG] = None
    app.file_uploader(key="config_upload").upload(
        "config.json", changed.to_json().encode(), "application/json"
    ).run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG] == changed
    assert app.number_input(key="cfg_epochs").value == 3


@pytest.fixture(scope="module")
def bundles():
    """An embedding and a one-hot bundle, built (untrained) on the air table."""
    import numpy as np

    keras = pytest.importorskip("keras")
    from core.config import ColumnSpec, DataConfig, ExperimentConfig, ModelConfig
    from core.examples.prepare import prepare_experiment
    from core.model.bundle import Bundle
    from core.model.network import build_model

    table = make_air_quality_table(stations=3, hours=60)
    table["side"] = np.where(table["station"] == "Station1", "north", "south")
    config = ExperimentConfig(
        data=DataConfig(
            target_column="PM2.5",
            id_column="station",
            time_column="No",
            categorical_columns=(ColumnSpec("wd"), ColumnSpec("side")),
            numeric_columns=("TEMP",),
            task="regression",
            framing="window",
            window=6,
        ),
        model=ModelConfig(lstm_units=(4,), dense_units=0),
    )
    preprocessor = prepare_experiment(table, config).preprocessor
    # As read back from metrics.json: keys sorted alphabetically.
    metrics = {
        "task": "regression",
        "test": {"mae": 1.0, "n": 40, "r2": 0.5, "rmse": 2.0},
    }
    made = {}
    for encoding in ("embedding", "onehot"):
        keras.utils.set_random_seed(0)
        encoded = config.replace(model=ModelConfig(encoding=encoding, lstm_units=(4,)))
        model = build_model(encoded, preprocessor)
        made[encoding] = Bundle(model, preprocessor, encoded, metrics, {})
    return made


def _with_bundle(bundle) -> dict:
    return {state.LOADED_BUNDLE: bundle}


@pytest.mark.slow
def test_predictions_of_another_model_are_not_shown_and_metrics_keep_order(bundles):
    from ui.new_predictions import NewPrediction

    stale = NewPrediction("other#1", "embedding model (trained here)", "old.csv", None)
    app = open_page(
        "predictions", {**_with_bundle(bundles["embedding"]), state.PREDICTION: stale}
    )
    assert not app.exception, app.exception
    tables = [t.value for t in app.dataframe]
    assert list(tables[0].columns) == ["rmse", "mae", "r2", "n"]
    assert not any("old.csv" in shown(c.value) for c in app.caption)
    assert len(tables) == 1


@pytest.mark.slow
def test_a_new_file_with_text_in_the_target_is_predicted_with_a_note(bundles):
    new = make_air_quality_table(stations=2, hours=40, seed=4).assign(side="north")
    new["PM2.5"] = new["PM2.5"].astype(object)
    new.loc[20, "PM2.5"] = "high"
    app = open_page("predictions", _with_bundle(bundles["embedding"]))
    app.file_uploader(key="pred_new_file").upload(
        "new.csv", _csv(new), "text/csv"
    ).run()
    app.checkbox(key="pred_last_only").check().run()
    app.button(key="pred_run").click().run()
    assert not app.exception, app.exception
    captions = " ".join(shown(c.value) for c in app.caption)
    assert "embedding model (loaded bundle) on new.csv" in captions
    infos = " ".join(shown(i.value) for i in app.info)
    assert "only n = 2 labelled example(s)" in infos
    app.checkbox(key="pred_last_only").uncheck().run()
    app.button(key="pred_run").click().run()
    infos = " ".join(shown(i.value) for i in app.info)
    assert "'high'" in infos
    assert "left out of the metrics" in infos


@pytest.mark.slow
def test_neighbours_of_a_two_category_column_need_no_slider(bundles):
    app = open_page("embeddings", _with_bundle(bundles["embedding"]))
    assert not app.exception, app.exception
    app.selectbox(key="emb_column").set_value("side").run()
    assert not app.exception, app.exception
    assert not [s for s in app.slider if s.key == "emb_k"]
    neighbours = [t.value for t in app.dataframe if "similarity" in t.value.columns]
    assert len(neighbours[0]) == 1


@pytest.mark.slow
def test_the_one_hot_twin_draws_no_map(bundles):
    app = open_page("embeddings", _with_bundle(bundles["onehot"]))
    assert not app.exception, app.exception
    assert any("no learned structure" in shown(i.value) for i in app.info)
    assert not app.get("plotly_chart")


def test_the_advisor_histogram_is_drawn_only_on_request(sample_state):
    # A chart in the closed expander cost seconds of browser redraw per save.
    app = open_page("configure", sample_state)
    assert not app.get("plotly_chart")
    app.toggle(key="advisor_show_histogram").set_value(True).run()
    assert not app.exception, app.exception
    assert app.get("plotly_chart")


def test_the_bundle_uploader_runs_only_when_opened():
    # An uploaded bundle is loaded with Keras in the server; a run's model
    # predicts in the model worker. A closed uploader must not import
    # TensorFlow (tests/app/test_no_tensorflow_pages.py checks the imports).
    app = open_page("predictions")
    assert not app.exception, app.exception
    assert not [u for u in app.get("file_uploader") if u.key == "pred_bundle_upload"]


def test_tensorflow_is_imported_in_the_background_when_the_bundle_uploader_opens():
    from ui import warmup

    app = open_page("predictions", {"pred_bundle_box": True})
    assert not app.exception, app.exception
    assert [u for u in app.get("file_uploader") if u.key == "pred_bundle_upload"]
    assert warmup._STARTED, "opening the uploader should start the import"
    thread = warmup.warm_tensorflow()
    assert thread is warmup._STARTED[0]
    thread.join(timeout=300)
    import sys

    assert "core.model.bundle" in sys.modules
