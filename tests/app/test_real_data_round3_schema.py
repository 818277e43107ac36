"""The data page's schema hints on a Beijing-shaped table (issue 23, item 11)."""

from __future__ import annotations

from sample_data.air_quality import make_air_quality_table
from tests.support.app import open_page, shown


def test_the_build_a_timestamp_hint_and_button_go_once_it_is_built():
    table = make_air_quality_table(stations=3, hours=120)
    app = open_page("data")
    csv = table.to_csv(index=False).encode()
    app.file_uploader(key="data_upload").upload("air.csv", csv, "text/csv").run()
    assert not app.exception, app.exception
    assert [b for b in app.button if b.key == "data_build_timestamp"]
    app.button(key="data_build_timestamp").click().run()
    assert not app.exception, app.exception
    infos = [shown(element.value) for element in app.info]
    assert not any("parts of a date" in text for text in infos), infos
    assert not [b for b in app.button if b.key == "data_build_timestamp"]
