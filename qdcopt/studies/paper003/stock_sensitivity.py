"""How far paper 003's pre-distribution headlines move with the stock parameters its text lost.

Paper 003 (§IV-C, Figs. 7 and 8) keeps pre-distributed pairs on some node pairs and, in
the continuous model, "proactively generates additional ones whenever the stock falls
below a predefined threshold"; the number of node pairs, the stock size and the
threshold are not in the text we have.  Figs. 7 and 8 use 5 node pairs × 2 pairs
(:mod:`qdcopt.studies.paper003.predist_latency`).  At Fig. 8's default point (Waxman 100 nodes,
density 0.1, q = 0.4, 10 node pairs, 60 one-pair requests 0.5 s apart, 10 s warm-up) this
study moves one parameter at a time, for the scoring policy and the fixed tree on the LP
plan, beside the same stream with no stock:

* ``pairs`` — stock per node pair 1, 2, 4, 8 (replenished as soon as one is taken);
* ``threshold`` — a stock of 4 replenished once it falls below 1, 2, 3 or 4;
* ``links`` — 2, 5, 10 or 20 node pairs stocked, 2 pairs each.

Each run's mean latency of served requests is the response; the summary gives the mean
and Student-t 95 % interval over repetitions (default 5; repetition ``k`` uses network
and simulation seed ``study seed + k``).  Output: ``stock_sensitivity.csv``,
``stock_sensitivity.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.network.runtime.config import FIXED, SCORING
from qdcopt.studies.paper003.fig6_runtime import DEFAULTS, QUICK_DEFAULTS
from qdcopt.studies.paper003.predist_latency import ARRIVALS, INTERVAL, REQUESTS, WARMUP, row_of
from qdcopt.sweeps import Sweep, Task

NAME = "stock"
POLICIES = (SCORING, FIXED)
BASE = {"links": 5, "pairs": 2, "threshold": 0}
"""Figs. 7 and 8's stock: 5 node pairs × 2 pairs, replenished as soon as one is taken."""
PARTS: dict[str, tuple[int, ...]] = {"pairs": (1, 2, 4, 8), "threshold": (1, 2, 3, 4),
                                     "links": (2, 5, 10, 20)}
THRESHOLD_STOCK = 4
"""Stock size of the ``threshold`` part."""
_POINT = ("nodes", "density", "swap_success", "requests", "arrivals", "interval",
          "duration", "warmup", "stock", "stock_links", "stock_pairs", "threshold")


def stocks(quick: bool = False) -> list[dict[str, Any]]:
    """Every distinct stock setting, with the parts whose axis it lies on.

    Returns
    -------
    list of dict
        ``links``, ``pairs``, ``threshold`` (0: the stock size) and ``parts``: each
        ``(part, x)`` the setting is a point of.
    """
    found: dict[tuple[int, int, int], list[tuple[str, int]]] = {}
    for part, values in PARTS.items():
        for x in values[:2] if quick else values:
            s = dict(BASE)
            if part == "threshold":
                s["pairs"] = THRESHOLD_STOCK
            s[part] = x
            if s["threshold"] == s["pairs"]:
                s["threshold"] = 0  # the same run as replenishing at once
            found.setdefault((s["links"], s["pairs"], s["threshold"]), []).append((part, x))
    return [{"links": k[0], "pairs": k[1], "threshold": k[2], "parts": tuple(v)}
            for k, v in found.items()]


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """One task per stock setting (and the no-stock reference), policy and repetition."""
    reps = repetitions if repetitions is not None else (1 if quick else 5)
    point = QUICK_DEFAULTS if quick else DEFAULTS
    arrivals, interval = (8, 0.1) if quick else (ARRIVALS, INTERVAL)
    common = {"nodes": point["nodes"], "density": point["density"],
              "swap_success": point["swap_success"], "requests": REQUESTS,
              "arrivals": arrivals, "interval": interval,
              "duration": arrivals * interval + (0.5 if quick else 2.0),
              "warmup": 1.0 if quick else WARMUP}
    settings = [{"stock": "continuous", "stock_links": s["links"], "stock_pairs": s["pairs"],
                 "threshold": s["threshold"]} for s in stocks(quick)]
    settings.append({"stock": "none", **{f"stock_{k}": BASE[k] for k in ("links", "pairs")},
                     "threshold": 0})
    tasks = []
    for s in settings:
        for policy in POLICIES:
            for k in range(reps):
                params = {**common, **s}
                tasks.append(Task.make(NAME, {key: params[key] for key in _POINT},
                                       method=policy, repetition=k, seed=seed + k))
    return Sweep(NAME, tuple(tasks), run_task, {"seed": seed, "quick": quick}, write)


def run_task(task: Task | dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """One run of the request stream; its row (as Figs. 7 and 8)."""
    if isinstance(task, Task):
        task = {**task.params(), "policy": task.method, "seed": task.seed}
    return row_of({**task, "method": "lp", "predistribution": task["stock"]})


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean latency with its 95 % interval per part, value and policy; the no-stock
    reference as part ``none``."""
    from qdcopt.engine import mean_ci

    where = {(s["links"], s["pairs"], s["threshold"]): s["parts"]
             for s in stocks(quick=False) + stocks(quick=True)}
    out = []
    keys = ["stock", "stock_links", "stock_pairs", "threshold", "policy"]
    for (stock, links, pairs, threshold, policy), g in rows.groupby(keys, sort=True):
        lat = mean_ci(g["latency_mean_s"])
        stats = {"policy": policy, "stock_links": links, "stock_pairs": pairs,
                 "threshold": threshold, "latency_mean_s": lat.mean,
                 "latency_low": max(0.0, lat.low), "latency_high": lat.high,
                 "served_fraction": float(g["served_fraction"].mean()),
                 "predistributed": float(g["predistributed"].mean()),
                 "predist_used": float(g["predist_used"].mean()), "repetitions": len(g)}
        parts = (("none", 0),) if stock == "none" else where.get((links, pairs, threshold), ())
        out.extend({"part": part, "x": x, **stats} for part, x in parts)
    return pd.DataFrame(out)


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSV (every run) and the figure: one panel per parameter, the no-stock mean as
    a dashed line per policy."""
    from qdcopt.plotting import subplots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, png = out_dir / "stock_sensitivity.csv", out_dir / "stock_sensitivity.png"
    rows.to_csv(csv, index=False)
    summary = summarise(rows)
    none = summary[summary["part"] == "none"].set_index("policy")["latency_mean_s"]
    labels = {"pairs": "pairs per stocked node pair (5 node pairs)",
              "threshold": f"replenishment threshold (stock of {THRESHOLD_STOCK})",
              "links": "stocked node pairs (2 pairs each)"}
    fig, axes = subplots(1, len(PARTS), figsize=(5 * len(PARTS), 4.2), sharey=True)
    for ax, part in zip(axes, PARTS, strict=True):
        data = summary[summary["part"] == part]
        for i, (policy, g) in enumerate(data.groupby("policy", sort=True)):
            g = g.sort_values("x")
            mean = g["latency_mean_s"]
            line = ax.errorbar(g["x"], mean,
                               yerr=[(mean - g["latency_low"]).clip(lower=0),
                                     (g["latency_high"] - mean).clip(lower=0)],
                               marker="o", capsize=2, label=policy, color=f"C{i}")
            if policy in none.index:
                ax.axhline(none[policy], ls="--", lw=0.9, color=line[0].get_color(),
                           label=f"{policy}, no stock")
        ax.set_xlabel(labels[part])
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean latency of served requests, s")
    axes[0].legend(fontsize=7)
    fig.suptitle("continuous pre-distribution: latency against the stock parameters")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    return [csv, png]


__all__ = ["NAME", "run_task", "stocks", "summarise", "sweep", "write"]
