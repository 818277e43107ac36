"""Skill against the baselines, and whether a model beats the strongest one.

A forecast is only worth having if it beats the trivial ones: the training mean,
the last observed value (persistence) and the value one season ago. The skill
score ``1 − RMSE / RMSE_persistence`` says by how much (0: no better than
persistence, below 0: worse), and :func:`standing` says it in words. Pure
functions over the reports of :func:`core.model.evaluation.evaluate` (or their
JSON), so pages, the command line and comparisons share one wording.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.model.metric_registry import headline_metric, lower_is_better, metric_label

#: The metric skill scores are computed from.
SKILL_METRIC = "rmse"

#: Report keys of the baselines, in the order tables list them.
BASELINE_NAMES: tuple[str, ...] = ("naive", "persistence", "seasonal_naive")

BASELINE_TITLES = {
    "naive": "naive baseline",
    "persistence": "persistence (last observed)",
    "seasonal_naive": "seasonal naive",
}


def skill_score(value: float | None, reference: float | None) -> float | None:
    """``1 − value / reference``; ``None`` when either is missing or the reference is 0.

    Examples
    --------
    >>> skill_score(3.0, 4.0)
    0.25
    >>> skill_score(1.0, 0.0) is None
    True
    """
    if value is None or reference is None:
        return None
    if not math.isfinite(reference) or reference == 0:
        return None
    return 1.0 - float(value) / float(reference)


def baseline_title(name: str, baseline: dict[str, Any] | None = None) -> str:
    """How tables and sentences name a baseline (with its season, if any)."""
    title = BASELINE_TITLES.get(name, name)
    if baseline and baseline.get("season"):
        title = f"{title} (season {baseline['season']})"
    return title


def baselines_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The baselines that apply in an evaluation report (older reports too).

    A report written before ``baselines`` existed carries ``baseline`` and
    possibly ``persistence``; both are read.
    """
    found = report.get("baselines")
    if found is None:
        found = {
            "naive": report.get("baseline"),
            "persistence": report.get("persistence"),
        }
    return {name: found[name] for name in BASELINE_NAMES if found.get(name)}


def baseline_values(
    report: dict[str, Any], metric: str, part: str = "test"
) -> dict[str, float]:
    """Each applicable baseline's ``metric`` on ``part``, by baseline name."""
    values = {}
    for name, baseline in baselines_of(report).items():
        value = (baseline.get(part) or {}).get(metric)
        if value is not None and math.isfinite(float(value)):
            values[name] = float(value)
    return values


@dataclass(frozen=True)
class Standing:
    """A model's metric against the strongest baseline.

    Attributes
    ----------
    metric : str
        The metric compared.
    model : float
        The model's value.
    strongest : str
        Report key of the best baseline on that metric.
    strongest_value : float
        Its value.
    beats : bool
        Whether the model is strictly better than every baseline.
    skill : float or None
        ``1 − RMSE / RMSE_persistence`` when both are known.
    """

    metric: str
    model: float
    strongest: str
    strongest_value: float
    beats: bool
    skill: float | None = None

    @property
    def text(self) -> str:
        """One sentence for pages and the command line."""
        label = metric_label(self.metric)
        skill = ""
        if self.skill is not None:
            skill = f"; skill vs persistence {self.skill:+.3f}"
        title = BASELINE_TITLES.get(self.strongest, self.strongest)
        if self.beats:
            return (
                f"beats every baseline: {label} {self.model:.4g} against "
                f"{self.strongest_value:.4g} for the strongest, {title}{skill}"
            )
        return (
            f"does not beat the strongest baseline, {title}: {label} "
            f"{self.model:.4g} against {self.strongest_value:.4g}{skill}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, with the sentence."""
        return {
            "metric": self.metric,
            "model": self.model,
            "strongest": self.strongest,
            "strongest_value": self.strongest_value,
            "beats": self.beats,
            "skill": self.skill,
            "text": self.text,
        }


def standing(
    model_value: float | None,
    baselines: dict[str, float],
    metric: str,
) -> Standing | None:
    """Whether ``model_value`` beats the best of ``baselines`` on ``metric``.

    Parameters
    ----------
    model_value : float or None
        The model's metric.
    baselines : dict of str to float
        Each baseline's metric (see :func:`baseline_values`).
    metric : str
        Its direction decides which value is stronger.

    Returns
    -------
    Standing or None
        ``None`` when the model's value or every baseline is unknown.
    """
    if model_value is None or not baselines or not math.isfinite(model_value):
        return None
    lower = lower_is_better(metric)
    pick = min if lower else max
    strongest = pick(baselines, key=baselines.__getitem__)
    best = baselines[strongest]
    beats = model_value < best if lower else model_value > best
    skill = None
    if metric == SKILL_METRIC:
        skill = skill_score(model_value, baselines.get("persistence"))
    return Standing(metric, float(model_value), strongest, best, beats, skill)


def report_standing(
    report: dict[str, Any], part: str = "test", metric: str | None = None
) -> Standing | None:
    """:func:`standing` of an evaluation report's model on one part.

    Only forecasts are judged (reports with a persistence baseline): against
    the training mean alone, a model's standing is its ordinary metric.
    """
    metric = metric or headline_metric(report["task"])
    values = baseline_values(report, metric, part)
    if "persistence" not in values:
        return None
    return standing((report.get(part) or {}).get(metric), values, metric)


def baseline_table(
    report: dict[str, Any], metrics: tuple[str, ...], part: str = "test"
) -> pd.DataFrame:
    """The model's ``metrics`` on ``part`` above each applicable baseline's.

    A ``skill`` column (``1 − RMSE / RMSE_persistence``) follows RMSE when the
    report has a persistence baseline and RMSE is among ``metrics``.
    """
    reference = baseline_values(report, SKILL_METRIC, part).get("persistence")
    sources = {"model": report.get(part) or {}}
    for name, baseline in baselines_of(report).items():
        sources[baseline_title(name, baseline)] = baseline.get(part) or {}
    rows = []
    for title, values in sources.items():
        row: dict[str, Any] = {"model": title}
        for metric in metrics:
            row[metric] = values.get(metric)
            if metric == SKILL_METRIC and reference is not None:
                row["skill"] = skill_score(values.get(metric), reference)
        rows.append(row)
    return pd.DataFrame(rows)
