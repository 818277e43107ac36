"""Is the difference real? Repeated-seed comparisons of the encodings.

A comparison is a set of runs in the store, one per seed. Every run trains all
arms (the embedding LSTM, its one-hot twin and optionally the gradient-boosting
arm) on one prepared split, so for each seed the arms are paired: same split,
same examples, same preprocessing. A seed moves the weights and, with
``vary_split``, the entity split too.

The comparison's id is a hash of the data, the settings (seed aside), the arms
and the seeds, so running the same comparison again reuses every finished run:
that is how a cancelled comparison is resumed.

The difference embedding − one-hot is reported with a 95% **t-interval over the
paired per-seed differences** (Student's t with k − 1 degrees of freedom), and
read by a :class:`core.analysis.verdict.Verdict`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.verdict import Difference, Verdict, judge, paired_difference
from core.config import ExperimentConfig
from core.errors import ConfigError
from core.model.arms import LSTM_ARMS, Arm
from core.model.metric_registry import headline_metric
from core.model.skill import (
    BASELINE_NAMES,
    BASELINE_TITLES,
    SKILL_METRIC,
    Standing,
    baseline_values,
    skill_score,
    standing,
)
from core.runs.store import RunRecord, RunStatus, RunStore, data_fingerprint

MAX_SEEDS = 20


@dataclass(frozen=True)
class ComparisonSpec:
    """What to compare.

    Parameters
    ----------
    config : ExperimentConfig
        The experiment; its ``train.seed`` is replaced by each seed.
    seeds : tuple of int
        One run per seed (1 to 20).
    vary_split : bool
        Also move the entity split with the seed (every arm of a seed still
        shares it).
    baseline_arm : bool
        Add the gradient-boosting arm on window summaries.
    """

    config: ExperimentConfig
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    vary_split: bool = False
    baseline_arm: bool = False

    def __post_init__(self) -> None:
        if not 1 <= len(self.seeds) <= MAX_SEEDS:
            raise ConfigError(
                "seeds", f"expected 1 to {MAX_SEEDS} seeds, received {len(self.seeds)}"
            )
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(
                "seeds", f"expected distinct seeds, received {self.seeds}"
            )

    @property
    def arms(self) -> tuple[Arm, ...]:
        """The encodings every run trains."""
        return (*LSTM_ARMS, Arm.GBM) if self.baseline_arm else LSTM_ARMS

    def seeded(self, seed: int) -> ExperimentConfig:
        """The config of one seed's run."""
        config = self.config.replace(train=replace(self.config.train, seed=seed))
        if self.vary_split:
            config = config.replace(split=replace(config.split, seed=seed))
        return config

    def identity(self, data_fingerprint: str) -> str:
        """The comparison's id: the same data and settings give the same id."""
        settings = self.config.identity_dict()
        settings["train"].pop("seed")
        if self.vary_split:
            settings["split"].pop("seed")
        payload = json.dumps(
            [data_fingerprint, settings, self.arms, self.vary_split, self.seeds],
            sort_keys=True,
        )
        return "cmp-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def seed_label(seed: int) -> str:
    """The label a comparison's run carries."""
    return f"seed {seed}"


def comparison_runs(store: RunStore, comparison: str) -> dict[int, RunRecord]:
    """The best run per seed of a comparison: a finished one, else the newest."""
    chosen: dict[int, RunRecord] = {}
    for record in reversed(store.records()):  # oldest first: newer ones win ties
        if record.comparison != comparison:
            continue
        seed = record.config.train.seed
        previous = chosen.get(seed)
        if previous is None or previous.status is not RunStatus.DONE:
            chosen[seed] = record
    return dict(sorted(chosen.items()))


def start_comparison(
    executor: Any,
    frame: pd.DataFrame,
    spec: ComparisonSpec,
    data_name: str,
    owner: str | None = None,
) -> str:
    """Submit every seed that has no finished or running run yet; returns the id.

    The id covers the owner too (through the data's owner-scoped fingerprint),
    so two users' comparisons of the same table never share runs.
    """
    comparison = spec.identity(data_fingerprint(frame, owner))
    existing = comparison_runs(executor.store, comparison)
    for seed in spec.seeds:
        record = existing.get(seed)
        if record is not None:
            record = executor.refresh(record)
            if record.status in (RunStatus.DONE, RunStatus.QUEUED, RunStatus.RUNNING):
                continue
        executor.submit(
            frame,
            spec.seeded(seed),
            spec.arms,
            data_name,
            owner=owner,
            label=seed_label(seed),
            comparison=comparison,
        )
    return comparison


@dataclass(frozen=True)
class ArmSummary:
    """One arm's metric over the seeds, and what it cost."""

    per_seed: dict[int, float]
    mean: float
    std: float
    parameters: float | None
    seconds: float | None
    peak_memory_bytes: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (seed keys as text)."""
        return {
            "per_seed": {str(seed): value for seed, value in self.per_seed.items()},
            "mean": self.mean,
            "std": self.std,
            "parameters": self.parameters,
            "seconds": self.seconds,
            "peak_memory_bytes": self.peak_memory_bytes,
        }


@dataclass(frozen=True)
class ComparisonResult:
    """A comparison's report for one metric."""

    comparison: str
    metric: str
    arms: dict[str, ArmSummary]
    difference: Difference | None
    verdict: Verdict
    baseline: float | None
    runs: dict[int, str] = field(default_factory=dict)
    pending: int = 0
    baselines: dict[str, float] = field(default_factory=dict)

    def standings(self) -> dict[str, Standing]:
        """Each arm's mean against the strongest baseline (forecasts only)."""
        if "persistence" not in self.baselines:
            return {}
        found = {
            arm: standing(summary.mean, self.baselines, self.metric)
            for arm, summary in self.arms.items()
        }
        return {arm: value for arm, value in found.items() if value is not None}

    def skill(self) -> dict[str, float | None]:
        """Each arm's mean RMSE skill against persistence (regression forecasts)."""
        if self.metric != SKILL_METRIC or "persistence" not in self.baselines:
            return {}
        reference = self.baselines["persistence"]
        return {
            arm: skill_score(summary.mean, reference)
            for arm, summary in self.arms.items()
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI writes: metric, arms, difference, verdict, ..."""
        return {
            "comparison": self.comparison,
            "metric": self.metric,
            "arms": {name: arm.to_dict() for name, arm in self.arms.items()},
            "difference": None
            if self.difference is None
            else self.difference.to_dict(),
            "verdict": self.verdict.text,
            "baseline": self.baseline,
            "runs": {str(seed): run_id for seed, run_id in self.runs.items()},
            "pending": self.pending,
            "baselines": {name: self.baselines.get(name) for name in BASELINE_NAMES},
            "skill": self.skill(),
            "versus_baselines": {
                arm: found.to_dict() for arm, found in self.standings().items()
            },
        }


def _arm_summary(
    store: RunStore, runs: dict[int, RunRecord], arm: str, metric: str
) -> ArmSummary | None:
    values, parameters, seconds, memory = {}, [], [], []
    for seed, record in runs.items():
        results = store.results(record.id).get(arm)
        if record.status is not RunStatus.DONE or results is None:
            continue
        value = results["test"].get(metric)
        if value is None:
            continue
        values[seed] = float(value)
        parameters.append(results.get("parameters", {}).get("total"))
        seconds.append(results.get("training", {}).get("seconds"))
        memory.append(record.peak_memory_bytes)
    if not values:
        return None
    array = np.asarray(list(values.values()))
    return ArmSummary(
        values,
        float(array.mean()),
        float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        _mean_or_none(parameters),
        _mean_or_none(seconds),
        _mean_or_none(memory),
    )


def _mean_or_none(values: list[Any]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return float(np.mean(known)) if known else None


def summarize(
    store: RunStore, comparison: str, metric: str | None = None
) -> ComparisonResult:
    """The report of a comparison from its runs (finished seeds only).

    Raises
    ------
    ConfigError
        If the comparison has no runs, or the metric is not one the task reports.
    """
    runs = comparison_runs(store, comparison)
    if not runs:
        raise ConfigError(
            "comparison", f"expected a comparison id, received {comparison!r}"
        )
    task = next(iter(runs.values())).config.data.task
    metric = metric or headline_metric(task)
    arms = {}
    for arm in next(iter(runs.values())).encodings:
        summary = _arm_summary(store, runs, arm, metric)
        if summary is not None:
            arms[arm] = summary
    difference = None
    embedding, onehot = arms.get(Arm.EMBEDDING), arms.get(Arm.ONEHOT)
    if embedding is not None and onehot is not None:
        paired = sorted(set(embedding.per_seed) & set(onehot.per_seed))
        if paired:
            difference = paired_difference(
                [embedding.per_seed[s] for s in paired],
                [onehot.per_seed[s] for s in paired],
            )
    baselines = _baselines(store, runs, metric)
    return ComparisonResult(
        comparison,
        metric,
        arms,
        difference,
        judge(difference, metric),
        baselines.get("naive"),
        {seed: record.id for seed, record in runs.items()},
        sum(1 for record in runs.values() if not record.status.final),
        baselines,
    )


def _baselines(
    store: RunStore, runs: dict[int, RunRecord], metric: str
) -> dict[str, float]:
    """Each baseline's mean test metric over the finished seeds (those that apply)."""
    values: dict[str, list[float]] = {}
    for record in runs.values():
        for results in store.results(record.id).values():
            # Every arm of a run shares the baselines: the first one tells.
            for name, value in baseline_values(results, metric).items():
                values.setdefault(name, []).append(value)
            break
    return {name: float(np.mean(found)) for name, found in values.items()}


def per_seed_table(result: ComparisonResult) -> pd.DataFrame:
    """Long table: one row per arm and seed (for the dot plot)."""
    rows = [
        {"arm": arm, "seed": seed, result.metric: value}
        for arm, summary in result.arms.items()
        for seed, value in summary.per_seed.items()
    ]
    return pd.DataFrame(rows, columns=["arm", "seed", result.metric])


def cost_table(result: ComparisonResult) -> pd.DataFrame:
    """Per arm: mean ± std of the metric, parameters, training time, peak memory.

    Then one row per baseline; a regression forecast also gets a ``skill``
    column (``1 − RMSE / RMSE_persistence``).
    """
    rows = []
    skill = result.skill()
    for arm, summary in result.arms.items():
        rows.append(
            {
                "arm": arm,
                f"mean {result.metric}": summary.mean,
                **({"skill": skill.get(arm)} if skill else {}),
                "std": summary.std,
                "seeds": len(summary.per_seed),
                "parameters": summary.parameters,
                "training seconds": summary.seconds,
                "peak memory (MiB)": None
                if summary.peak_memory_bytes is None
                else summary.peak_memory_bytes / 1024**2,
            }
        )
    reference = result.baselines.get("persistence")
    for name in BASELINE_NAMES:
        value = result.baselines.get(name)
        if name == "naive" and value is None:
            value = result.baseline  # a result built before ``baselines``
        if value is None:
            continue
        row = {"arm": BASELINE_TITLES[name], f"mean {result.metric}": value}
        if skill:
            row["skill"] = skill_score(value, reference)
        rows.append(row)
    return pd.DataFrame(rows)
