"""``--derive-target EXPR`` on the command line (issue 22 item 7)."""

from __future__ import annotations

import pytest

from core.cli.experiment import build_config
from core.cli.main import build_parser, main
from core.cli.options import read_data
from tests.support.tables import forecast_table


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_derive_target") / "levels.csv"
    forecast_table().to_csv(path, index=False)
    return path


def _config(arguments: list[str]):
    args = build_parser().parse_args(arguments)
    return build_config(args, read_data(args.data))


def test_a_derived_target_is_binary_named_target_and_not_a_feature(data_file):
    config = _config(
        ["train", "--data", str(data_file), "--id", "entity", "--time", "step",
         "--derive-target", "level > 0 and grade != 'low'", "--out", "b"]
    )  # fmt: skip
    data = config.data
    assert (data.target_column, data.task) == ("target", "binary")
    assert data.derive_target == "level > 0 and grade != 'low'"
    assert not {"level", "grade"} & set(data.feature_columns)
    assert data.feature_columns, "the other columns are still inferred as features"


def test_none_switches_off_the_derived_target_of_a_config_file(data_file, tmp_path):
    base = ["train", "--data", str(data_file), "--id", "entity", "--time", "step"]
    config = _config([*base, "--derive-target", "level>0", "--out", "b"])
    path = tmp_path / "config.json"
    path.write_text(config.to_json())
    loaded = _config([*base, "--config", str(path), "--out", "b"])
    assert loaded.data.derive_target == "level>0"
    cleared = _config(
        [*base, "--config", str(path), "--derive-target", "none", "--target",
         "level", "--task", "regression", "--numeric", "driver", "--out", "b"]
    )  # fmt: skip
    assert cleared.data.derive_target is None


def test_an_injection_string_is_a_usage_error_naming_the_field(data_file, capsys):
    code = main(
        ["train", "--data", str(data_file), "--id", "entity", "--time", "step",
         "--derive-target", "__import__('os').system('echo hi')", "--out", "b"]
    )  # fmt: skip
    assert code == 2
    error = capsys.readouterr().err
    assert "data.derive_target" in error
    assert "dunder name '__import__'" in error
