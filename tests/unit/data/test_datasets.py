"""The registry of bundled data sets and the C-MAPSS extract that feeds it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.config import DataConfig
from core.data.bundled import BundledDataset, get_bundled, list_bundled, load_bundled
from core.data.validation import validate_against
from core.errors import DataValidationError
from sample_data.make_cmapss_extract import (
    CONDITIONS,
    RAW_COLUMNS,
    build_extract,
    main,
    operating_condition,
)

NAMES = ["predictive_maintenance", "cmapss_fd004"]


@pytest.fixture(scope="module", params=NAMES)
def bundled(request) -> tuple[BundledDataset, pd.DataFrame]:
    """Each registry entry with its loaded table (read once per module)."""
    return get_bundled(request.param), load_bundled(request.param)


def test_registry_lists_both_data_sets():
    items = list_bundled()
    assert [item.name for item in items] == NAMES
    assert all(isinstance(item, BundledDataset) for item in items)


def test_entries_are_frozen_and_framing_is_read_only():
    item = get_bundled("predictive_maintenance")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        item.suggested_framing["window"] = 5  # type: ignore[index]
    list_bundled().clear()
    assert len(list_bundled()) == len(NAMES)


def test_paths_are_absolute_files_in_sample_data(bundled):
    item, _ = bundled
    assert item.path.is_absolute()
    assert item.path.parent.name == "sample_data"
    assert item.path.is_file()
    assert item.path.stat().st_size < 5_000_000


def test_declared_columns_exist(bundled):
    item, frame = bundled
    assert len(frame) > 1_000
    missing = sorted(set(item.columns) - set(frame.columns))
    assert not missing
    assert frame[item.id_column].nunique() > 10


def test_suggested_config_is_valid_for_the_data(bundled):
    item, frame = bundled
    config = item.data_config()
    assert isinstance(config, DataConfig)
    assert config.task == item.task
    validate_against(config, frame)


def test_unknown_name_is_refused_with_the_choices():
    with pytest.raises(
        DataValidationError, match=r"expected one of \[.*\], received 'x'"
    ):
        load_bundled("x")


def test_predictive_maintenance_target_is_binary():
    frame = load_bundled("predictive_maintenance")
    assert set(frame["failure"].unique()) == {0, 1}


def test_cmapss_extract_has_six_conditions_and_uncapped_rul():
    frame = load_bundled("cmapss_fd004")
    assert sorted(frame["operating_condition"].unique()) == [
        f"OC{i}" for i in range(1, 7)
    ]
    last_cycle = frame.groupby("unit")["cycle"].transform("max")
    assert (frame["rul"] == last_cycle - frame["cycle"]).all()
    assert frame["rul"].max() > 125


def _raw_units(lengths: dict[int, int]) -> pd.DataFrame:
    """A raw C-MAPSS-like table: settings cycle through the six conditions."""
    rng = np.random.default_rng(0)
    rows = []
    for unit, length in lengths.items():
        for cycle in range(1, length + 1):
            settings = CONDITIONS[cycle % len(CONDITIONS)] + rng.normal(0, 0.001, 3)
            rows.append([unit, cycle, *settings, *rng.normal(size=21)])
    return pd.DataFrame(rows, columns=RAW_COLUMNS)


def test_operating_condition_snaps_to_the_known_settings():
    noisy = CONDITIONS + np.array([0.004, 0.0006, 0.0])
    labels = operating_condition(noisy)
    assert labels.tolist() == [f"OC{i}" for i in range(1, 7)]


def test_operating_condition_refuses_unknown_settings():
    with pytest.raises(ValueError, match="six FD002/FD004 conditions"):
        operating_condition(np.array([[5.0, 0.5, 80.0]]))


def test_build_extract_samples_units_and_counts_rul_down():
    extract = build_extract(_raw_units({1: 5, 2: 7, 3: 4}), units=2, seed=0)
    assert extract["unit"].nunique() == 2
    assert extract.columns[:3].tolist() == ["unit", "cycle", "operating_condition"]
    assert "s1" not in extract.columns
    for _, history in extract.groupby("unit"):
        assert history["rul"].tolist() == list(range(len(history) - 1, -1, -1))


def test_extract_script_skips_without_the_source(tmp_path, capsys):
    out = tmp_path / "extract.csv"
    status = main(["--source", str(tmp_path / "absent"), "--out", str(out)])
    assert status == 0
    assert not out.exists()
    assert "skipped" in capsys.readouterr().err
