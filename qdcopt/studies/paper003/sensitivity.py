"""How far paper 003's headlines move with the formulas its text lost.

Two parts of the runtime are readings of words, not the paper's formulas
(``models/runtime.md``): the score's weights ``(w_B, w_O, w_M)`` (benefit, opportunity
loss, memory relief; default 1, 1, 0.5) and the early-discard factor ``α`` (a pair at
depth ``d`` is discarded past ``α^d`` of the root cut-off; default 0.5).  At the Fig. 6
default point (Waxman 100 nodes, density 0.1, 10 requests, q = 0.4, 5 memories) this
study runs the scoring policy with each weight moved over a range, and every policy of
the headlines with each discard factor, on the DP trees (``iterative``, the fixed
baseline's plan) and on the LP plan; the headline ratio is each run's delivered rate
over the fixed tree's on the DP trees with the same discard factor.

Output: ``sensitivity.csv``, ``sensitivity.png``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.sweeps import Sweep, Task

NAME = "sensitivity"
PLANS = ("iterative", "lp")
WEIGHTS = {"w_B": (0.5, 1.0, 2.0), "w_O": (0.0, 0.5, 1.0, 2.0), "w_M": (0.0, 0.5, 1.0)}
DEFAULT_WEIGHTS = (1.0, 1.0, 0.5)
DISCARD = (0.25, 0.5, 0.75, 1.0)
DISCARD_POLICIES = ("fixed", "scoring", "oldest", "connectionless", "centralized")


def variants(quick: bool = False) -> list[dict[str, Any]]:
    """Every run's settings: scoring with one weight moved, then the headline policies
    with each discard factor."""
    out = []
    for name, values in WEIGHTS.items():
        for v in values[:2] if quick else values:
            w = list(DEFAULT_WEIGHTS)
            w[("w_B", "w_O", "w_M").index(name)] = v
            out.append({"part": "weights", "moved": name, "value": v, "policy": "scoring",
                        "weights": tuple(w), "discard_factor": 0.5})
    for a in DISCARD[:2] if quick else DISCARD:
        for policy in DISCARD_POLICIES:
            out.append({"part": "discard", "moved": "discard_factor", "value": a,
                        "policy": policy, "weights": DEFAULT_WEIGHTS, "discard_factor": a})
    return out


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """One task per variant, plan and seed (``repetitions`` seeds, default 3)."""
    reps = repetitions if repetitions is not None else (1 if quick else 3)
    nodes = 20 if quick else 100
    tasks = []
    for v in variants(quick):
        plans = ("iterative",) if v["policy"] in ("fixed", "connectionless") else PLANS
        for plan in plans:
            for k in range(reps):
                params = {"nodes": nodes, "duration": 3.0 if quick else 50.0,
                          "part": v["part"], "moved": v["moved"], "value": v["value"],
                          "policy": v["policy"], "w_B": v["weights"][0],
                          "w_O": v["weights"][1], "w_M": v["weights"][2],
                          "discard_factor": v["discard_factor"]}
                tasks.append(Task.make(NAME, params, method=plan, repetition=k,
                                       seed=seed + k))
    return Sweep(NAME, tuple(tasks), run_task, {"seed": seed, "quick": quick}, write)


@lru_cache(maxsize=4)
def _plan(nodes: int, method: str) -> tuple[Any, Any]:
    from qdcopt.network.methods import METHODS
    from qdcopt.network.topology.waxman import waxman_instance

    inst = waxman_instance(nodes, density=0.1 if nodes >= 100 else 0.2, requests=10, seed=0)
    return inst, METHODS[method](inst)[0]


def run_task(task: Task | dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """One run: delivered pairs/s."""
    from qdcopt.network.runtime import RuntimeConfig, run_once

    if isinstance(task, Task):
        task = {**task.params(), "plan": task.method, "seed": task.seed}
    inst, plan = _plan(int(task["nodes"]), str(task["plan"]))
    cfg = RuntimeConfig(policy=str(task["policy"]), duration=float(task["duration"]),
                        score_weights=(float(task["w_B"]), float(task["w_O"]),
                                       float(task["w_M"])),
                        discard_factor=float(task["discard_factor"]))
    run = run_once(inst, plan, cfg, seed=int(task["seed"]))
    return {**task, "delivered_rate": float(run.delivered.sum()) / cfg.duration}


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds, and the ratio to the fixed tree on the DP trees at the same
    discard factor."""
    mean = (rows.groupby(["part", "moved", "value", "policy", "plan", "discard_factor"],
                         as_index=False)["delivered_rate"].mean())
    fixed = mean[(mean["policy"] == "fixed") & (mean["plan"] == "iterative")]
    base = dict(zip(fixed["discard_factor"], fixed["delivered_rate"], strict=True))
    mean["over_fixed"] = [r / base[a] if base.get(a) else float("nan")
                          for r, a in zip(mean["delivered_rate"], mean["discard_factor"],
                                          strict=True)]
    return mean


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSV (every run) and the figure (ratios to the fixed tree)."""
    from qdcopt.plotting import subplots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / "sensitivity.csv"
    rows.to_csv(csv, index=False)
    summary = summarise(rows)
    fig, axes = subplots(1, 2, figsize=(12, 4.5))
    panels = (("weights", "moved", "weight (the others at 1, 1, 0.5)",
               "scoring: delivered / fixed tree"),
              ("discard", "policy", "early-discard factor α",
               "delivered / fixed tree at the same α"))
    for ax, (name, key, xlabel, title) in zip(axes, panels, strict=True):
        part = summary[summary["part"] == name]
        for (what, plan), g in part.groupby([key, "plan"], sort=True):
            g = g.sort_values("value")
            ax.plot(g["value"], g["over_fixed"], marker="o", label=f"{what} ({plan})")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    for ax in axes:
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhline(1.2, color="k", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    png = out_dir / "sensitivity.png"
    fig.savefig(png, dpi=120)
    return [csv, png]
