"""Statistics every simulation reports across seeds.

Runs with different seeds are independent replications, so a quantity's mean over
seeds has a Student-t confidence interval: ``mean ± t_{(1+level)/2, k-1} · s / √k``
with ``s`` the sample standard deviation of the ``k`` per-seed values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MeanCI:
    """A mean with its confidence interval.

    Attributes
    ----------
    mean
        Sample mean (``nan`` when there are no values).
    low, high
        Interval bounds (equal to the mean for one value; ``nan`` for none).
    n
        Number of values.
    level
        Confidence level.
    """

    mean: float
    low: float
    high: float
    n: int
    level: float = 0.95

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        return (self.high - self.low) / 2

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return self.low <= value <= self.high


def mean_ci(values: Iterable[float], level: float = 0.95) -> MeanCI:
    """Mean and Student-t confidence interval of independent replications.

    Parameters
    ----------
    values
        One value per replication (non-finite values are dropped).
    level
        Confidence level in (0, 1).

    Returns
    -------
    MeanCI
    """
    from scipy.stats import t as student_t

    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    k = len(x)
    if k == 0:
        return MeanCI(math.nan, math.nan, math.nan, 0, level)
    m = float(x.mean())
    if k == 1:
        return MeanCI(m, m, m, 1, level)
    half = float(student_t.ppf((1 + level) / 2, k - 1) * x.std(ddof=1) / math.sqrt(k))
    return MeanCI(m, m - half, m + half, k, level)


def quantile(values: Iterable[float], q: float = 0.95) -> float:
    """The ``q`` quantile (linear interpolation), ``nan`` for no values.

    Parameters
    ----------
    values
        Samples (for example every latency of every seed).
    q
        Quantile in [0, 1]; 0.95 gives the p95.
    """
    x = np.asarray(list(values), dtype=float)
    if len(x) == 0:
        return math.nan
    return float(np.quantile(x, q))
