"""Issue 22 items 3, 4 and 9 through the pages: quantiles, horizons, fan chart."""

from __future__ import annotations

import pytest

from core.config import TrainConfig
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import RUN_SECONDS, open_page
from tests.support.configs import forecast_config
from tests.support.tables import forecast_table
from ui import state

pytestmark = pytest.mark.slow

QUANTILES = (0.1, 0.5, 0.9)


def _quantile_config():
    config = forecast_config(split="time", horizon=None, horizons=3, season=4)
    train = TrainConfig(epochs=1, batch_size=16, quantiles=QUANTILES)
    return config.replace(train=train)


@pytest.fixture(scope="module")
def quantile_run():
    """One finished one-epoch quantile forecast of three steps (embedding only)."""
    executor = LocalExecutor(RunStore())
    frame = forecast_table(steps=60)
    run = executor.submit(frame, _quantile_config(), ("embedding",), "levels.csv")
    record = executor.wait(run.id, timeout=RUN_SECONDS)
    assert record.status is RunStatus.DONE, record.error
    return record


def test_predictions_page_shows_horizons_quantiles_and_the_fan_chart(quantile_run):
    app = open_page("predictions", {state.OPEN_RUN: quantile_run.id})
    assert not app.exception, app.exception
    charts = app.get("plotly_chart")
    assert len(charts) >= 2
    tables = [element.value for element in app.dataframe]
    summary = next(t for t in tables if "measure" in getattr(t, "columns", ()))
    measures = list(summary["measure"])
    assert "pinball loss P10" in measures
    assert "q-risk P90" in measures
    assert any(m.startswith("coverage P10–P90") for m in measures)
    predictions = next(t for t in tables if "input_end" in getattr(t, "columns", ()))
    assert {"P10", "P50", "P90", "horizon", "persistence"} <= set(predictions)
    app.selectbox(key="forecast_step").select(3).run()
    assert not app.exception


def test_configure_page_sets_horizons_quantiles_and_calibration():
    config = forecast_config()
    frame = forecast_table()
    seeded = {
        state.DATA: frame,
        state.DATA_NAME: "levels.csv",
        state.DATA_FINGERPRINT: "test:levels",
        state.DATA_NOTES: [],
        state.CONFIG: config,
    }
    app = open_page("configure", seeded)
    assert not app.exception, app.exception
    app.checkbox(key="cfg_every_step").check()
    app.text_input(key="cfg_quantiles").input("0.1, 0.5, 0.9")
    app.checkbox(key="cfg_calibrate").check()
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    saved = app.session_state[state.CONFIG]
    assert saved.data.horizons == saved.data.horizon == config.data.horizon
    assert saved.train.quantiles == QUANTILES
    assert saved.train.calibrate_intervals is True


def test_configure_page_adds_calendar_features_in_one_click():
    frame = forecast_table()
    frame["step"] = [f"2024-03-{1 + s:02d}" for s in frame["step"]]  # daily rows
    seeded = {
        state.DATA: frame,
        state.DATA_NAME: "levels.csv",
        state.DATA_FINGERPRINT: "test:daily-levels",
        state.DATA_NOTES: [],
        state.CONFIG: forecast_config(),
    }
    app = open_page("configure", seeded)
    app.checkbox(key="cfg_calendar").check()
    app.multiselect(key="cfg_known_future").select("driver")
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    saved = app.session_state[state.CONFIG]
    # Daily rows: no hour of day.
    assert saved.data.time_features == ("day_of_week", "month")
    assert saved.data.known_future == ("driver", "day_of_week", "month")
