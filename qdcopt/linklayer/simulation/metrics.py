"""The metrics of paper 004 §VI-A for one run, and their mean with confidence intervals.

For one run over ``t`` seconds, on the requests whose last pair was heralded by ``t``:

* latency L = NL_finish − NL_start (eq. 3), its mean L̄;
* jitter J = population standard deviation of the latencies (eq. 4);
* scaled latency SL = L / |R| (eq. 5), its mean;
* scaled throughput T = Σ|R| / (|E_Q| · t) (eq. 6), pairs per edge per second;
* busy time B = PL_finish − PL_start (eq. 7), its mean;
* queueing time W = PL_start − NL_start (eq. 8), its mean.

Across seeds each metric is averaged, with a Student-t 95 % confidence half-width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from qdcopt.engine import mean_ci
from qdcopt.linklayer.protocols.base import Request

METRICS = ("mean_latency_ms", "jitter_ms", "scaled_latency_ms", "throughput",
           "busy_time_ms", "queue_time_ms", "completed", "pairs")


def run_metrics(requests: Iterable[Request], edges: int, duration: float) -> dict[str, float]:
    """Metrics of one run (times in milliseconds, throughput in pairs / edge / s).

    Parameters
    ----------
    requests
        The run's requests; those unfinished by ``duration`` are left out.
    edges
        |E_Q|.
    duration
        t, seconds (for a fixed trace run to its end: the last completion).
    """
    done = [r for r in requests if not math.isnan(r.pl_finish) and r.pl_finish <= duration]
    if math.isinf(duration):
        duration = max((r.pl_finish for r in done), default=0.0)
    if not done:
        return {k: math.nan for k in METRICS} | {"completed": 0, "pairs": 0}
    lat = np.array([r.pl_finish - r.created for r in done])
    size = np.array([r.size for r in done], dtype=float)
    busy = np.array([r.pl_finish - r.pl_start for r in done])
    wait = np.array([r.pl_start - r.created for r in done])
    return {
        "mean_latency_ms": float(lat.mean() * 1e3),
        "jitter_ms": float(lat.std() * 1e3),
        "scaled_latency_ms": float((lat / size).mean() * 1e3),
        "throughput": float(size.sum() / (edges * duration)) if duration > 0 else math.nan,
        "busy_time_ms": float(busy.mean() * 1e3),
        "queue_time_ms": float(wait.mean() * 1e3),
        "completed": len(done),
        "pairs": int(size.sum()),
    }


def confidence(values: Iterable[float], level: float = 0.95) -> tuple[float, float]:
    """Mean and Student-t half-width of a sample (:func:`qdcopt.engine.mean_ci`;
    half-width ``nan`` below two values)."""
    ci = mean_ci(values, level)
    return ci.mean, ci.half_width if ci.n > 1 else math.nan
