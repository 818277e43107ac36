"""Horizons in time: "event within N days" labels, censoring, the time split's purge."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.config import DataConfig, ExperimentConfig, SplitConfig
from core.errors import ConfigError
from core.examples.advisor import preflight
from core.examples.prepare import plan_examples, plan_experiment, prepare_experiment
from core.examples.sequences import TRAIN
from core.examples.stream_passes import check_streamable
from core.examples.time_horizon import rows_through, time_horizon
from tests.support.tables import irregular_visits_table

START = pd.Timestamp("2024-01-01")


def table_of(days: dict[str, list[int]], events: dict[str, list[int]]) -> pd.DataFrame:
    """One row per patient and visit day (date text), with its event flag."""
    rows = [
        {
            "patient": patient,
            "visit": (START + pd.Timedelta(days=day)).strftime("%Y-%m-%d"),
            "marker": float(day),
            "event": event,
        }
        for patient in days
        for day, event in zip(days[patient], events[patient], strict=True)
    ]
    return pd.DataFrame(rows)


def event_data(**changes: object) -> DataConfig:
    values: dict[str, object] = {
        "target_column": "event",
        "id_column": "patient",
        "time_column": "visit",
        "numeric_columns": ("marker",),
        "task": "binary",
        "framing": "window",
        "window": 1,
        "horizon_time": 30,
    }
    return DataConfig(**{**values, **changes})


def no_split(data: DataConfig) -> ExperimentConfig:
    return ExperimentConfig(
        data=data, split=SplitConfig(validation_fraction=0.0, test_fraction=0.0)
    )


HAND_DAYS = {"a": [0, 10, 40, 100, 130], "b": [0, 5], "c": [0, 30]}
HAND_EVENTS = {"a": [0, 0, 1, 0, 0], "b": [0, 1], "c": [0, 1]}


def test_labels_within_a_time_equal_hand_computation_with_censoring():
    table = table_of(HAND_DAYS, HAND_EVENTS)
    prepared = prepare_experiment(table, no_split(event_data()))
    train = prepared.parts["train"]
    # a: day 0 sees day 10 (no event), observed to day 130 >= 30: 0.
    #    day 10 sees day 40's event: 1.  day 40 sees nothing up to 70: 0.
    #    day 100 sees day 130 (no event); observed exactly to 130: 0.
    #    day 130: rows end before 160, no event: censored.
    # b: day 0 sees day 5's event: 1; day 5 censored.
    # c: day 0 sees day 30's event (the window's edge is inclusive): 1.
    expected = {0: 0.0, 1: 1.0, 2: 0.0, 3: 0.0, 5: 1.0, 7: 1.0}
    assert dict(zip(train.end_rows.tolist(), train.labels.tolist(), strict=True)) == (
        expected
    )
    assert any(
        note.startswith("3 train window(s) dropped as censored") and "30 days" in note
        for note in prepared.notes
    )


def test_a_horizon_in_steps_labels_the_same_table_differently():
    # Guard that the hand table tells time from rows: two rows after a's day
    # 0 lies day 40's event (30 days: none), and a's last window is not
    # censored when counting rows.
    table = table_of(HAND_DAYS, HAND_EVENTS)
    steps = dataclasses.replace(event_data(horizon_time=None), horizon=2)
    train = prepare_experiment(table, no_split(steps)).parts["train"]
    labels = dict(zip(train.end_rows.tolist(), train.labels.tolist(), strict=True))
    assert (labels[0], labels[4]) == (1.0, 0.0)


def test_a_numeric_time_column_counts_in_its_own_units():
    table = table_of(HAND_DAYS, HAND_EVENTS)
    table["visit"] = [day for patient in HAND_DAYS for day in HAND_DAYS[patient]]
    prepared = prepare_experiment(table, no_split(event_data()))
    assert prepared.parts["train"].labels.tolist() == [0.0, 1.0, 0.0, 0.0, 1.0, 1.0]


def test_an_explicit_unit_changes_what_the_horizon_means():
    table = table_of(HAND_DAYS, HAND_EVENTS)
    # 30 hours: no window reaches its entity's next visit, a day or more later.
    hours = event_data(time_unit="hours")
    prepared = prepare_experiment(table, no_split(hours))
    train = prepared.parts["train"]
    assert train.end_rows.tolist() == [0, 1, 2, 3, 5, 7]
    assert (train.labels == 0.0).all()


def test_rows_at_the_window_end_time_are_not_after_it():
    times = np.array([0.0, 5.0, 5.0, 9.0])
    entity = np.zeros(4, dtype=np.int64)
    assert rows_through(times, entity, np.array([0]), np.array([5.0])).tolist() == [2]
    strict = rows_through(times, entity, np.array([0]), np.array([5.0]), False)
    assert strict.tolist() == [0]


def test_a_time_split_purge_keeps_training_labels_off_held_out_rows():
    table = irregular_visits_table(seed=3, patients=20, visits=(8, 14))
    table = table.rename(columns={"visit_date": "visit"})
    data = event_data(window=2, horizon_time=90)
    config = ExperimentConfig(
        data=data,
        split=SplitConfig(method="time", validation_fraction=0.2, test_fraction=0.2),
    )
    plan = plan_experiment(table, config)
    target = plan.frame["event"].to_numpy(dtype=np.float64)
    parts, _ = plan_examples(plan, config, target)
    clock = time_horizon(plan.frame, data, str(plan.time_unit))
    times, horizon = clock.times, clock.horizon
    entity = plan.layout.entity_of_rows()
    train = parts["train"]
    assert len(train) > 0
    for end in train.end_rows:
        inside = (entity == entity[end]) & (times > times[end])
        inside &= times <= times[end] + horizon
        # Every row a training label reads is a training row.
        assert (plan.row_parts[inside] == TRAIN).all()
        # And the entity's first held-out row lies beyond the horizon.
        later = (entity == entity[end]) & (plan.row_parts != TRAIN)
        if later.any():
            assert times[later].min() > times[end] + horizon
    # The purge did drop windows: some training rows had look-aheads reaching
    # held-out rows, and no training window ends on them.
    dropped = 0
    for row in np.flatnonzero(plan.row_parts == TRAIN):
        later = (entity == entity[row]) & (plan.row_parts != TRAIN)
        if later.any() and times[later].min() <= times[row] + horizon:
            assert row not in set(train.end_rows.tolist())
            dropped += 1
    assert dropped > 0


def test_without_a_time_split_no_training_window_is_purged():
    table = irregular_visits_table(seed=3, patients=20, visits=(8, 14))
    table = table.rename(columns={"visit_date": "visit"})
    data = event_data(window=2, horizon_time=90)
    config = ExperimentConfig(data=data, split=SplitConfig(seed=1))
    plan = plan_experiment(table, config)
    target = plan.frame["event"].to_numpy(dtype=np.float64)
    parts, notes = plan_examples(plan, config, target)
    known = len(parts["train"])
    censored = sum(int(note.split()[0]) for note in notes if note.split()[1] == "train")
    windows = int((plan.row_parts == TRAIN).sum())
    # Window 2, stride 1: every training row but each entity's first ends one.
    first_rows = len(np.unique(plan.layout.entity_of_rows()[plan.row_parts == TRAIN]))
    assert known + censored == windows - first_rows


def test_preflight_counts_censored_windows_and_names_the_unit():
    table = table_of(HAND_DAYS, HAND_EVENTS)
    estimate = preflight(table, no_split(event_data()))
    assert estimate.examples["train"] == 6
    assert any("3 train window(s) dropped as censored" in w for w in estimate.warnings)
    assert any("in days (read from the typical step" in w for w in estimate.warnings)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_deltas": True}, "data.time_deltas"),
        ({"time_as_input": True}, "data.time_as_input"),
        ({}, "data.horizon_time"),
    ],
    ids=["deltas", "time-as-input", "horizon-time"],
)
def test_streaming_refuses_the_time_settings(changes, field):
    data = event_data(**changes)
    if field != "data.horizon_time":
        data = dataclasses.replace(data, horizon_time=None)
    with pytest.raises(ConfigError, match="when streaming a Parquet dataset") as raised:
        check_streamable(ExperimentConfig(data=data))
    assert raised.value.field == field
