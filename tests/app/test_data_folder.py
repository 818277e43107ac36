"""The data page's server folder: schema and a sample of Parquet shards, not all."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.app import errors_of, open_page


@pytest.fixture
def shards(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    for number in range(3):
        table = pa.table(
            {
                "entity": [f"e{number}{i:03d}" for i in range(400)],
                "step": list(range(400)),
                "kind": ["a", "b"] * 200,
                "y": [0, 1] * 200,
            }
        )
        pq.write_table(table, folder / f"part-{number}.parquet", row_group_size=100)
    return folder


def _preview(app, text: str):
    app.text_input(key="data_folder_path").input(text)
    app.button(key="data_folder_preview").click().run()
    return app


def test_folder_preview_shows_schema_and_sample(shards, monkeypatch):
    monkeypatch.delenv("SEQ_EMBED_DATA_ROOT", raising=False)
    app = _preview(open_page("data"), str(shards))
    assert not app.exception
    assert not errors_of(app)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Files"] == "3"
    assert metrics["Rows"] == "1,200"
    tables = [table.value for table in app.dataframe]
    samples = [t for t in tables if "entity" in t.columns]
    assert [len(t) for t in samples] == [200]
    schemas = [t for t in tables if "type" in t.columns]
    assert [list(t["column"]) for t in schemas] == [["entity", "step", "kind", "y"]]
    assert str(shards) in app.code[0].value


def test_folder_outside_the_data_root_is_refused(shards, tmp_path, monkeypatch):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    monkeypatch.setenv("SEQ_EMBED_DATA_ROOT", str(allowed))
    app = _preview(open_page("data"), str(shards))
    assert not app.exception
    assert any("expected a folder under" in error for error in errors_of(app))


def test_folder_without_parquet_files_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SEQ_EMBED_DATA_ROOT", raising=False)
    app = _preview(open_page("data"), str(tmp_path))
    assert not app.exception
    assert any(".parquet files" in error for error in errors_of(app))
