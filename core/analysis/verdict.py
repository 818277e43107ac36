"""Intervals over seeds and the verdict they support.

A paired difference of two arms over seeds comes with a 95% t-interval
(Student's t with k − 1 degrees of freedom); a :class:`Verdict` reads that
interval in the metric's direction (from :mod:`core.model.metric_registry`)
and says, in one sentence, which arm is better or that the seeds cannot tell.
Pages branch on :attr:`Verdict.kind`; they show :attr:`Verdict.text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from core.model.metric_registry import lower_is_better

INTERVAL_METHOD = "paired t-interval over seeds (95%, Student's t, k-1 df)"


def t_interval(
    values: Any, confidence: float = 0.95
) -> tuple[float, float | None, float | None]:
    """Mean of ``values`` with its Student's t-interval (k − 1 degrees of freedom).

    Parameters
    ----------
    values : array-like of float
        One value per seed (at least one).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    tuple
        ``(mean, low, high)``; with one value there is no interval and ``low``
        and ``high`` are ``None``.
    """
    # Start-up cost: scipy.stats takes about a second to import, and only a
    # summary over finished seeds needs it (not the pages or commands that list).
    from scipy import stats

    array = np.asarray(values, dtype=float)
    count = len(array)
    mean = float(array.mean())
    if count < 2:
        return mean, None, None
    spread = float(array.std(ddof=1)) / math.sqrt(count)
    margin = float(stats.t.ppf(0.5 + confidence / 2, count - 1)) * spread
    return mean, mean - margin, mean + margin


@dataclass(frozen=True)
class Difference:
    """The paired difference of two arms with its interval."""

    mean: float
    low: float | None
    high: float | None
    method: str
    seeds: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "method": self.method,
            "seeds": self.seeds,
        }


def paired_difference(
    first: list[float], second: list[float], confidence: float = 0.95
) -> Difference:
    """Mean of ``first - second`` (paired by seed) with a t-interval.

    With one seed there is no interval (``low`` and ``high`` are ``None``).
    """
    differences = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    mean, low, high = t_interval(differences, confidence)
    return Difference(mean, low, high, INTERVAL_METHOD, len(differences))


class VerdictKind(StrEnum):
    """What a comparison's seeds support."""

    #: No seed has finished with both arms yet.
    NO_RESULTS = "no_results"
    #: A single paired seed: a number, but no interval and no evidence.
    ONE_SEED = "one_seed"
    #: The interval contains zero.
    NO_DIFFERENCE = "no_difference"
    #: The interval lies on one side of zero: :attr:`Verdict.winner` is better.
    BETTER = "better"


@dataclass(frozen=True)
class Verdict:
    """A comparison's conclusion, with the numbers behind it.

    Parameters
    ----------
    kind : VerdictKind
        What the seeds support.
    metric : str
        The metric compared.
    difference : Difference or None
        The paired difference ``first − second``; ``None`` without results.
    first, second : str
        How the sentence names the two arms.
    winner : str or None
        ``first`` or ``second`` when ``kind`` is ``BETTER``.
    """

    kind: VerdictKind
    metric: str
    difference: Difference | None = None
    first: str = "embeddings"
    second: str = "one-hot"
    winner: str | None = None

    @property
    def text(self) -> str:
        """The plain sentence pages and the command line show."""
        difference = self.difference
        if self.kind is VerdictKind.NO_RESULTS or difference is None:
            return "no finished seeds yet"
        pair = f"{self.first} − {self.second} = {difference.mean:+.4f} {self.metric}"
        if self.kind is VerdictKind.ONE_SEED:
            return (
                f"one seed is not evidence: {pair} on a single run; "
                "compare over several seeds"
            )
        interval = f"(95% interval {difference.low:+.4f} to {difference.high:+.4f})"
        if self.kind is VerdictKind.NO_DIFFERENCE:
            seeds = difference.seeds
            return f"no difference detected at {seeds} seeds: {pair} {interval}"
        return (
            f"{self.winner} better by {abs(difference.mean):.4f} {self.metric} "
            f"{interval}, {difference.seeds} seeds"
        )

    def __str__(self) -> str:
        return self.text


def judge(
    difference: Difference | None,
    metric: str,
    first: str = "embeddings",
    second: str = "one-hot",
) -> Verdict:
    """Who is better, by how much, or that nothing was detected.

    Parameters
    ----------
    difference : Difference or None
        The paired difference ``first − second`` over seeds.
    metric : str
        The metric; its direction decides which sign is better.
    first, second : str
        How the verdict names the two arms.

    Returns
    -------
    Verdict
        ``BETTER`` only when the whole interval lies on one side of zero.
    """
    if difference is None:
        return Verdict(VerdictKind.NO_RESULTS, metric, None, first, second)
    if difference.low is None or difference.high is None:
        return Verdict(VerdictKind.ONE_SEED, metric, difference, first, second)
    sign = -1.0 if lower_is_better(metric) else 1.0
    low, high = sorted((sign * difference.low, sign * difference.high))
    if low > 0:
        winner = first
    elif high < 0:
        winner = second
    else:
        return Verdict(VerdictKind.NO_DIFFERENCE, metric, difference, first, second)
    return Verdict(VerdictKind.BETTER, metric, difference, first, second, winner)


def verdict(
    difference: Difference | None,
    metric: str,
    first: str = "embeddings",
    second: str = "one-hot",
) -> str:
    """The verdict's sentence alone (see :func:`judge`)."""
    return judge(difference, metric, first, second).text
