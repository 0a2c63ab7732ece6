"""Seeded closed-loop simulations of a link-layer protocol, summarised across seeds.

:func:`simulate` runs DQP or ESP on the paper's traffic (each edge issues its next
request an exponential back-off after the previous one completes) for a simulated
duration and a number of seeds, and returns a :class:`ProtocolRuns`: one row of
metrics per seed, and their means with 95 % confidence intervals.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qdcopt.engine.limits import check_seeds
from qdcopt.linklayer.instance import LinkInstance, check_duration
from qdcopt.linklayer.protocols import PROTOCOLS, RunRecord
from qdcopt.linklayer.simulation.metrics import METRICS, confidence, run_metrics
from qdcopt.runs import interrupt


def run_seed(study_seed: int, k: int) -> tuple[int, int]:
    """Entropy of the k-th run of a simulation seeded ``study_seed``."""
    return (int(study_seed), int(k))


@dataclass(frozen=True)
class ProtocolRuns:
    """Metrics of every seed of one protocol on one instance.

    Attributes
    ----------
    instance
        Instance name.
    method
        Protocol.
    duration
        Simulated seconds per run.
    seed
        Seed the runs derive from.
    rows
        One dictionary of metrics per run (plus ``run``, ``events``, ``messages``,
        ``violations``, ``wall_s``).
    """

    instance: str
    method: str
    duration: float
    seed: int
    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per run, then the mean across runs and the half-width of its 95 %
        interval (rows ``run = "mean"`` and ``run = "ci95"``)."""
        frame = pd.DataFrame(list(self.rows))
        summary = self.summary()
        mean = {"run": "mean", **{m: v["mean"] for m, v in summary.items()}}
        half = {"run": "ci95", **{m: v["ci95"] for m, v in summary.items()}}
        return pd.concat([frame.astype({"run": object}), pd.DataFrame([mean, half])],
                         ignore_index=True)

    def summary(self) -> dict[str, dict[str, float]]:
        """Metric → ``{"mean": ..., "ci95": ...}`` across runs."""
        out = {}
        for m in METRICS:
            mean, half = confidence([r[m] for r in self.rows])
            out[m] = {"mean": mean, "ci95": half}
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: parameters, means with intervals, and the runs."""
        def plain(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return None
            return x

        return {
            "instance": self.instance,
            "method": self.method,
            "duration_s": self.duration,
            "seed": self.seed,
            "seeds": len(self.rows),
            "metrics": {m: {k: plain(v) for k, v in d.items()}
                        for m, d in self.summary().items()},
            "runs": [{k: plain(v) for k, v in r.items()} for r in self.rows],
        }


def simulate_once(instance: LinkInstance, method: str, duration: float,
                  seed: int | tuple[int, ...] = 0, log: bool = False) -> RunRecord:
    """One closed-loop run of ``method`` (``"dqp"`` or ``"esp"``).

    Parameters
    ----------
    instance
        The network.
    method
        Protocol name.
    duration
        Simulated seconds.
    seed
        Seed (int or tuple of ints) of the run.
    log
        Keep the handled messages with their states.

    Returns
    -------
    RunRecord
    """
    if method not in PROTOCOLS:
        raise ValueError(f"unknown protocol {method!r} (known: {', '.join(PROTOCOLS)})")
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    return PROTOCOLS[method](instance, seed=seed, log=log).run(duration)


def simulate(instance: LinkInstance, method: str = "esp", duration: float = 120.0,
             seeds: int = 10, seed: int = 0, **options: Any) -> ProtocolRuns:
    """Run ``method`` for ``duration`` simulated seconds on ``seeds`` seeds.

    Parameters
    ----------
    instance
        A family-C instance.
    method
        ``"dqp"`` or ``"esp"``.
    duration
        Simulated seconds per run (the paper: 120).
    seeds
        Number of runs; run k uses entropy ``(seed, k)``.
    seed
        Seed the runs derive from.

    Returns
    -------
    ProtocolRuns
    """
    if options:
        raise ValueError(f"option {next(iter(options))}: a link-layer simulation has no such "
                         "option (known: method, duration, seeds, seed)")
    # bounded before the first event: an infinite horizon would never return
    duration = check_duration(instance, duration)
    seeds = check_seeds(instance.file, seeds)
    rows = []
    try:
        for k in range(int(seeds)):
            t0 = time.perf_counter()
            rec = simulate_once(instance, method, duration, run_seed(seed, k))
            row: dict[str, Any] = {"run": k}
            row.update(run_metrics(rec.requests, len(instance.edges), duration))
            row.update(events=rec.events, messages=rec.messages,
                       violations=len(rec.violations), **rec.counters,
                       wall_s=time.perf_counter() - t0)
            rows.append(row)
    except KeyboardInterrupt:
        if not rows:
            raise
        # Ctrl-C keeps the runs that ended; the stop is recorded for the caller to report
        interrupt.request()
    return ProtocolRuns(instance.name, method, float(duration), int(seed), tuple(rows))
