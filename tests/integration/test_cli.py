"""The command line: train, predict and embeddings from files, errors as one line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.cli.experiment import build_config
from core.cli.main import build_parser, main
from core.cli.options import read_data
from tests.support.tables import make_long_table


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data = folder / "data.csv"
    # String and integer categories, missing values, variable-length entities.
    make_long_table(seed=5, entities=40).to_csv(data, index=False)
    code = main(
        [
            "train", "--data", str(data), "--target", "label",
            "--id", "entity", "--time", "step",
            "--categorical", "kind:3,shift", "--numeric", "reading",
            "--epochs", "2", "--seed", "1", "--out", str(folder / "bundle"),
        ]
    )  # fmt: skip
    assert code == 0
    return folder


@pytest.mark.slow
def test_train_writes_a_complete_bundle_and_summary(trained, capsys):
    metrics = json.loads((trained / "bundle" / "metrics.json").read_text())
    assert metrics["task"] == "binary"
    assert {"validation", "test", "baseline"} <= set(metrics)
    config = json.loads((trained / "bundle" / "config.json").read_text())
    assert config["data"]["categorical_columns"][0] == {
        "name": "kind",
        "embedding_dim": 3,
    }


@pytest.mark.slow
def test_predict_on_parquet_reports_unseen_categories(trained, capsys):
    new = trained / "new.parquet"
    make_long_table(seed=9, entities=6).assign(kind="brand_new").to_parquet(new)
    out = trained / "predictions.csv"
    code = main(
        f"predict --model {trained / 'bundle'} --data {new} --out {out}".split()
    )
    assert code == 0
    predictions = pd.read_csv(out)
    assert len(predictions) == 6
    assert {"probability", "predicted", "actual"} <= set(predictions.columns)
    assert "brand_new" in capsys.readouterr().err


@pytest.mark.slow
def test_embeddings_export(trained):
    out = trained / "kind.csv"
    code = main(
        f"embeddings --model {trained / 'bundle'} --column kind --out {out} "
        f"--projector {trained / 'projector'}".split()
    )
    assert code == 0
    frame = pd.read_csv(out)
    assert {"label", "pca_1", "pca_2", "dim_0", "dim_2"} <= set(frame.columns)
    assert (trained / "projector" / "vectors.tsv").exists()


@pytest.mark.slow
def test_config_file_with_flag_overrides(trained, tmp_path):
    config = json.loads((trained / "bundle" / "config.json").read_text())
    config["train"]["epochs"] = 5
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    out = tmp_path / "bundle"
    code = main(
        f"train --data {trained / 'data.csv'} --config {path} --epochs 1 "
        f"--out {out}".split()
    )
    assert code == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["train"]["epochs"] == 1
    assert saved["data"]["categorical_columns"][0]["embedding_dim"] == 3


def _config_for(command: str):
    args = build_parser().parse_args(command.split())
    return build_config(args, read_data(args.data))


def test_bundled_data_set_brings_its_roles_and_framing():
    config = _config_for("train --data predictive_maintenance --out b")
    assert config.data.target_column == "failure"
    assert config.data.task == "binary"
    assert (config.data.window, config.data.horizon) == (30, 10)
    assert "rul" not in config.data.feature_columns


def test_another_target_of_a_bundled_set_is_inferred_without_leak():
    config = _config_for("train --data predictive_maintenance --target rul --out b")
    assert config.data.task == "regression"
    assert "failure" not in config.data.feature_columns


BAD_INPUT = {
    "unknown-target": ("train --data {data} --target nope --out {tmp}/b", "'nope'"),
    "missing-file": (
        "train --data {tmp}/none.csv --target label --out {tmp}/b",
        "--data",
    ),
    "bad-dim": (
        "train --data {data} --target label --categorical kind:x --out {tmp}/b",
        "COLUMN",
    ),
    "two-roles": (
        "train --data {data} --target label --numeric reading,kind "
        "--categorical kind --out {tmp}/b",
        "one role",
    ),
    "no-bundle": ("predict --model {tmp}/no --data {data} --out {tmp}/p.csv", "folder"),
    "not-categorical": (
        "embeddings --model {bundle} --column reading --out {tmp}/e.csv",
        "reading",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "message"), list(BAD_INPUT.values()), ids=list(BAD_INPUT)
)
def test_bad_input_exits_2_with_one_error_line(
    trained, tmp_path, capsys, command, message
):
    values = {
        "data": trained / "data.csv",
        "tmp": tmp_path,
        "bundle": trained / "bundle",
    }
    code = main(command.format(**values).split())
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert error[-1].startswith("error: ")
    assert message in error[-1]
    assert not any("Traceback" in line for line in error)


@pytest.fixture(scope="module")
def run_store(tmp_path_factory):
    """Two runs in a fresh store, trained without ``--out``."""
    folder = tmp_path_factory.mktemp("cli_runs")
    data = folder / "data.csv"
    make_long_table(seed=6, entities=30).to_csv(data, index=False)
    base = (
        f"train --data {data} --target label --id entity --time step "
        f"--categorical kind:2 --numeric reading --epochs 1 "
        f"--runs-dir {folder / 'runs'}"
    ).split()
    for extra in (["--seed", "1"], ["--seed", "2", "--compare"]):
        assert main([*base, *extra]) == 0
    return folder


def _runs_json(run_store, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["runs", "list", "--json", "--runs-dir", str(run_store / "runs")]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_train_without_out_records_a_run_and_prints_its_id(run_store, capsys):
    runs = _runs_json(run_store, capsys)
    assert [run["encodings"] for run in runs] == [
        ["embedding", "onehot"],
        ["embedding"],
    ]
    for run in runs:
        assert {"id", "status", "created", "encodings", "metrics", "error"} <= set(run)
        assert run["status"] == "done"
        assert run["error"] is None
        assert set(run["metrics"]) == set(run["encodings"])
        assert "roc_auc" in run["metrics"]["embedding"]


@pytest.mark.slow
def test_runs_show_and_compare(run_store, capsys):
    newest, oldest = (run["id"] for run in _runs_json(run_store, capsys))
    store = ["--runs-dir", str(run_store / "runs")]
    assert main(["runs", "show", newest, "--json", *store]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["config"]["train"]["seed"] == 2
    assert main(["runs", "compare", oldest, newest, *store]) == 0
    text = capsys.readouterr().out
    assert "train.seed" in text
    assert "encodings" in text
    assert "data.window" not in text, "only the settings that differ"


@pytest.mark.slow
def test_predict_accepts_a_run_id(run_store, capsys, tmp_path):
    newest = _runs_json(run_store, capsys)[0]["id"]
    out = tmp_path / "p.csv"
    store = ["--runs-dir", str(run_store / "runs")]
    code = main(
        ["predict", "--model", newest, "--encoding", "onehot", "--data",
         str(run_store / "data.csv"), "--out", str(out), *store]
    )  # fmt: skip
    assert code == 0
    assert len(pd.read_csv(out)) == 30
    code = main(["predict", "--model", "20200101-000000-abcdef", "--data",
                 str(run_store / "data.csv"), "--out", str(out), *store])  # fmt: skip
    assert code == 2
    assert "expected a bundle folder or a run id" in capsys.readouterr().err


@pytest.mark.slow
def test_runs_delete_removes_the_run(tmp_path, capsys, run_store):
    import shutil

    copy = tmp_path / "runs"
    shutil.copytree(run_store / "runs", copy)
    capsys.readouterr()
    main(["runs", "list", "--json", "--runs-dir", str(copy)])
    first = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["runs", "delete", first, "--runs-dir", str(copy)]) == 0
    main(["runs", "list", "--json", "--runs-dir", str(copy)])
    assert first not in [run["id"] for run in json.loads(capsys.readouterr().out)]
    assert main(["runs", "show", first, "--runs-dir", str(copy)]) == 2
