"""Paper 003 Figs. 6 and 9: delivered rate and fidelity of executed plans, per policy.

Setting (paper 003 §VI): Waxman networks over 100 km × 100 km, 5 memories per node,
q = 0.4, 10 requests, 100 simulated seconds per point; one parameter varied at a time
(nodes 50–200, swap success 0.2–0.6, edge density 0.05–0.2) with the others at their
defaults (100 nodes, q = 0.4, density 0.1).  Series, as the paper defines its
baselines: the fixed tree executes the DP-optimal trees per request (``iterative``, the
paper's [11]); every adaptive policy (and the centralised module) runs on that plan and,
as a separate series, on the LP plan (``lp``, reserved memories); connectionless routing
runs once (it follows no plan).  Labels read ``policy+discard@plan``.  Each plan's
promised aggregate rate is drawn beside the delivered ones.  Fig. 9 plots the mean
fidelity of the same runs.

The study is a list of tasks (plain dicts: the point's parameters, the policy and the
seed) and one pure function :func:`row_of` from a task to a row; :func:`sweep` hands them
to the sweep runner (:mod:`qdcopt.sweeps`: parallel, resumable), :func:`write` makes the
files from the stored rows.
Seeds: repetition ``k`` of a point uses the network of seed ``study seed + k`` and runs
the simulation with the same seed, so every policy of a repetition sees the same network
and plan.

Outputs: ``fig6_runtime.csv`` (every run), ``fig6_ratios.csv`` (per point and series,
the delivered rate over the fixed tree's and over connectionless routing's, paired by
repetition), ``fig6_headlines.csv`` (per series, those ratios over the points and the
range of its mean fidelity), ``fig6_runtime.png`` (rate) and ``fig9_fidelity.png``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.network.runtime.config import CENTRALIZED, CONNECTIONLESS, FIXED, POLICIES
from qdcopt.sweeps import Sweep, Task

NAME = "fig6"
_POINT = ("sweep", "x", "nodes", "swap_success", "density", "requests", "duration",
          "early_discard", "method")

SWEEPS: dict[str, tuple[float, ...]] = {
    "nodes": (50, 100, 150, 200),
    "swap_success": (0.2, 0.3, 0.4, 0.5, 0.6),
    "density": (0.05, 0.1, 0.15, 0.2),
}
DEFAULTS = {"nodes": 100, "swap_success": 0.4, "density": 0.1}
QUICK_SWEEPS: dict[str, tuple[float, ...]] = {"nodes": (20, 30), "swap_success": (0.3, 0.5),
                                              "density": (0.15, 0.25)}
QUICK_DEFAULTS = {"nodes": 20, "swap_success": 0.4, "density": 0.2}
BASELINES = (CONNECTIONLESS, CENTRALIZED)
DP_PLAN, LP_PLAN = "iterative", "lp"


def series(policies: tuple[str, ...] = POLICIES) -> list[tuple[str, str]]:
    """``(policy, plan method)`` of every series: fixed on the DP trees, each adaptive
    policy on the DP trees and on the LP plan, connectionless once (no plan)."""
    out = []
    for policy in policies:
        if policy == FIXED:
            out.append((policy, DP_PLAN))
        elif policy == CONNECTIONLESS:
            out.append((policy, DP_PLAN))  # the plan is not followed; any will do
        else:
            out.extend([(policy, DP_PLAN), (policy, LP_PLAN)])
    return out


def tasks(*, seed: int = 0, quick: bool = False, repetitions: int | None = None,
          policies: tuple[str, ...] = POLICIES, method: str | None = None,
          ) -> list[dict[str, Any]]:
    """Every (point, series, repetition) of the study as a plain dict.

    Parameters
    ----------
    seed
        Study seed; repetition ``k`` uses ``seed + k``.
    quick
        Small networks, 3 s runs, 2 repetitions (for tests).
    repetitions
        Repetitions per point (default 10, quick 2).
    policies
        Policies to run (each in its series, :func:`series`).
    method
        One family-B method whose plan every policy executes, instead of the series.
    """
    sweeps, defaults = (QUICK_SWEEPS, QUICK_DEFAULTS) if quick else (SWEEPS, DEFAULTS)
    reps = repetitions if repetitions is not None else (2 if quick else 10)
    pairs = [(p, method) for p in policies] if method is not None else series(policies)
    plan_of = {}
    for p, m in pairs:
        plan_of.setdefault(p, []).append(m)
    return [{**point, "requests": 10, "duration": 3.0 if quick else 100.0, "policy": policy,
             "early_discard": True, "method": plan, "seed": seed + k}
            for point, k, policy in waxman_points(sweeps, defaults, reps, tuple(plan_of))
            for plan in plan_of[policy]]


def waxman_points(sweeps: dict[str, tuple[float, ...]], defaults: dict[str, float],
                  repetitions: int, policies: tuple[str, ...],
                  ) -> Iterator[tuple[dict[str, Any], int, str]]:
    """Each swept Waxman point (one parameter moved off the defaults at a time), with each
    repetition and policy: ``(point, repetition, policy)``, the point's keys ``sweep``,
    ``x``, ``nodes``, ``swap_success`` and ``density`` in that order (they name tasks)."""
    for sweep, values in sweeps.items():
        for x in values:
            point = {**defaults, sweep: x}
            cells = {"sweep": sweep, "x": float(x), "nodes": int(point["nodes"]),
                     "swap_success": float(point["swap_success"]),
                     "density": float(point["density"])}
            for k in range(repetitions):
                for policy in policies:
                    yield cells, k, policy


@lru_cache(maxsize=16)
def _planned(nodes: int, density: float, swap_success: float, requests: int, seed: int,
             method: str) -> tuple[Any, Any, float]:
    """Network, plan and promised aggregate rate of one point and repetition (cached: every
    policy of a repetition executes the same plan)."""
    from qdcopt.network.methods import METHODS
    from qdcopt.network.topology.waxman import waxman_instance

    inst = waxman_instance(nodes, density=density, requests=requests, seed=seed,
                           swap_success=swap_success)
    plan, _ = METHODS[method](inst)
    return inst, plan, float(sum(rate for _, rate in plan.requests))


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """The study's tasks for the sweep runner: one per point, policy and repetition."""
    out = []
    for t in tasks(seed=seed, quick=quick, repetitions=repetitions):
        out.append(Task.make(NAME, {k: t[k] for k in _POINT}, method=t["policy"],
                             repetition=t["seed"] - seed, seed=t["seed"]))
    settings = {"seed": seed, "quick": quick}
    # one repetition's series share a network and its plans (cached per process)
    return Sweep(NAME, tuple(out), run_task, settings, write, group=len(series()))


def run_task(task: Task | dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """Execute one task (a sweep :class:`~qdcopt.sweeps.Task` or a plain dict); its row."""
    if isinstance(task, Task):
        task = {**task.params(), "policy": task.method, "seed": task.seed}
    return row_of(task)


def row_of(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one task; return its row (a pure function of the task)."""
    import time

    from qdcopt.network.runtime import RuntimeConfig, run_once

    inst, plan, promised = _planned(task["nodes"], task["density"], task["swap_success"],
                                    task["requests"], task["seed"], task["method"])
    cfg = RuntimeConfig(policy=task["policy"], early_discard=task["early_discard"],
                        duration=task["duration"])
    start = time.process_time()
    run = run_once(inst, plan, cfg, seed=task["seed"])
    fids = [f for per in run.fidelities for f in per]
    lats = [v for per in run.latencies for v in per]
    return {**task, "label": f"{cfg.label}@{task['method']}", "promised_rate": promised,
            "delivered_rate": float(run.delivered.sum()) / task["duration"],
            "fidelity_mean": sum(fids) / len(fids) if fids else math.nan,
            "latency_mean_s": sum(lats) / len(lats) if lats else math.nan,
            "discarded_pairs": int(run.expired.sum()), "link_pairs": run.generated,
            "events": run.events, "cpu_s": time.process_time() - start}


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval over repetitions of rate and fidelity per point and policy.

    Repetitions are different networks, so the intervals include the spread between
    networks (wide for few repetitions); the rate's low end is clipped at 0.
    """
    from qdcopt.engine import mean_ci

    out = []
    for (sweep, x, label), g in rows.groupby(["sweep", "x", "label"], sort=True):
        rate = mean_ci(g["delivered_rate"])
        fid = mean_ci(g["fidelity_mean"])
        out.append({"sweep": sweep, "x": x, "label": label,
                    "method": str(g["method"].iloc[0]) if "method" in g else "",
                    "delivered_rate": rate.mean,
                    "rate_low": max(0.0, rate.low), "rate_high": rate.high,
                    "promised_rate": float(g["promised_rate"].mean()),
                    "fidelity_mean": fid.mean, "fidelity_low": fid.low,
                    "fidelity_high": fid.high, "repetitions": len(g)})
    return pd.DataFrame(out)


def _paired(rows: pd.DataFrame, base: pd.Series, g: pd.DataFrame) -> np.ndarray:
    """Per repetition of one series at one point, its rate over ``base``'s (same point,
    same seed; repetitions where ``base`` delivered nothing are left out)."""
    denom = base.reindex(pd.MultiIndex.from_frame(g[["sweep", "x", "seed"]])).to_numpy()
    num = g["delivered_rate"].to_numpy()
    ok = np.isfinite(denom) & (denom > 0)
    return num[ok] / denom[ok]


def ratios(rows: pd.DataFrame) -> pd.DataFrame:
    """Each series' delivered rate over the fixed tree's and over connectionless
    routing's, per point: mean and 95 % Student-t interval over the repetitions.

    A repetition is one network and seed that every series of the point shares, so the
    ratios are paired: the spread between networks, which dominates the rates' own
    intervals, largely cancels.

    Parameters
    ----------
    rows
        The study's rows (``fig6_runtime.csv``).

    Returns
    -------
    pandas.DataFrame
        Per sweep, x and label: ``vs_fixed`` (mean, ``_low``, ``_high``),
        ``vs_connectionless`` (same), ``fidelity_mean`` (mean over repetitions) and
        ``fidelity_spread`` (largest minus least series' mean fidelity at the point).
    """
    from qdcopt.engine import mean_ci

    key = ["sweep", "x", "seed"]
    fixed = rows[(rows["policy"] == FIXED) & (rows["method"] == DP_PLAN)]
    free = rows[rows["policy"] == CONNECTIONLESS]
    bases = {"vs_fixed": fixed.set_index(key)["delivered_rate"],
             "vs_connectionless": free.set_index(key)["delivered_rate"]}
    out = []
    for (sweep, x, label), g in rows.groupby(["sweep", "x", "label"], sort=True):
        row: dict[str, Any] = {"sweep": sweep, "x": x, "label": label,
                               "repetitions": len(g)}
        for name, base in bases.items():
            ci = mean_ci(_paired(rows, base, g))
            row.update({name: ci.mean, f"{name}_low": ci.low, f"{name}_high": ci.high})
        row["fidelity_mean"] = float(g["fidelity_mean"].mean())
        out.append(row)
    frame = pd.DataFrame(out)
    if len(frame):
        spread = frame.groupby(["sweep", "x"])["fidelity_mean"].agg(lambda f: f.max() - f.min())
        frame["fidelity_spread"] = [spread[(s, x)] for s, x in zip(frame["sweep"], frame["x"],
                                                                    strict=True)]
    return frame


def headlines(ratio_rows: pd.DataFrame) -> pd.DataFrame:
    """Per series, its ratios over the points: mean, least and largest point mean.

    The default point (100 nodes, q = 0.4, density 0.1) belongs to all three sweeps; it
    is counted once.

    Parameters
    ----------
    ratio_rows
        The output of :func:`ratios`.

    Returns
    -------
    pandas.DataFrame
        Per label: ``points``; ``vs_fixed_mean``, ``_min``, ``_max``; the same for
        ``vs_connectionless``; ``fidelity_min``, ``fidelity_max`` (its point means) and
        ``fidelity_spread_max`` (the largest gap between series at any point, the same
        on every row).
    """
    r = ratio_rows.copy()
    default = {"nodes": DEFAULTS["nodes"], "swap_success": DEFAULTS["swap_success"],
               "density": DEFAULTS["density"]}
    at_default = np.array([math.isclose(x, default.get(s, math.nan))
                           for s, x in zip(r["sweep"], r["x"], strict=True)], dtype=bool)
    # keep the default point of the first sweep only
    first = r["sweep"].iloc[0] if len(r) else ""
    r = r[~at_default | (r["sweep"] == first).to_numpy()]
    out = []
    for label, g in r.groupby("label", sort=True):
        row: dict[str, Any] = {"label": label, "points": len(g)}
        for name in ("vs_fixed", "vs_connectionless"):
            v = g[name].dropna()
            row.update({f"{name}_mean": float(v.mean()) if len(v) else math.nan,
                        f"{name}_min": float(v.min()) if len(v) else math.nan,
                        f"{name}_max": float(v.max()) if len(v) else math.nan})
        row.update(fidelity_min=float(g["fidelity_mean"].min()),
                   fidelity_max=float(g["fidelity_mean"].max()),
                   fidelity_spread_max=float(r["fidelity_spread"].max()))
        out.append(row)
    return pd.DataFrame(out)


def _style(label: str) -> dict[str, Any]:
    """One colour per policy, solid on the LP plan and dashed on the DP trees."""
    import matplotlib as mpl

    policy, _, plan = label.partition("+")
    order = [FIXED, *[p for p in POLICIES if p != FIXED]]
    colours = mpl.colormaps["tab10"].colors
    colour = colours[order.index(policy) % len(colours)] if policy in order else "grey"
    return {"color": colour, "linestyle": "-" if plan.endswith(f"@{LP_PLAN}") else "--",
            "marker": "o" if plan.endswith(f"@{LP_PLAN}") else "s", "markersize": 3,
            "linewidth": 2.2 if policy == FIXED else 1.2}


def plot(summary: pd.DataFrame, path: Path, value: str = "delivered_rate",
         ratio_rows: pd.DataFrame | None = None) -> None:
    """One panel per sweep: ``value`` per series vs the swept parameter (with each plan's
    promised rate when plotting rates); with ``ratio_rows``, a second row of panels with
    each series' rate over the fixed tree's (paired intervals)."""
    from qdcopt.plotting import subplots

    sweeps = list(dict.fromkeys(summary["sweep"]))
    nrows = 2 if ratio_rows is not None else 1
    fig, axes = subplots(nrows, len(sweeps), figsize=(5 * len(sweeps), 3.6 * nrows + 1.2),
                         squeeze=False, layout="constrained")
    low, high = ("rate_low", "rate_high") if value == "delivered_rate" else (
        "fidelity_low", "fidelity_high")
    panels = [(0, summary, value, low, high,
               "delivered pairs/s" if value == "delivered_rate" else "mean fidelity")]
    if ratio_rows is not None:
        panels.append((1, ratio_rows, "vs_fixed", "vs_fixed_low", "vs_fixed_high",
                       "rate / fixed tree's (paired)"))
    for row, frame, col, lo, hi, ylabel in panels:
        for ax, sweep in zip(axes[row], sweeps, strict=True):
            part = frame[frame["sweep"] == sweep]
            for label, g in part.groupby("label", sort=True):
                g = g.sort_values("x")
                ax.errorbar(g["x"], g[col], yerr=[g[col] - g[lo], g[hi] - g[col]],
                            capsize=2, label=label, **_style(str(label)))
            if row == 0 and value == "delivered_rate" and "method" in part.columns:
                for plan, style in ((LP_PLAN, "k-"), (DP_PLAN, "k:")):
                    p = part[part["method"] == plan].groupby("x")["promised_rate"].mean()
                    if len(p):
                        ax.plot(p.index, p.values, style, linewidth=0.8, alpha=0.6,
                                label=f"{plan} promised")
            ax.set_xlabel(sweep)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=6, fontsize=7)
    fig.savefig(path, dpi=120)


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSVs of every row, the ratios and the headlines, and both figures."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / "fig6_runtime.csv"
    rows.to_csv(csv, index=False)
    ratio_rows = ratios(rows)
    ratio_csv, head_csv = out_dir / "fig6_ratios.csv", out_dir / "fig6_headlines.csv"
    ratio_rows.to_csv(ratio_csv, index=False)
    headlines(ratio_rows).to_csv(head_csv, index=False)
    summary = summarise(rows)
    rate_png, fid_png = out_dir / "fig6_runtime.png", out_dir / "fig9_fidelity.png"
    plot(summary, rate_png, "delivered_rate", ratio_rows)
    plot(summary, fid_png, "fidelity_mean")
    return [csv, ratio_csv, head_csv, rate_png, fid_png]
