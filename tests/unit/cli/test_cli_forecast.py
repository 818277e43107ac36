"""The command line with the forecasting options: flags, a full config file, --last."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.cli.experiment import build_config
from core.cli.main import build_parser, main
from core.cli.options import read_data
from tests.support.configs import forecast_config as _config
from tests.support.tables import forecast_table


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_forecast") / "levels.csv"
    forecast_table().to_csv(path, index=False)
    return path


def _config_for(command: str):
    args = build_parser().parse_args(command.split())
    return build_config(args, read_data(args.data))


def test_forecasting_flags_reach_the_config(data_file):
    config = _config_for(
        f"train --data {data_file} --target level --id entity --time step "
        "--categorical kind --numeric driver --task regression --window 5 "
        "--horizon 3 --target-as-input --smoothing-alpha 0.3 --entity-age "
        "--lr-schedule plateau --out b"
    )
    data = config.data
    assert (data.horizon, data.target_as_input, data.entity_age) == (3, True, True)
    assert (data.smoothing_alpha, config.train.lr_schedule) == (0.3, "plateau")


def test_flags_switch_off_what_a_config_file_switched_on(data_file, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(_config(smoothing_alpha=0.5, entity_age=True).to_json())
    config = _config_for(
        f"train --data {data_file} --config {path} --smoothing-alpha 0 "
        "--no-entity-age --out b"
    )
    assert (config.data.smoothing_alpha, config.data.entity_age) == (None, False)
    assert config.data.target_as_input


def test_seed_flags_set_the_weights_and_the_split_seed(data_file, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(_config().to_json())
    kept = _config_for(f"train --data {data_file} --config {path} --seed 3 --out b")
    assert (kept.train.seed, kept.split.seed) == (3, _config().split.seed)
    both = _config_for(
        f"train --data {data_file} --config {path} --seed 3 --split-seed 4 --out b"
    )
    assert (both.train.seed, both.split.seed) == (3, 4)


def test_bad_alpha_exits_2_naming_the_field(data_file, capsys):
    code = main(
        f"train --data {data_file} --target level --task regression "
        "--smoothing-alpha 1.5 --out b".split()
    )
    assert code == 2
    assert "data.smoothing_alpha" in capsys.readouterr().err


@pytest.mark.slow
def test_train_from_a_full_config_file_then_predict_the_last_windows(
    data_file, tmp_path, capsys
):
    config = _config(smoothing_alpha=0.5, entity_age=True).to_dict()
    config["train"].update(epochs=1, lr_schedule="cosine")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    bundle = tmp_path / "bundle"
    code = main(f"train --data {data_file} --config {path} --out {bundle}".split())
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["persistence"]["strategy"] == "last_observed"
    saved = json.loads((bundle / "config.json").read_text())
    assert saved["data"]["target_as_input"]
    assert saved["train"]["lr_schedule"] == "cosine"
    assert "persistence" in json.loads((bundle / "metrics.json").read_text())
    out = tmp_path / "last.csv"
    code = main(
        f"predict --model {bundle} --data {data_file} --out {out} --last".split()
    )
    assert code == 0
    predictions = pd.read_csv(out)
    assert len(predictions) == 6
    # Windows end at each entity's last row; the time column names the
    # predicted step, a horizon later.
    assert (predictions["input_end"] == 24).all()
    assert (predictions["step"] == 24 + predictions["horizon"]).all()
