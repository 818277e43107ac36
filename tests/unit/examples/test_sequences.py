"""Ordering, splitting, example positions, labels and batch gathering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import DataConfig, SplitConfig
from core.errors import DataValidationError
from core.examples.sequences import (
    TEST,
    TRAIN,
    VALIDATION,
    entity_layout,
    example_labels,
    example_positions,
    gather_batch,
    order_rows,
    split_rows,
)


def _config(**changes) -> DataConfig:
    values = {
        "target_column": "y",
        "id_column": "id",
        "time_column": "t",
        "numeric_columns": ("x",),
    }
    return DataConfig(**{**values, **changes})


def _table(lengths: list[int]) -> pd.DataFrame:
    ids = np.repeat(np.arange(len(lengths)), lengths)
    steps = np.concatenate([np.arange(n) for n in lengths]) if lengths else []
    return pd.DataFrame({"id": ids, "t": steps, "x": np.arange(len(ids), dtype=float)})


def test_rows_are_sorted_by_entity_then_time_and_reported():
    frame = pd.DataFrame(
        {
            "id": [2, 1, 2, 1],
            "t": ["2024-01-02", "2024-01-05", "2024-01-01", "2024-01-01"],
        }
    )
    ordered, notes = order_rows(frame.assign(x=0.0, y=0), _config())
    assert ordered["id"].tolist() == [1, 1, 2, 2]
    assert ordered["t"].tolist() == [
        "2024-01-01",
        "2024-01-05",
        "2024-01-01",
        "2024-01-02",
    ]
    assert notes
    assert "sorted by id, t" in notes[0]


def test_sorted_input_gives_no_note():
    _, notes = order_rows(_table([3, 2]).assign(y=0), _config())
    assert notes == []


def test_unparsable_time_names_the_column():
    frame = pd.DataFrame({"id": [1, 1], "t": ["2024-01-01", "yesterday"], "x": 0.0})
    with pytest.raises(DataValidationError, match="column 't'.*yesterday"):
        order_rows(frame, _config())


def test_missing_entity_id_is_refused():
    frame = pd.DataFrame({"id": [1, None], "t": [0, 1], "x": 0.0})
    with pytest.raises(DataValidationError, match="column 'id'"):
        order_rows(frame, _config())


def test_entity_split_keeps_every_entity_on_one_side():
    layout = entity_layout(_table([5] * 20), _config())
    parts = split_rows(layout, SplitConfig(validation_fraction=0.2, test_fraction=0.2))
    per_entity = parts.reshape(20, 5)
    assert (per_entity == per_entity[:, :1]).all()
    assert sorted(np.bincount(per_entity[:, 0])) == [4, 4, 12]


def test_entity_split_is_seeded():
    layout = entity_layout(_table([3] * 30), _config())
    first = split_rows(layout, SplitConfig(seed=1))
    assert (first == split_rows(layout, SplitConfig(seed=1))).all()
    assert (first != split_rows(layout, SplitConfig(seed=2))).any()


def test_time_split_holds_out_the_end_of_every_timeline():
    layout = entity_layout(_table([10, 20]), _config())
    parts = split_rows(
        layout, SplitConfig(method="time", validation_fraction=0.2, test_fraction=0.1)
    )
    assert parts[:10].tolist() == [0] * 7 + [1] * 2 + [2]
    assert parts[10:].tolist() == [0] * 14 + [1] * 4 + [2] * 2


def test_windows_end_at_the_latest_step_and_pad_short_entities():
    config = _config(framing="window", window=3, stride=2)
    layout = entity_layout(_table([6, 2]), config)
    parts = np.zeros(8, dtype=np.int8)
    end_rows, lengths, _ = example_positions(layout, parts, TRAIN, config)
    # Entity 0 (rows 0-5): windows end at rows 5 and 3; entity 1 (rows 6-7): one
    # short window of 2 steps rather than nothing.
    assert end_rows.tolist() == [3, 5, 7]
    assert lengths.tolist() == [3, 3, 2]


def test_sequence_framing_keeps_the_most_recent_steps():
    config = _config(max_length=4)
    layout = entity_layout(_table([6, 2]), config)
    end_rows, lengths, _ = example_positions(
        layout, np.zeros(8, dtype=np.int8), TRAIN, config
    )
    assert end_rows.tolist() == [5, 7]
    assert lengths.tolist() == [4, 2]


def test_horizon_labels_look_ahead_within_the_entity():
    config = _config(framing="window", window=2, horizon=2)
    layout = entity_layout(_table([6, 3]), config)
    target = np.array([0, 0, 0, 0, 1, 0, 0, 0, 1], dtype=float)
    end_rows = np.array([1, 2, 3, 4, 5, 7, 8])
    labels = example_labels(target, layout, end_rows, end_rows, config)
    # Row 2 sees rows 3-4 (event at 4); row 1 sees 2-3; entity 1 ends at row 8.
    assert labels.tolist() == [0, 1, 1, 0, 0, 1, 0]


def test_time_split_purges_training_windows_that_see_held_out_rows():
    config = _config(framing="window", window=2, horizon=3)
    layout = entity_layout(_table([10]), config)
    parts = np.array([0] * 7 + [1] * 2 + [2], dtype=np.int8)
    end_rows, _, _ = example_positions(layout, parts, TRAIN, config, purge=3)
    assert end_rows.max() + 3 <= 6


def test_label_reductions():
    config = _config(label_reduction="max")
    layout = entity_layout(_table([3, 2]), config)
    target = np.array([0, 1, 0, 0, 0], dtype=float)
    ends, firsts = np.array([2, 4]), np.array([0, 3])
    assert example_labels(target, layout, ends, firsts, config).tolist() == [1, 0]
    config = _config(label_reduction="first")
    assert example_labels(target, layout, ends, firsts, config).tolist() == [0, 0]


def test_gather_batch_pads_on_the_right_with_zeros():
    categorical = np.arange(2, 12, dtype=np.int32).reshape(10, 1)
    numeric = np.arange(10, dtype=np.float32).reshape(10, 1) + 1
    cats, nums, mask = gather_batch(
        categorical, numeric, np.array([4, 9]), np.array([2, 3]), 4
    )
    assert cats[:, :, 0].tolist() == [[5, 6, 0, 0], [9, 10, 11, 0]]
    assert nums[:, :, 0].tolist() == [[4, 5, 0, 0], [8, 9, 10, 0]]
    assert mask.tolist() == [[True, True, False, False], [True, True, True, False]]


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 15), min_size=1, max_size=8),
    window=st.integers(1, 6),
    stride=st.integers(1, 4),
    method=st.sampled_from(["entity", "time"]),
)
def test_window_properties(lengths, window, stride, method):
    config = _config(framing="window", window=window, stride=stride)
    table = _table(lengths)
    layout = entity_layout(table, config)
    split = SplitConfig(method=method, validation_fraction=0.2, test_fraction=0.2)
    parts = split_rows(layout, split)
    entity_of_row = layout.entity_of_rows()
    seen_entities = {}
    for part in (TRAIN, VALIDATION, TEST):
        end_rows, lengths_out, _ = example_positions(layout, parts, part, config)
        assert ((lengths_out >= 1) & (lengths_out <= window)).all()
        assert (parts[end_rows] == part).all()
        starts = end_rows - lengths_out + 1
        # A window never crosses into another entity.
        assert (entity_of_row[starts] == entity_of_row[end_rows]).all()
        cats, nums, mask = gather_batch(
            np.arange(len(table), dtype=np.int32)[:, None] + 2,
            table[["x"]].to_numpy(np.float32),
            end_rows,
            lengths_out,
            window,
        )
        # Real steps first, in time order, each the row it should be.
        for row, (start, n) in enumerate(zip(starts, lengths_out, strict=True)):
            assert mask[row].tolist() == [True] * n + [False] * (window - n)
            assert (cats[row, :n, 0] - 2).tolist() == list(range(start, start + n))
        if method == "entity":
            for entity in set(entity_of_row[end_rows].tolist()):
                assert seen_entities.setdefault(entity, part) == part
