"""The committed benchmark configs are valid experiments that `train --config` takes.

README's recipe trains them as they are, so a field renamed or checked more
strictly in core must not leave a committed config behind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

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
        # The committed configs carry the baseline; a variant that does not
        # name it must switch it off, or it studies something else than it says.
        assert (config.data.entity_baseline is not None) == ("baseline" in name)
