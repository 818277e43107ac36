"""The CLI reaches every config setting the Configure page does (issue 23, items 4-5).

The flags are generated from the config's fields; :data:`EXAMPLES` gives one
valid, non-default value per generated flag, and a test checks it covers every
flag, so a new config field cannot go without a tested flag.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.cli.config_flags import config_flags
from core.cli.experiment import build_config
from core.cli.main import build_parser, main
from core.cli.options import read_data
from core.config import ExperimentConfig
from tests.support.tables import forecast_table

#: flag -> (command-line text, expected config value): none equals its default.
EXAMPLES: dict[str, tuple[str, object]] = {
    "--framing": ("window", "window"),
    "--max-length": ("50", 50),
    "--label-reduction": ("max", "max"),
    "--stride": ("2", 2),
    "--horizon": ("2", 2),
    "--min-category-count": ("2", 2),
    "--max-categories": ("3", 3),
    "--numeric-scaling": ("minmax", "minmax"),
    "--missing-indicators": (None, True),
    "--no-missing-indicators": (None, False),
    "--normalize-by": ("kind", "kind"),
    "--target-cap": ("40", 40.0),
    "--target-as-input": (None, True),
    "--smoothing-alpha": ("0.4", 0.4),
    "--entity-age": (None, True),
    "--entity-baseline": ("10", 10),
    "--season": ("24", 24),
    "--target-scaling": ("entity", "entity"),
    # The change from the last target needs the target's past as input.
    "--target-change": ("--target-as-input", True),
    "--horizons": ("1", 1),
    "--known-future": ("driver", ("driver",)),
    "--time-features": ("hour,month", ("hour", "month")),
    "--time-deltas": (None, True),
    "--time-as-input": (None, True),
    "--time-unit": ("hours", "hours"),
    # An event horizon in time: a binary task, no horizon in steps.
    "--horizon-time": ("90 --task binary --horizon none", 90.0),
    # A derived target is binary and names a column the expression does not read.
    "--derive-target": ("level>0 --task binary --target high", "level>0"),
    "--split-method": ("time", "time"),
    "--validation-fraction": ("0.2", 0.2),
    "--test-fraction": ("0.25", 0.25),
    "--split-seed": ("7", 7),
    "--validation-windows": ("last", "last"),
    "--encoding": ("onehot", "onehot"),
    "--lstm-units": ("16,8", (16, 8)),
    "--dropout": ("0.3", 0.3),
    "--recurrent-dropout": ("0.1", 0.1),
    "--bidirectional": (None, True),
    "--dense-units": ("0", 0),
    "--category-dropout": ("0.1", 0.1),
    "--cell": ("gru", "gru"),
    "--conv-filters": ("8", 8),
    "--conv-kernel-size": ("5", 5),
    "--summary": ("attention", "attention"),
    "--layer-norm": (None, True),
    "--input-dropout": ("0.05", 0.05),
    "--members": ("2", 2),
    "--epochs": ("3", 3),
    "--batch-size": ("16", 16),
    "--learning-rate": ("0.003", 0.003),
    "--patience": ("2", 2),
    "--seed": ("5", 5),
    "--class-weight": ("none", "none"),
    "--jit-compile": (None, True),
    "--lr-schedule": ("cosine", "cosine"),
    "--clipnorm": ("1.0", 1.0),
    "--regression-loss": ("huber", "huber"),
    "--quantiles": ("0.1,0.5,0.9", (0.1, 0.5, 0.9)),
    # Calibration needs an interval: the quantiles come along.
    "--calibrate-intervals": ("--quantiles 0.1,0.9", True),
    "--refit": (None, True),
    # Bagging deals one fold of entities to each of at least two members.
    "--bagging": ("--members 2", True),
}
#: Base command: a regression forecast where every flag above is valid.
BASE = (
    "train --data {path} --target level --id entity --time step --categorical kind "
    "--numeric driver --task regression --window 4 --horizon 1 --out b"
)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_config_flags") / "levels.csv"
    forecast_table().to_csv(path, index=False)
    return path


def _config_for(command: str) -> ExperimentConfig:
    args = build_parser().parse_args(command.split())
    return build_config(args, read_data(args.data))


def test_every_generated_flag_has_an_example():
    flags = {flag.flag for flag in config_flags()}
    examples = {flag for flag in EXAMPLES if not flag.startswith("--no-")}
    assert flags == examples


@pytest.mark.parametrize("flag", sorted(EXAMPLES))
def test_each_flag_sets_its_config_field(data_file, flag):
    text, expected = EXAMPLES[flag]
    by_flag = {item.flag: item for item in config_flags()}
    item = by_flag[flag.replace("--no-", "--")]
    config = _config_for(
        BASE.format(path=data_file) + f" {flag}" + (f" {text}" if text else "")
    )
    assert getattr(getattr(config, item.section), item.field) == expected


def test_an_invalid_value_names_the_config_field(data_file, capsys):
    code = main((BASE.format(path=data_file) + " --dropout 1.5").split())
    assert code == 2
    assert "model.dropout" in capsys.readouterr().err


def test_a_value_of_the_wrong_kind_is_a_usage_error(data_file, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(
            (BASE.format(path=data_file) + " --lstm-units big").split()
        )
    assert stopped.value.code == 2
    assert "--lstm-units" in capsys.readouterr().err


def test_none_switches_off_an_optional_setting_of_a_config_file(data_file, tmp_path):
    config = _config_for(BASE.format(path=data_file) + " --max-categories 3")
    path = tmp_path / "config.json"
    path.write_text(config.to_json())
    cleared = _config_for(
        f"train --data {data_file} --config {path} --max-categories none --out b"
    )
    assert cleared.data.max_categories is None


def test_an_explicit_empty_categorical_list_in_a_config_means_none(data_file, tmp_path):
    # Item 4: `"categorical_columns": []` was taken as "not given" and schema
    # inference added its own categoricals.
    config = _config_for(BASE.format(path=data_file))
    payload = config.to_dict()
    payload["data"]["categorical_columns"] = []
    payload["data"]["numeric_columns"] = ["driver", "kind_code"]
    table = forecast_table()
    table["kind_code"] = table["kind"].astype("category").cat.codes
    path = tmp_path / "levels_coded.csv"
    table.to_csv(path, index=False)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(payload))
    loaded = _config_for(f"train --data {path} --config {config_path} --out b")
    assert loaded.data.categorical_columns == ()
    assert loaded.data.numeric_columns == ("driver", "kind_code")


def test_config_file_values_win_over_inference_for_every_data_field(
    data_file, tmp_path
):
    config = _config_for(BASE.format(path=data_file))
    changed = dataclasses.replace(
        config.data, id_column=None, time_column=None, numeric_columns=()
    )
    path = tmp_path / "config.json"
    path.write_text(config.replace(data=changed).to_json())
    loaded = _config_for(f"train --data {data_file} --config {path} --out b")
    assert (loaded.data.id_column, loaded.data.time_column) == (None, None)
    assert loaded.data.numeric_columns == ()
