"""The committed benchmark configs are valid experiments that `train --config` takes.

README's recipe trains them as they are, so a field renamed or checked more
strictly in core must not leave a committed config behind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.config import ExperimentConfig
from core.tuning.space import SearchSpace

CONFIGS = Path(__file__).resolve().parents[2] / "bench" / "configs"
EXPERIMENTS = sorted(
    path for path in CONFIGS.glob("*.json") if not path.stem.endswith("_space")
)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda path: path.stem)
def test_committed_config_loads_and_round_trips(path: Path) -> None:
    config = ExperimentConfig.from_json(path.read_text(encoding="utf-8"))
    assert ExperimentConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("subset", ["FD001", "FD002", "FD003", "FD004"])
def test_cmapss_space_applies_to_every_subset(subset: str) -> None:
    base = ExperimentConfig.from_json(
        (CONFIGS / f"cmapss_{subset}.json").read_text(encoding="utf-8")
    )
    space = SearchSpace.from_list(
        json.loads((CONFIGS / "cmapss_space.json").read_text(encoding="utf-8"))
    )
    space.check(base)
    # The extremes of the categorical choices give valid configs.
    values = {
        parameter.name: parameter.choices[-1]
        for parameter in space.parameters
        if parameter.kind == "categorical"
    }
    tried = space.apply(base, values)
    assert tried.data.entity_baseline == 20
    assert tried.data.smoothing_alpha == 0.3


@pytest.mark.parametrize("subset", ["FD001", "FD002", "FD003", "FD004"])
def test_every_diagnosis_variant_is_a_valid_config_and_says_its_baseline(
    subset: str,
) -> None:
    from bench.cmapss_diagnosis import VARIANTS, variant_config

    args = argparse.Namespace(epochs=None, stride=None)
    for name, changes in VARIANTS.items():
        config = variant_config(subset, 3, changes, args)
        assert config.train.seed == config.split.seed == 3
        # One network: the committed recipe's bagging would not even allow the
        # last-window validation variant.
        assert config.model.members == 1
        assert not config.train.bagging
        # The committed configs carry the baseline; a variant that does not
        # name it must switch it off, or it studies something else than it says.
        assert (config.data.entity_baseline is not None) == ("baseline" in name)


def _saved_run(
    path: Path, subset: str, rmse: list[float], gbm: list[float] | None = None
) -> Path:
    """A ``--save`` file of one subset with the given capped-truth RMSEs."""
    scores = {
        key: {
            protocol: {"rmse": values, "score": [100.0] * len(values)}
            for protocol in ("capped", "raw")
        }
        for key, values in (("embedding", rmse), ("gbm", gbm or rmse))
    }
    record = {
        "scores": scores,
        "info": {
            "epochs": [10] * len(rmse),
            "seconds": [60.0] * len(rmse),
            "windows": 1000,
        },
        "floor": 3.0,
    }
    saved = {
        "command": f"python -m bench.cmapss --subsets {subset} --save {path.name}",
        "results": {subset: record},
        "skipped": [],
    }
    path.write_text(json.dumps(saved))
    return path


def test_cmapss_merge_reports_subsets_run_apart_in_subset_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.cmapss import main

    third = _saved_run(tmp_path / "c.json", "FD003", [12.0, 13.0])
    first = _saved_run(tmp_path / "a.json", "FD001", [11.0, 11.5], [12.0, 12.7])
    assert main(["--merge", str(third), str(first), "--no-write"]) == 0
    output = capsys.readouterr().out
    capped = output.split("**Test RMSE, capped truth**")[1]
    header = capped.split("\n")[2]
    assert header == "| Model | FD001 | FD003 |"
    assert "| Embedding LSTM (ours) | 11.25 ± 0.25 | 12.50 ± 0.50 |" in capped
    # Paired by seed: differences -1.0 and -1.2, t-interval over two seeds.
    assert "| FD001 | 2 | -1.10 [-2.37, +0.17] | no difference shown |" in output
    # The section names the runs it was made from, in the order given.
    assert (
        "Runs merged (each saved with `--save`, then `--merge`): "
        "`python -m bench.cmapss --subsets FD003 --save c.json`; "
        "`python -m bench.cmapss --subsets FD001 --save a.json`." in output
    )


def test_cmapss_merge_refuses_a_subset_in_two_files(tmp_path: Path) -> None:
    from bench.cmapss import main

    one = _saved_run(tmp_path / "a.json", "FD001", [11.0])
    two = _saved_run(tmp_path / "b.json", "FD001", [12.0])
    with pytest.raises(SystemExit, match="FD001 is already in another file"):
        main(["--merge", str(one), str(two), "--no-write"])


def _engines(count: int, cycles: int = 40) -> pd.DataFrame:
    """A C-MAPSS-shaped training table of ``count`` engines (random sensors)."""
    from bench.cmapss import SENSORS

    generator = np.random.default_rng(0)
    unit = np.repeat(np.arange(1, count + 1), cycles)
    cycle = np.tile(np.arange(1, cycles + 1), count)
    frame = pd.DataFrame({"unit": unit, "cycle": cycle, "rul": cycles - cycle})
    for sensor in SENSORS:
        frame[sensor] = generator.normal(size=len(frame))
    return frame.sample(frac=1.0, random_state=0)  # rows in no particular order


def test_bagging_check_holds_out_the_engines_a_run_would_validate_on() -> None:
    from bench.cmapss_bagging_check import arm_configs, outer_holdout
    from core.examples.prepare import prepare_experiment

    args = argparse.Namespace(epochs=None, stride=None)
    train = _engines(10)
    configs = arm_configs("FD001", 3, args)
    held = outer_holdout(train, configs["bagged"])
    prepared = prepare_experiment(train, configs["single"])
    validation = prepared.parts["validation"]
    validated = np.unique(prepared.entity_of_row[validation.end_rows])
    assert sorted(held.tolist()) == sorted(validated.tolist())
    assert len(held) == 2
    assert configs["bagged"].train.bagging
    assert configs["single"].model.members == 1
    assert not configs["single"].train.bagging


def test_a_paired_reading_names_the_arm_with_the_lower_rmse() -> None:
    from bench.common import reading
    from core.analysis.verdict import paired_difference

    lower, higher = [10.0, 10.1, 9.9], [12.0, 12.2, 11.9]
    better = paired_difference(lower, higher)
    assert reading(better, "LSTM", "gradient boosting") == "LSTM better"
    worse = paired_difference(higher, lower)
    assert reading(worse, "LSTM", "gradient boosting") == "gradient boosting better"
    tie = paired_difference([10.0, 12.0, 11.0], [11.0, 11.0, 11.0])
    assert reading(tie, "LSTM", "gradient boosting") == "no difference shown"
    one = paired_difference([10.0], [12.0])
    assert reading(one, "LSTM", "gradient boosting") == "one seed: no interval"
