"""The study database while its driver creates it and a page reads it.

CI once failed when a reader opened ``optuna.db`` half-way through Optuna
writing its schema: the reader tried to write the schema too and hit a
duplicate version row. The driver now builds the schema under another name.
"""

from __future__ import annotations

import threading

from core.config import DataConfig, ExperimentConfig
from core.runs.store import RunStore
from core.tuning.driver import open_study
from core.tuning.report import load_study
from core.tuning.space import Parameter, SearchSpace
from core.tuning.studies import StudySettings, StudyStore
from tests.support.tables import lagged_signal_table

#: Without the fix, a reader hit the half-written schema within a few studies.
STUDIES = 12


def test_a_reader_polling_while_the_driver_creates_the_database_never_fails(tmp_path):
    store = StudyStore(RunStore(tmp_path / "runs"))
    space = SearchSpace((Parameter("data.window", "categorical", choices=(1, 2)),))
    base = ExperimentConfig(
        DataConfig(
            target_column="y",
            id_column="entity",
            time_column="step",
            numeric_columns=("x",),
            task="binary",
            framing="window",
            window=2,
        )
    )
    settings = StudySettings(base, space, final_seeds=0)
    frame = lagged_signal_table()
    errors: list[BaseException] = []
    for _ in range(STUDIES):
        record = store.create(frame, settings, "lagged.csv")
        stop = threading.Event()

        def poll(record=record, stop=stop) -> None:
            while not stop.is_set():
                try:
                    load_study(record)
                except Exception as error:  # collected, asserted below
                    errors.append(error)
                    return

        reader = threading.Thread(target=poll)
        reader.start()
        open_study(record)
        stop.set()
        reader.join()
        assert load_study(record) is not None
        assert not list(record.path.glob("*.partial"))
    assert not errors, errors[0]
