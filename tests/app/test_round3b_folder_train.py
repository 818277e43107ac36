"""The Train page trains a folder of Parquet files, streamed (issue 23 item 13).

The data page could preview a folder but only the command line could train on
it. Now "Configure and train on this folder" makes its first rows the table to
configure on, and Train submits a streamed run of every row of the folder.
"""

from __future__ import annotations

import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from tests.support.app import open_page, wait_for_current_run
from tests.support.shards import write_shards
from ui import state

pytestmark = pytest.mark.slow


def folder_config() -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column="y",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind", 2),),
            numeric_columns=("reading",),
            task="binary",
        ),
        model=ModelConfig(lstm_units=(4,), dense_units=0),
        train=TrainConfig(epochs=1, batch_size=16),
    )


def test_a_previewed_folder_is_trained_from_the_train_page(tmp_path, monkeypatch):
    monkeypatch.delenv("SEQ_EMBED_DATA_ROOT", raising=False)
    shards = tmp_path / "events"
    write_shards(shards)
    app = open_page("data")
    app.text_input(key="data_folder_path").input(str(shards))
    app.button(key="data_folder_preview").click().run()
    app.button(key="data_folder_use").click().run()
    assert not app.exception, app.exception
    dataset = app.session_state[state.DATA]
    assert len(dataset) == 200  # the first rows, to configure on
    assert app.session_state[state.DATA_FINGERPRINT].startswith("folder:")

    app.session_state[state.CONFIG] = folder_config()
    app.session_state[state.TRAIN_TWIN] = False
    app.switch_page("pages/train.py").run()
    assert not app.exception, app.exception
    captions = " ".join(c.value for c in app.caption)
    assert "1,200 rows in 3 files, streamed" in captions
    app.button(key="train_start").click().run()
    assert not app.exception, app.exception
    record = wait_for_current_run(app)
    assert record.status.value == "done", record.error
    assert record.streamed
    assert record.rows == 1200
    app.run()
    assert not app.exception, app.exception
    assert "Test metrics, side by side" in [s.value for s in app.subheader]
