"""Promise against delivery of family-B plans at paper 003's Fig. 6 points.

Each distinct point of the Fig. 6 sweeps (Waxman networks, 100 km × 100 km, 5 memories
per node, 10 requests; nodes 50–200, swap success 0.2–0.6, edge density 0.05–0.2, the
others at their defaults) is planned by each method — ``lp`` (reserved memories, the
default), ``lp-calibrated``, ``iterative`` (reserved-memory copies) and the published
attempt-only LP (``lp`` with ``resources=attempts``, labelled ``lp-attempts``) — and the
plan is executed under the fixed policy (early discard, the runtime's defaults) for
``seeds`` seeded runs.  A row holds the promise (the plan's aggregate rate), the
delivered aggregate rate with its 95 % Student-t interval over the runs, and their ratio.

Output: ``promise_delivery.csv`` and ``promise_delivery.png`` (delivered / promised per
point and method).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.studies.paper003.fig6_runtime import DEFAULTS, QUICK_DEFAULTS, QUICK_SWEEPS, SWEEPS
from qdcopt.sweeps import Sweep, Task

NAME = "promise"
METHODS = ("lp", "lp-calibrated", "iterative", "lp-attempts")
_POINT = ("nodes", "swap_success", "density", "requests", "duration", "seeds")


def points(quick: bool = False) -> list[dict[str, Any]]:
    """The distinct points of the Fig. 6 sweeps (the default point once)."""
    sweeps, defaults = (QUICK_SWEEPS, QUICK_DEFAULTS) if quick else (SWEEPS, DEFAULTS)
    out: list[dict[str, Any]] = []
    for sweep, values in sweeps.items():
        for x in values:
            p = {**defaults, sweep: x}
            cell = {"nodes": int(p["nodes"]), "swap_success": float(p["swap_success"]),
                    "density": float(p["density"])}
            if cell not in out:
                out.append(cell)
    return out


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """One task per point, method and repetition (repetition ``k``: network seed
    ``seed + k``)."""
    reps = repetitions if repetitions is not None else 1
    tasks = []
    for point in points(quick):
        for k in range(reps):
            for method in METHODS:
                params = {**point, "requests": 10, "duration": 3.0 if quick else 50.0,
                          "seeds": 2 if quick else 3}
                tasks.append(Task.make(NAME, {k_: params[k_] for k_ in _POINT},
                                       method=method, repetition=k, seed=seed + k))
    return Sweep(NAME, tuple(tasks), run_task, {"seed": seed, "quick": quick}, write)


@lru_cache(maxsize=4)
def _network(nodes: int, density: float, swap_success: float, requests: int, seed: int):
    from qdcopt.network.topology.waxman import waxman_instance

    return waxman_instance(nodes, density=density, requests=requests, seed=seed,
                           swap_success=swap_success)


def run_task(task: Task | dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """Plan one point with one method, execute it, return the row."""
    import time

    from qdcopt.engine import mean_ci
    from qdcopt.network.methods import METHODS as NETWORK_METHODS
    from qdcopt.network.runtime import RuntimeConfig, simulate_plan

    if isinstance(task, Task):
        task = {**task.params(), "method": task.method, "seed": task.seed}
    inst = _network(task["nodes"], task["density"], task["swap_success"], task["requests"],
                    task["seed"])
    method = task["method"]
    start = time.perf_counter()
    if method == "lp-attempts":
        plan, info = NETWORK_METHODS["lp"](inst, resources="attempts")
    else:
        plan, info = NETWORK_METHODS[method](inst)
    plan_s = time.perf_counter() - start
    promised = float(sum(rate for _, rate in plan.requests))
    config = RuntimeConfig(policy="fixed", duration=float(task["duration"]))
    sim = simulate_plan(inst, plan, config, seeds=int(task["seeds"]), seed=int(task["seed"]))
    rates = [float(run.delivered.sum()) / config.duration for run in sim.runs]
    ci = mean_ci(rates)
    return {**task, "promised_rate": promised, "delivered_rate": ci.mean,
            "delivered_low": max(0.0, ci.low), "delivered_high": ci.high,
            "delivered_over_promised": ci.mean / promised if promised > 0 else math.nan,
            "trees": len(plan.trees), "status": info.status, "bound": info.bound,
            "plan_s": plan_s}


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSV and a plot of delivered / promised per point and method."""
    from qdcopt.plotting import subplots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = rows.sort_values(["nodes", "swap_success", "density", "method"])
    csv = out_dir / "promise_delivery.csv"
    rows.to_csv(csv, index=False)
    labels = [f"n={n} q={q:g} d={d:g}" for n, q, d in
              dict.fromkeys(zip(rows["nodes"], rows["swap_success"], rows["density"],
                                strict=True))]
    fig, axes = subplots(1, 2, figsize=(13, 4.5))
    for method, g in rows.groupby("method", sort=False):
        g = g.groupby(["nodes", "swap_success", "density"], sort=True).mean(numeric_only=True)
        xs = range(len(g))
        axes[0].plot(xs, g["delivered_over_promised"], marker="o", label=method)
        axes[1].plot(xs, g["delivered_rate"], marker="o", label=method)
    axes[0].axhspan(0.9, 1.1, color="0.9")
    axes[0].set_ylabel("delivered / promised (fixed policy)")
    axes[1].set_ylabel("delivered pairs/s (fixed policy)")
    for ax in axes:
        ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    png = out_dir / "promise_delivery.png"
    fig.savefig(png, dpi=120)
    return [csv, png]
