"""Paper 003 Figs. 7 and 8: request latency with one-time and with continuous pre-distribution.

The workload of paper 003's pre-distribution experiments: requests arrive one after
another at a fixed interval, each for one pair between one of the instance's node pairs
(cycling through them); a request's latency runs from its arrival to the delivery of its
pair.  Pre-distributed pairs are made for the plan's most useful intermediate node pairs
(:func:`~qdcopt.network.runtime.routes.predistribution_trees`), either once before the
first request (Fig. 7, ``batch``) or kept in stock throughout (Fig. 8, ``continuous``);
in both, the stock has the same warm-up before the first request.  The LP plan is
executed under the four policies the paper shows (scoring, swap-ASAP, the centralised
module and the fixed tree), each with early discard, on Waxman networks as in Fig. 6 (one
parameter varied at a time: nodes 50–200, swap success 0.2–0.6).

The text we have lost the paper's numbers of stocked node pairs, pairs per node pair and
the arrival interval; the choices here (:data:`STOCK_LINKS`, :data:`STOCK_PAIRS`,
:data:`INTERVAL`) are stated in ``models/runtime.md``.

Seeds: repetition ``k`` uses the network and simulation seed ``study seed + k``, so every
policy of a repetition meets the same network, plan and arrivals.  Outputs:
``fig7_batch_latency.csv/.png`` or ``fig8_continuous_latency.csv/.png``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.network.runtime.config import CENTRALIZED, FIXED, SCORING, SWAP_ASAP
from qdcopt.studies.paper003.fig6_runtime import DEFAULTS, QUICK_DEFAULTS, waxman_points
from qdcopt.sweeps import Sweep, Task

POLICIES = (SCORING, SWAP_ASAP, CENTRALIZED, FIXED)
SWEEPS: dict[str, tuple[float, ...]] = {
    "nodes": (50, 100, 150, 200),
    "swap_success": (0.2, 0.3, 0.4, 0.5, 0.6),
}
QUICK_SWEEPS: dict[str, tuple[float, ...]] = {"nodes": (20, 30), "swap_success": (0.3, 0.5)}
REQUESTS = 10  # node pairs the stream cycles through (as Fig. 6's requests)
ARRIVALS = 60  # requests per run
INTERVAL = 0.5  # seconds between arrivals
STOCK_LINKS = 5  # node pairs given pre-distributed pairs
STOCK_PAIRS = 2  # pairs per node pair (batch size, or stock kept)
WARMUP = 10.0  # seconds the stock may fill before the first request
_POINT = ("sweep", "x", "nodes", "swap_success", "density", "requests", "arrivals",
          "interval", "duration", "warmup", "stock_links", "stock_pairs", "method", "stock")


def tasks(mode: str, *, seed: int = 0, quick: bool = False, repetitions: int | None = None,
          policies: tuple[str, ...] = POLICIES, method: str = "lp") -> list[dict[str, Any]]:
    """Every (point, policy, repetition) of the study as a plain dict.

    Parameters
    ----------
    mode
        ``"batch"`` (Fig. 7) or ``"continuous"`` (Fig. 8).
    seed
        Study seed; repetition ``k`` uses ``seed + k``.
    quick
        Small networks, 8 arrivals, 1 repetition (for tests).
    repetitions
        Repetitions per point (default 10, quick 1).
    policies, method
        Policies run, and the family-B method whose plan is executed.

    Each policy runs with the stock (``stock`` = the mode) and, as the reference series,
    without any (``stock = "none"``: the same stream on the same plan and seed).
    """
    sweeps, defaults = (QUICK_SWEEPS, QUICK_DEFAULTS) if quick else (SWEEPS, DEFAULTS)
    reps = repetitions if repetitions is not None else (1 if quick else 10)
    arrivals, interval = (8, 0.1) if quick else (ARRIVALS, INTERVAL)
    return [{**point, "requests": REQUESTS, "arrivals": arrivals, "interval": interval,
             # the last request gets as long as the others had
             "duration": arrivals * interval + (2.0 if not quick else 0.5),
             "warmup": 1.0 if quick else WARMUP,
             "stock_links": STOCK_LINKS, "stock_pairs": STOCK_PAIRS,
             "method": method, "predistribution": stock, "stock": stock, "policy": policy,
             "seed": seed + k}
            for point, k, policy in waxman_points(sweeps, defaults, reps, policies)
            for stock in (mode, "none")]


def make_sweep(name: str, mode: str, *, seed: int = 0, quick: bool = False,
               repetitions: int | None = None) -> Sweep:
    """The tasks of study ``name`` (pre-distribution ``mode``) for the sweep runner."""
    out = []
    for t in tasks(mode, seed=seed, quick=quick, repetitions=repetitions):
        out.append(Task.make(name, {k: t[k] for k in _POINT}, method=t["policy"],
                             repetition=t["seed"] - seed, seed=t["seed"]))
    settings = {"seed": seed, "quick": quick, "predistribution": mode}
    writer = write_batch if mode == "batch" else write_continuous
    return Sweep(name, tuple(out), run_task, settings, writer, group=2 * len(POLICIES))


def run_task(task: Task | dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """Execute one task (a sweep :class:`~qdcopt.sweeps.Task` or a plain dict); its row."""
    if isinstance(task, Task):
        params = task.params()
        task = {**params, "predistribution": params.get("stock",
                                                        settings["predistribution"]),
                "policy": task.method, "seed": task.seed}
    return row_of(task)


def row_of(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one task; return its row (a pure function of the task)."""
    from qdcopt.network.runtime import RuntimeConfig, run_once
    from qdcopt.studies.paper003.fig6_runtime import _planned

    inst, plan, promised = _planned(task["nodes"], task["density"], task["swap_success"],
                                    task["requests"], task["seed"], task["method"])
    cfg = RuntimeConfig(policy=task["policy"], early_discard=True,
                        duration=task["duration"], arrivals=task["arrivals"],
                        arrival_interval=task["interval"],
                        predistribution=task["predistribution"],
                        predist_links=task["stock_links"], predist_pairs=task["stock_pairs"],
                        predist_threshold=int(task.get("threshold", 0)),
                        predist_warmup=task["warmup"])
    start = time.process_time()
    run = run_once(inst, plan, cfg, seed=task["seed"])
    lats = sorted(v for per in run.latencies for v in per)
    fids = [f for per in run.fidelities for f in per]
    served = int(run.delivered.sum())
    return {**task, "label": cfg.label,
            "latency_mean_s": sum(lats) / len(lats) if lats else math.nan,
            "latency_median_s": lats[len(lats) // 2] if lats else math.nan,
            "served": served, "unserved": run.unserved, "arrived": run.arrivals,
            "served_fraction": served / run.arrivals if run.arrivals else math.nan,
            "fidelity_mean": sum(fids) / len(fids) if fids else math.nan,
            "predistributed": run.predistributed, "predist_used": run.predist_used,
            "surplus_pairs": run.surplus, "promised_rate": promised,
            "events": run.events, "cpu_s": time.process_time() - start}


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval over repetitions of the mean latency per point and policy,
    with the mean served fraction (latencies are of served requests only)."""
    from qdcopt.engine import mean_ci

    out = []
    for (sweep, x, label), g in rows.groupby(["sweep", "x", "label"], sort=True):
        lat = mean_ci(g["latency_mean_s"])
        out.append({"sweep": sweep, "x": x, "label": label, "latency_mean_s": lat.mean,
                    "latency_low": max(0.0, lat.low), "latency_high": lat.high,
                    "served_fraction": float(g["served_fraction"].mean()),
                    "predist_used": float(g["predist_used"].mean()),
                    "repetitions": len(g)})
    return pd.DataFrame(out)


def plot(summary: pd.DataFrame, path: Path, title: str) -> None:
    """One column per sweep: mean latency (top) and served fraction (bottom) per policy."""
    from qdcopt.plotting import subplots

    sweeps = list(dict.fromkeys(summary["sweep"]))
    fig, axes = subplots(2, len(sweeps), figsize=(5 * len(sweeps), 7), squeeze=False,
                             sharex="col")
    for col, sweep in enumerate(sweeps):
        part = summary[summary["sweep"] == sweep]
        for label, g in part.groupby("label", sort=True):
            g = g.sort_values("x")
            mean = g["latency_mean_s"]
            axes[0][col].errorbar(g["x"], mean, yerr=[(mean - g["latency_low"]).clip(lower=0),
                                                      (g["latency_high"] - mean).clip(lower=0)],
                                  marker="o", capsize=2, label=label)
            axes[1][col].plot(g["x"], g["served_fraction"], marker="o", label=label)
        axes[0][col].set_ylabel("mean latency of served requests, s")
        axes[1][col].set_ylabel("requests served")
        axes[1][col].set_xlabel(sweep)
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _write(rows: pd.DataFrame, out_dir: Path, stem: str, title: str) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, png = out_dir / f"{stem}.csv", out_dir / f"{stem}.png"
    rows.to_csv(csv, index=False)
    plot(summarise(rows), png, title)
    return [csv, png]


def write_batch(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Fig. 7's CSV and figure."""
    return _write(rows, out_dir, "fig7_batch_latency",
                  "one-time pre-distribution: latency of one-pair requests")


def write_continuous(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Fig. 8's CSV and figure."""
    return _write(rows, out_dir, "fig8_continuous_latency",
                  "continuous pre-distribution: latency of one-pair requests")
