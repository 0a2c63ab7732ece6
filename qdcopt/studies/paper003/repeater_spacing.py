"""Rate against repeater spacing on a real backbone, with the simulated delivery beside it.

The Abilene backbone (``instances/network/abilene.gml``: 11 points of presence, 14 links
of 265–2206 km) cannot carry entanglement over bare fibre: every link but two succeeds
with less than 1e-9 per attempt.  Repeaters every ``s`` km (each with the physics
defaults: 5 memories, 50 µs generation time, q = 0.4) make it usable; shorter spacing
means likelier links but more swaps, so the rate peaks at some spacing.  For each
spacing the default planner (``lp``, reserved memories) plans three requests between
neighbouring points of presence, and the plan is executed under the fixed policy.

Output: ``repeater_spacing.csv`` and ``repeater_spacing.png`` (promised and delivered
rate per request against the spacing).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.sweeps import Sweep, Task

NAME = "repeaters"
BACKBONE = Path(__file__).resolve().parents[3] / "instances" / "network" / "abilene.gml"
REQUESTS = "New York-Washington,Chicago-Indianapolis,Sunnyvale-Los Angeles"
SPACINGS = (20.0, 25.0, 30.0, 40.0, 50.0, 75.0, 100.0, 150.0)
QUICK_SPACINGS = (75.0, 150.0)


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """One task per spacing and request (the simulation's seeds are ``seed``, ``seed + 1``,
    …); the requests of one spacing share its plan and runs."""
    seeds = repetitions if repetitions is not None else (1 if quick else 3)
    n_req = len(REQUESTS.split(","))
    tasks = tuple(Task.make(NAME, {"spacing_km": s, "duration": 5.0 if quick else 100.0,
                                   "seeds": seeds, "request": r}, method="lp", seed=seed)
                  for s in (QUICK_SPACINGS if quick else SPACINGS) for r in range(n_req))
    return Sweep(NAME, tasks, run_task, {"seed": seed, "quick": quick}, write, group=n_req)


@lru_cache(maxsize=2)
def _executed(spacing: float, method: str, duration: float, seeds: int, seed: int,
              ) -> tuple[Any, ...]:
    import time

    from qdcopt.api import load_instance, solve, validate
    from qdcopt.network.runtime import RuntimeConfig, simulate_plan

    inst = load_instance(BACKBONE, requests=REQUESTS, repeater_spacing=spacing)
    start = time.perf_counter()
    plan, info = solve(inst, method)
    plan_s = time.perf_counter() - start
    report = validate(inst, plan)
    config = RuntimeConfig(policy="fixed", duration=duration)
    sim = simulate_plan(inst, plan, config, seeds=seeds, seed=seed)
    return inst, plan, info, plan_s, report.ok, sim


def run_task(task: Task | dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """Plan and execute at one spacing (shared by its requests); the row of one request."""
    from qdcopt.engine import mean_ci

    if isinstance(task, Task):
        task = {**task.params(), "method": task.method, "seed": task.seed}
    inst, plan, info, plan_s, valid, sim = _executed(
        float(task["spacing_km"]), str(task["method"]), float(task["duration"]),
        int(task["seeds"]), int(task["seed"]))
    r = int(task["request"])
    req = inst.requests[r]
    ci = mean_ci([float(run.delivered[r]) / float(task["duration"]) for run in sim.runs])
    return {**task, "pair": f"{inst.nodes[req.source].id}–{inst.nodes[req.destination].id}",
            "nodes": inst.n, "repeaters": len(inst.repeaters),
            "promised_rate": dict(plan.requests)[req.id], "delivered_rate": ci.mean,
            "delivered_low": max(0.0, ci.low), "delivered_high": ci.high,
            "valid": valid, "status": info.status, "bound": info.bound, "plan_s": plan_s}


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSV and the figure."""
    from qdcopt.plotting import subplots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = rows.sort_values(["pair", "spacing_km"])
    csv = out_dir / "repeater_spacing.csv"
    rows.to_csv(csv, index=False)
    fig, ax = subplots(figsize=(7, 4.5))
    for pair, g in rows.groupby("pair", sort=True):
        line, = ax.plot(g["spacing_km"], g["promised_rate"], "--", marker="o",
                        label=f"{pair} promised")
        ax.errorbar(g["spacing_km"], g["delivered_rate"],
                    yerr=[g["delivered_rate"] - g["delivered_low"],
                          g["delivered_high"] - g["delivered_rate"]],
                    color=line.get_color(), marker="s", capsize=2, label=f"{pair} delivered")
    ax.set_xlabel("repeater spacing, km")
    ax.set_ylabel("pairs/s (lp plan, fixed policy)")
    ax.set_title("Abilene with repeaters")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    png = out_dir / "repeater_spacing.png"
    fig.savefig(png, dpi=120)
    return [csv, png]
