"""Parquet datasets streamed in chunks: fit, split, windows, order errors, CLI."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig, SplitConfig
from core.data.parquet import (
    DatasetSource,
    EntityOrderError,
    is_dataset_path,
    iter_entity_chunks,
)
from core.examples.prepare import prepare_experiment
from core.examples.sequences import TRAIN, gather_batch
from core.examples.stream_passes import StreamOptions, fit_streaming, prepare_chunk
from core.examples.streaming import hash_entity_parts
from core.features.preprocessor import SequencePreprocessor

COLUMNS = ["entity", "step", "color", "shape", "level", "temp", "load", "y"]


def make_table(seed: int = 3, entities: int = 30) -> pd.DataFrame:
    """Entity-ordered long table: text, missing and integer categories, NaNs."""
    rng = np.random.default_rng(seed)
    frames = []
    for number in range(entities):
        length = int(rng.integers(2, 25))
        frames.append(
            pd.DataFrame(
                {
                    "entity": f"e{number:03d}",
                    "step": np.arange(length),
                    "color": rng.choice(["red", "green", "blue", "teal", "pink"],
                                        length, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
                    "shape": rng.choice(["a", "b", None], length),
                    "level": rng.integers(0, 4, length),
                    "temp": np.where(rng.random(length) < 0.1, np.nan,
                                     rng.normal(20.0, 4.0, length)),
                    "load": rng.gamma(2.0, 3.0, length),
                    "y": rng.integers(0, 2, length),
                }
            )
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def write_shards(frame: pd.DataFrame, folder, cuts=(0.37, 0.71), group=17):
    """Shards cut at arbitrary rows (entities span files and row groups)."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = [0, *(int(len(frame) * cut) for cut in cuts), len(frame)]
    for number, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False)):
        table = pa.Table.from_pandas(frame.iloc[low:high], preserve_index=False)
        pq.write_table(
            table, folder / f"part-{number:03d}.parquet", row_group_size=group
        )
    return folder


def config_of(**data) -> ExperimentConfig:
    base = {
        "target_column": "y",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("color"), ColumnSpec("shape"),
                                ColumnSpec("level")),
        "numeric_columns": ("temp", "load"),
        "task": "binary",
        "framing": "window",
        "window": 5,
    }  # fmt: skip
    base.update(data)
    return ExperimentConfig(data=DataConfig(**base))


@pytest.fixture
def table() -> pd.DataFrame:
    return make_table()


@pytest.fixture
def source(table, tmp_path) -> DatasetSource:
    return DatasetSource.open(write_shards(table, tmp_path / "shards"))


TINY = StreamOptions(chunk_rows=40)


def in_memory_fit(table: pd.DataFrame, config: ExperimentConfig):
    parts = hash_entity_parts(table["entity"], config.split)
    return SequencePreprocessor(config.data).fit(table[parts == TRAIN])


def assert_same_fit(streamed: SequencePreprocessor, memory: SequencePreprocessor):
    assert streamed.vocabularies_ == memory.vocabularies_
    assert streamed.category_counts_ == memory.category_counts_
    assert streamed.embedding_dims_ == memory.embedding_dims_
    for name, means in memory.category_target_means_.items():
        assert streamed.category_target_means_[name] == pytest.approx(means)
    scaler, expected = streamed.numeric_scaler_, memory.numeric_scaler_
    assert scaler.indicator_columns_ == expected.indicator_columns_
    for attribute in ("center_", "scale_", "mean_"):
        np.testing.assert_allclose(
            getattr(scaler, attribute), getattr(expected, attribute), rtol=1e-9
        )
    target, expected_target = streamed.target_encoder_, memory.target_encoder_
    assert target.classes_ == expected_target.classes_
    assert target.mean_ == pytest.approx(expected_target.mean_)
    assert target.std_ == pytest.approx(expected_target.std_)


VARIANTS = {
    "standard": {},
    "minmax": {"numeric_scaling": "minmax"},
    "none": {"numeric_scaling": "none", "missing_indicators": False},
    "normalize_by": {"normalize_by": "color"},
    "normalize_by_minmax": {"normalize_by": "level", "numeric_scaling": "minmax"},
    "rare_and_capped": {"min_category_count": 15, "max_categories": 3},
    "capped_ties": {"max_categories": 2},
    "regression_capped": {"task": "regression", "target_cap": 0.5},
    "multiclass": {"task": "multiclass"},
}


@pytest.mark.parametrize("options", VARIANTS.values(), ids=VARIANTS.keys())
def test_streaming_fit_equals_in_memory_fit(table, source, options, tmp_path):
    config = config_of(**options)
    if config.data.task == "multiclass":
        table = table.assign(y=table["load"].round().astype(int) % 3)
        source = DatasetSource.open(write_shards(table, tmp_path / "multiclass"))
    streamed, report = fit_streaming(source, config, TINY)
    assert report.rows == len(table)
    assert report.chunks > 3
    assert_same_fit(streamed, in_memory_fit(table, config))


def _folder(source: DatasetSource):
    from pathlib import Path

    return Path(source.files[0]).parent.parent


def test_vocabulary_ties_break_by_key_like_in_memory(tmp_path):
    # b and c tie on count across chunks; the key breaks the tie in both paths.
    frame = pd.DataFrame(
        {
            "entity": [f"e{i:02d}" for i in range(12)],
            "step": 0,
            "color": list("cbacbacbddaa"),
            "y": [0, 1] * 6,
        }
    )
    config = ExperimentConfig(
        data=DataConfig(
            target_column="y", id_column="entity", time_column="step",
            categorical_columns=(ColumnSpec("color"),), max_categories=2,
        ),
        split=SplitConfig(validation_fraction=0.0, test_fraction=0.0),
    )  # fmt: skip
    source = DatasetSource.open(write_shards(frame, tmp_path / "ties", group=2))
    streamed, _ = fit_streaming(source, config, StreamOptions(chunk_rows=3))
    assert streamed.vocabularies_["color"] == ["a", "b"]
    assert_same_fit(streamed, in_memory_fit(frame, config))


def test_hash_split_is_deterministic_disjoint_and_near_the_fractions():
    ids = [f"user-{i}" for i in range(20_000)]
    split = SplitConfig(validation_fraction=0.2, test_fraction=0.1, seed=7)
    parts = hash_entity_parts(ids, split)
    np.testing.assert_array_equal(parts, hash_entity_parts(ids, split))
    # One part per id wherever it is read: chunk by chunk gives the same answer.
    pieces = [hash_entity_parts(ids[i : i + 999], split) for i in range(0, 20_000, 999)]
    np.testing.assert_array_equal(np.concatenate(pieces), parts)
    shares = np.bincount(parts, minlength=3) / len(ids)
    assert shares == pytest.approx([0.7, 0.2, 0.1], abs=0.015)
    other = hash_entity_parts(
        ids, SplitConfig(validation_fraction=0.2, test_fraction=0.1, seed=8)
    )
    assert (other != parts).mean() > 0.2
    assert hash_entity_parts([7], split)[0] == hash_entity_parts(["7"], split)[0]


def _windows(prepared, part="train"):
    examples = prepared.parts[part]
    width = prepared.preprocessor.config.window
    categorical, numeric, mask = gather_batch(
        prepared.encoded.categorical,
        prepared.encoded.numeric,
        examples.end_rows,
        examples.lengths,
        width,
    )
    return categorical, numeric, mask, examples.labels


SPLITS = {
    "all_train": SplitConfig(validation_fraction=0.0, test_fraction=0.0),
    "time": SplitConfig(method="time", validation_fraction=0.2, test_fraction=0.2),
}


@pytest.mark.parametrize("split", SPLITS.values(), ids=SPLITS.keys())
@pytest.mark.parametrize("part", ["train", "validation", "test"])
def test_windows_from_chunks_equal_in_memory_windows(table, source, split, part):
    config = config_of(stride=2, horizon=3).replace(split=split)
    memory = prepare_experiment(table, config)
    pieces = [
        _windows(prepare_chunk(chunk, memory.preprocessor, config), part)
        for chunk in iter_entity_chunks(source, COLUMNS, "entity", chunk_rows=40)
    ]
    streamed = [np.concatenate(column) for column in zip(*pieces, strict=True)]
    expected_windows = _windows(memory, part)
    assert len(expected_windows[0]) > 0 or part != "train"
    for got, expected in zip(streamed, expected_windows, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_time_split_streaming_fit_equals_in_memory_fit(table, source):
    from core.examples.prepare import plan_experiment

    config = config_of(normalize_by="color").replace(split=SPLITS["time"])
    streamed, _ = fit_streaming(source, config, TINY)
    plan = plan_experiment(table, config)
    assert_same_fit(streamed, SequencePreprocessor(config.data).fit(plan.train_rows))


def test_chunks_hold_whole_entities(table, source):
    chunks = list(iter_entity_chunks(source, COLUMNS, "entity", chunk_rows=25))
    assert sum(len(chunk) for chunk in chunks) == len(table)
    seen = [set(chunk["entity"]) for chunk in chunks]
    for first, second in zip(seen, seen[1:], strict=False):
        assert not first & second


def test_unordered_dataset_raises_a_typed_error_naming_the_id(table, tmp_path):
    shuffled = pd.concat([table.iloc[200:], table.iloc[:200]], ignore_index=True)
    source = DatasetSource.open(write_shards(shuffled, tmp_path / "bad"))
    with pytest.raises(EntityOrderError, match="sorted by 'entity'"):
        fit_streaming(source, config_of(), TINY)
    swapped = table.copy()
    swapped.loc[5, "entity"] = "e999"
    source = DatasetSource.open(write_shards(swapped, tmp_path / "bad2", cuts=()))
    with pytest.raises(EntityOrderError, match="'e999'"):
        list(iter_entity_chunks(source, COLUMNS, "entity", chunk_rows=40))


def test_source_reference_fingerprint_and_sample(source, tmp_path):
    assert is_dataset_path(_folder(source) / "shards")
    assert is_dataset_path(str(_folder(source) / "shards" / "*.parquet"))
    assert not is_dataset_path(source.files[0])
    assert DatasetSource.from_dict(json.loads(json.dumps(source.to_dict()))) == source
    assert len(source.sample(10)) == 10
    assert list(source.schema_frame()["column"]) == COLUMNS
    glob_source = DatasetSource.open(str(_folder(source) / "shards" / "part-00[01]*"))
    assert len(glob_source.files) == 2
    assert glob_source.fingerprint != source.fingerprint


@pytest.mark.slow
@pytest.mark.parametrize("members", [1, 2])
def test_cli_train_on_a_folder_records_a_finished_run(
    table, source, tmp_path, capsys, members
):
    from core.cli.main import main
    from core.model.bundle import load_bundle
    from core.model.network import member_count
    from core.runs.store import RunStatus, RunStore

    folder = _folder(source) / "shards"
    code = main(
        [
            "train", "--data", str(folder), "--target", "y", "--id", "entity",
            "--time", "step", "--categorical", "color,shape,level",
            "--numeric", "temp,load", "--window", "5", "--epochs", "1",
            "--runs-dir", str(tmp_path / "runs"), "--max-train-windows", "300",
            "--memory-budget-mb", "64", "--members", str(members),
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    store = RunStore(tmp_path / "runs")
    record = store.get(summary["run"])
    assert record.status is RunStatus.DONE
    assert record.data_fingerprint == source.fingerprint
    assert record.rows == len(table)
    assert record.entities == table["entity"].nunique()
    assert not (tmp_path / "runs" / "_data").exists()
    metrics = store.results(record.id)["embedding"]
    assert metrics["streaming"]["rows"] == len(table)
    assert "roc_auc" in metrics["validation"]
    # The streamed fit trains every member of an ensemble (labels per member).
    bundle = load_bundle(store.bundle_path(record.id, "embedding"))
    assert member_count(bundle.model) == members


def test_server_folders_follow_the_data_root_policy(tmp_path):
    from core.errors import DataValidationError
    from core.serve.server_paths import allowed_folder

    root = tmp_path / "root"
    (root / "events").mkdir(parents=True)
    assert allowed_folder("events", str(root), shared=True) == root / "events"
    assert allowed_folder(f"{root}/events/*.parquet", str(root), shared=True)
    with pytest.raises(DataValidationError, match="expected a folder under"):
        allowed_folder(str(root / ".." / "elsewhere"), str(root), shared=False)
    with pytest.raises(DataValidationError, match="SEQ_EMBED_DATA_ROOT"):
        allowed_folder(str(root), None, shared=True)
    assert allowed_folder(str(tmp_path), None, shared=False) == tmp_path


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("smoothing_alpha", 0.5),
        ("entity_age", True),
        ("entity_baseline", 10),
        ("target_scaling", "entity"),
    ],
)
def test_derived_inputs_are_refused_with_a_typed_error(field, value):
    from core.errors import ConfigError
    from core.examples.stream_passes import check_streamable

    data = DataConfig(
        target_column="y", id_column="entity", numeric_columns=("x",), task="regression"
    )
    config = ExperimentConfig(data=dataclasses.replace(data, **{field: value}))
    with pytest.raises(ConfigError, match=f"data.{field}"):
        check_streamable(config)
