"""Configure page: unseen held-out months are named and counted per part."""

from __future__ import annotations

from core.config import ColumnSpec, DataConfig, ExperimentConfig, SplitConfig
from tests.support.app import open_page, shown
from tests.support.tables import monthly_table
from ui import state


def _seeded(split: str) -> dict:
    config = ExperimentConfig(
        data=DataConfig(
            target_column="sales",
            id_column="store",
            time_column="date",
            categorical_columns=(ColumnSpec("month"), ColumnSpec("promo")),
            task="regression",
            framing="window",
            window=3,
            horizon=1,
        ),
        split=SplitConfig(method=split),
    )
    return {
        state.DATA: monthly_table(months=24),
        state.DATA_NAME: "sales.csv",
        state.DATA_FINGERPRINT: "test:sales",
        state.DATA_NOTES: [],
        state.CONFIG: config,
    }


def _month_warnings(app) -> list[str]:
    return [text for text in (shown(w.value) for w in app.warning) if "'month'" in text]


def test_time_split_warns_that_test_months_never_reach_training():
    app = open_page("configure", _seeded("time"))
    assert not app.exception, app.exception
    (warning,) = _month_warnings(app)
    assert "never occur in the training rows under a time split" in warning
    assert "'2024-07'" in warning
    assert "data.time_features = ['month']" in warning
    # The value audit counts each month in the part of the split it lies in.
    app.selectbox(key="advisor_column").select("month").run()
    audit = next(t.value for t in app.dataframe if "status" in t.value.columns)
    rows = audit.set_index("value")
    assert rows.loc["2024-12", ["train", "test"]].tolist() == [0, 6]
    assert rows.loc["2024-12", "status"] == "never seen in training"


def test_entity_split_with_every_month_seen_shows_no_such_warning():
    app = open_page("configure", _seeded("entity"))
    assert not app.exception, app.exception
    assert _month_warnings(app) == []
