"""Measurements of a plan's execution across seeds, beside what the plan promised."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.engine import mean_ci, quantile
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.executor import RunStats

TOTAL = "total"


@dataclass(frozen=True)
class SimulationResult:
    """Runs of one plan under one policy, one per seed.

    Attributes
    ----------
    instance_name, method
        What was executed.
    config
        The run settings.
    seeds
        Seed of each run.
    requests
        Request ids, in instance order.
    promised
        The plan's rate per request, pairs/s.
    promised_latency
        The plan's expected latency per request (eq. 1, rate-weighted over its trees).
    promised_fidelity
        The plan's fidelity per pair request (rate-weighted over its trees,
        :func:`qdcopt.network.physics.tree_fidelity`: link fidelity, swaps' dephasing,
        purification; storage decay is not counted); ``nan`` where the instance models no
        fidelity, for GHZ requests and where nothing is promised.
    runs
        What each run measured.
    wall_s
        Wall-clock seconds of all runs.
    """

    instance_name: str
    method: str
    config: RuntimeConfig
    seeds: tuple[int, ...]
    requests: tuple[str, ...]
    promised: tuple[float, ...]
    promised_latency: tuple[float, ...]
    runs: tuple[RunStats, ...]
    wall_s: float = 0.0
    promised_fidelity: tuple[float, ...] = ()

    def _row(self, name: str, promised: float, promised_latency: float, delivered: list[int],
             latencies: list[float], fidelities: list[float], expired: list[int],
             memory: list[float], promised_fidelity: float = math.nan) -> dict[str, Any]:
        d = self.config.duration
        ci = mean_ci([x / d for x in delivered])
        low = max(0.0, ci.low) if math.isfinite(ci.low) else ci.low  # a rate is never < 0
        lat_means = [np.mean(x) for x in latencies] if latencies else []
        return {
            "request": name,
            "policy": self.config.label,
            "method": self.method,
            "promised_rate": promised,
            "delivered_rate": ci.mean,
            "delivered_rate_low": low,
            "delivered_rate_high": ci.high,
            "delivered_over_promised": (ci.mean / promised) if promised > 0 else math.nan,
            "delivered_pairs": int(sum(delivered)),
            "promised_latency_s": promised_latency,
            "latency_mean_s": float(np.mean(lat_means)) if lat_means else math.nan,
            "latency_p95_s": quantile([v for x in latencies for v in x], 0.95),
            "promised_fidelity": promised_fidelity,
            "fidelity_mean": float(np.mean([v for x in fidelities for v in x]))
            if any(fidelities) else math.nan,
            "discarded_pairs": float(np.mean(expired)) if expired else 0.0,
            "memory_occupancy": float(np.mean(memory)) if memory else 0.0,
            "seeds": len(self.runs),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per request and a ``total`` row.

        Rates are means over seeds with a 95 % Student-t interval (its low end clipped at
        0); latencies are the
        times between consecutive deliveries of a tree (the quantity of eq. 1): the mean
        of the per-seed means and the p95 over all seeds; fidelity is the mean over every
        delivered pair; discarded pairs are cut-off discards per run; memory occupancy is
        the time-averaged number of memories held by a request's pairs (total row: the
        fraction of all memories in use).
        """
        rows = []
        for r, name in enumerate(self.requests):
            rows.append(self._row(
                name, self.promised[r], self.promised_latency[r],
                [int(run.delivered[r]) for run in self.runs],
                [run.latencies[r] for run in self.runs if run.latencies[r]],
                [run.fidelities[r] for run in self.runs],
                [int(run.expired[r]) for run in self.runs],
                [float(run.memory_area[r]) / run.duration for run in self.runs],
                self.promised_fidelity[r] if r < len(self.promised_fidelity) else math.nan))
        total = self._row(
            TOTAL, float(sum(self.promised)), math.nan,
            [int(run.delivered.sum()) for run in self.runs],
            [[v for x in run.latencies for v in x] for run in self.runs
             if any(run.latencies)],
            [[v for x in run.fidelities for v in x] for run in self.runs],
            [int(run.expired.sum()) for run in self.runs],
            [run.total_memory_area / (run.duration * max(1, run.total_memories))
             for run in self.runs])
        rows.append(total)
        return pd.DataFrame(rows)

    def totals(self) -> dict[str, Any]:
        """Run-level counters summed over seeds, and the loop's speed."""
        events = sum(r.events for r in self.runs)
        return {
            "link_pairs_generated": sum(r.generated for r in self.runs),
            "swaps": sum(r.swaps for r in self.runs),
            "swap_failures": sum(r.swap_failures for r in self.runs),
            "events": events,
            "wall_s": self.wall_s,
            "events_per_s": events / self.wall_s if self.wall_s > 0 else math.nan,
            "peak_memory_max": int(max((int(r.peak_memory.max()) if len(r.peak_memory) else 0)
                                       for r in self.runs)) if self.runs else 0,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (non-finite numbers become ``None``)."""
        frame = self.to_frame()
        rows = [{k: _plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]
        cfg = {k: _plain(v) for k, v in self.config.__dict__.items()}
        return {"instance": self.instance_name, "method": self.method, "config": cfg,
                "seeds": list(self.seeds), "requests": rows,
                "totals": {k: _plain(v) for k, v in self.totals().items()}}


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
