"""Task follows Target on the configure page (issue 23, item 3)."""

from __future__ import annotations

import numpy as np

from sample_data.air_quality import make_air_quality_table
from tests.support.app import open_page


def _configure_page():
    table = make_air_quality_table(stations=3, hours=120)
    table["rained"] = np.where(np.arange(len(table)) % 3 == 0, "yes", "no")
    app = open_page("data")
    csv = table.to_csv(index=False).encode()
    app.file_uploader(key="data_upload").upload("air.csv", csv, "text/csv").run()
    app.switch_page("pages/configure.py").run()
    assert not app.exception, app.exception
    return app


def test_choosing_a_yes_no_target_sets_the_task_to_binary():
    app = _configure_page()
    app.selectbox(key="cfg_target").set_value("PM2.5").run()
    assert app.selectbox(key="cfg_task").value == "regression"
    app.selectbox(key="cfg_target").set_value("rained").run()
    assert not app.exception, app.exception
    assert app.selectbox(key="cfg_task").value == "binary"
    app.selectbox(key="cfg_target").set_value("wd").run()
    assert app.selectbox(key="cfg_task").value == "multiclass"


def test_a_task_the_user_chose_stays_when_the_target_changes():
    app = _configure_page()
    app.selectbox(key="cfg_target").set_value("PM2.5").run()
    app.selectbox(key="cfg_task").set_value("multiclass").run()
    app.selectbox(key="cfg_target").set_value("rained").run()
    assert not app.exception, app.exception
    assert app.selectbox(key="cfg_task").value == "multiclass"
