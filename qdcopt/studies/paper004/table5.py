"""Paper 004 Table V and Figs. 8, 10, 11: DQP and ESP on the 14 topologies, the optimum beside.

The study is a list of tasks (plain dictionaries: parameters, method and seed) and one
pure function :func:`run_task` turning a task into a row, so a sweep runner can spread
the tasks over workers and store rows as they finish.  :func:`run` does it all in one
process and writes:

* ``table5_runs.csv`` — one row per closed-loop run (topology × protocol × fidelity × run);
* ``table5.csv`` — Table V: mean latency and jitter (mean and 95 % half-width over runs)
  per topology and protocol at F = 0.75, with the paper's values and, beside them, the
  optimum on a fixed trace of each topology (``table5_optimum.csv``);
* ``table5_fig8.csv`` — Fig. 8/9: least-squares slope, intercept and R² of mean latency
  and jitter against |E_Q| per protocol, with the paper's;
* ``table5_fig10.csv`` — Fig. 10: ESP's change of mean latency against DQP by ν(G_Q);
* ``table5_fig11.csv`` — Fig. 11: mean latency at F = 0.50 … 0.90 per topology and protocol;
* ``table5.png`` — the four figures.

Seeds derive from the study seed and each task's key (never from the order of tasks), so
the rows do not depend on how many workers run them.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.linklayer.instance import LinkInstance, TraceSpec, Traffic, build_instance
from qdcopt.linklayer.simulation.metrics import confidence, run_metrics
from qdcopt.linklayer.topologies import PAPER_TOPOLOGIES
from qdcopt.linklayer.trace import realise_trace
from qdcopt.status import Status
from qdcopt.sweeps import Sweep, Task

# Paper 004, Table V (ms): topology → (DQP latency, DQP jitter, ESP latency, ESP jitter).
PAPER_TABLE_V = {
    "K_{1,3}": (29.48, 20.28, 29.89, 20.92), "K_{1,4}": (39.48, 26.12, 39.50, 25.79),
    "K_{2,3}": (66.31, 34.57, 34.51, 24.56), "K_2": (18.82, 13.89, 18.75, 13.47),
    "K_3": (29.31, 20.32, 28.57, 20.58), "K_4": (67.24, 35.62, 44.80, 30.57),
    "2x2": (39.19, 25.50, 27.83, 20.28), "2x3": (84.61, 39.49, 33.03, 24.32),
    "3x3": (180.11, 48.86, 39.77, 29.69), "C_5": (50.47, 29.48, 27.67, 19.78),
    "C_6": (65.91, 33.95, 28.08, 20.26), "F_2": (64.15, 32.95, 38.11, 28.04),
    "F_3": (119.40, 43.39, 53.84, 41.40), "W_6": (138.70, 44.33, 54.34, 38.97),
}
# Paper 004 §VI-D: regression of L̄ (Fig. 8) and J̄ (Fig. 9) on |E_Q|.
PAPER_SLOPES = {("latency", "dqp"): 15.32, ("latency", "esp"): 2.55,
                ("jitter", "dqp"): 3.34, ("jitter", "esp"): 2.02}
PAPER_R2 = {("latency", "dqp"): 0.96, ("latency", "esp"): 0.54}

FIDELITIES = tuple(round(0.50 + 0.05 * i, 2) for i in range(9))
TABLE_FIDELITY = 0.75


def task_seed(study_seed: int, key: str) -> tuple[int, int]:
    """Seed entropy of a task: the study seed and a hash of the task's key."""
    return (int(study_seed), zlib.crc32(key.encode()))


def tasks(seed: int = 0, *, runs: int = 10, duration: float = 120.0,
          fig11_runs: int = 3, fig11_duration: float = 30.0, optimum_trace: float = 0.2,
          optimum_time_limit: float = 60.0,
          topologies: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every task of the study, as plain dictionaries.

    Parameters
    ----------
    seed
        Study seed.
    runs, duration
        Runs per point and simulated seconds per run for Table V (paper: 120 s).
    fig11_runs, fig11_duration
        The same for the fidelity sweep of Fig. 11 (F ≠ 0.75 points).
    optimum_trace, optimum_time_limit
        Length of the fixed trace per topology on which DQP, ESP, the greedy scheduler
        and the MILP are compared, and the MILP's time limit.
    topologies
        Labels to keep (all 14 by default).
    """
    keep = set(topologies) if topologies is not None else None
    out: list[dict[str, Any]] = []
    for label, graph, params in PAPER_TOPOLOGIES:
        if keep is not None and label not in keep:
            continue
        for fid in FIDELITIES:
            n_runs, dur = (runs, duration) if fid == TABLE_FIDELITY else (fig11_runs,
                                                                          fig11_duration)
            for method in ("dqp", "esp"):
                for k in range(n_runs):
                    key = f"sim/{label}/{fid:.2f}/{method}/{k}"
                    out.append({"kind": "simulate", "key": key, "topology": label,
                                "graph": graph, "params": dict(params), "fidelity": fid,
                                "method": method, "run": k, "duration": dur,
                                "seed": list(task_seed(seed, key))})
        key = f"opt/{label}"
        out.append({"kind": "optimum", "key": key, "topology": label, "graph": graph,
                    "params": dict(params), "fidelity": TABLE_FIDELITY,
                    "trace_duration": optimum_trace, "time_limit": optimum_time_limit,
                    "trace_seed": int(task_seed(seed, key)[1] % (2**31))})
    return out


def instance_of(task: dict[str, Any]) -> LinkInstance:
    """The instance a task runs on."""
    trace = TraceSpec(duration=float(task.get("trace_duration", 0.2)),
                      seed=int(task.get("trace_seed", 1)), slot=1e-3)
    return build_instance(task["graph"], name=task["topology"],
                          traffic=Traffic(fidelity=float(task["fidelity"])), trace=trace,
                          **task["params"])


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """One task → one row (pure: the row depends on the task only).

    Parameters
    ----------
    task
        A dictionary from :func:`tasks`.

    Returns
    -------
    dict
        For ``simulate`` tasks the run's metrics; for ``optimum`` tasks the mean latency
        of DQP, ESP, greedy matching and the MILP's plan and bound on one fixed trace.
    """
    import time

    inst = instance_of(task)
    base = {"key": task["key"], "kind": task["kind"], "topology": task["topology"],
            "edges": len(inst.edges), "matching_number": inst.matching_number,
            "fidelity": task["fidelity"]}
    t0 = time.perf_counter()
    if task["kind"] == "simulate":
        from qdcopt.linklayer.simulation.simulate import simulate_once

        rec = simulate_once(inst, task["method"], task["duration"], tuple(task["seed"]))
        row = {**base, "method": task["method"], "run": task["run"],
               **run_metrics(rec.requests, len(inst.edges), task["duration"]),
               "events": rec.events, "violations": len(rec.violations),
               "wake_timeouts": rec.counters.get("wake_timeouts", 0)}
    elif task["kind"] == "optimum":
        from qdcopt.api import validate
        from qdcopt.linklayer.methods import METHODS

        row = {**base, "requests": len(realise_trace(inst).requests)}
        for m in ("dqp", "esp", "greedy-matching", "milp"):
            opts = {"time_limit": task["time_limit"]} if m == "milp" else {}
            plan, info = METHODS[m](inst, **opts)
            rep = validate(inst, plan)
            if not rep.ok:
                raise RuntimeError(f"{m} plan on {task['topology']} fails validation: "
                                   f"{sorted(rep.codes())}")
            row[f"{m}_ms"] = rep.objective
            if m == "milp":
                n = max(1, row["requests"])
                row["milp_bound_ms"] = info.bound
                row["milp_window_bound_ms"] = info.extra["window_bound_s"] / n * 1e3
                row["srpt_bound_ms"] = info.extra["srpt_bound_s"] / n * 1e3
                row["group_bound_ms"] = info.extra.get("group_bound_s", math.nan) / n * 1e3
                row["milp_gap"] = rep.objective / info.bound - 1.0 if info.bound > 0 else 0.0
                row["milp_form"] = info.extra["form"]
                row["milp_nodes"] = info.extra["nodes"]
                row["milp_branch_nodes"] = info.extra.get("branch_nodes", 0)
                # which exact method settled the trace: the branch and bound over active
                # schedules, or the MILP after it (the bound then the MILP's)
                row["milp_proven_by"] = ("branch-and-bound" if info.extra.get("branch_proven")
                                         else "milp" if info.status == Status.OPTIMAL
                                         else "")
                row["milp_status"] = info.status
    else:
        raise ValueError(f"unknown task kind {task['kind']!r}")
    row["wall_s"] = time.perf_counter() - t0
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """The study's tables from its rows."""
    frame = pd.DataFrame(rows)
    sims = frame[frame["kind"] == "simulate"]
    opt = frame[frame["kind"] == "optimum"].dropna(axis=1, how="all")
    order = {label: i for i, (label, _, _) in enumerate(PAPER_TOPOLOGIES)}
    table = []
    at = sims[np.isclose(sims["fidelity"], TABLE_FIDELITY)]
    for (topo, method), g in at.groupby(["topology", "method"]):
        lat, lat_ci = confidence(g["mean_latency_ms"])
        jit, jit_ci = confidence(g["jitter_ms"])
        paper = PAPER_TABLE_V.get(topo, (math.nan,) * 4)
        p_lat, p_jit = (paper[0], paper[1]) if method == "dqp" else (paper[2], paper[3])
        o = opt[opt["topology"] == topo] if "topology" in opt else opt.iloc[0:0]
        table.append({
            "topology": topo, "method": method, "edges": int(g["edges"].iloc[0]),
            "matching_number": int(g["matching_number"].iloc[0]), "runs": len(g),
            "mean_latency_ms": lat, "latency_ci95": lat_ci, "jitter_ms": jit,
            "jitter_ci95": jit_ci, "throughput": g["throughput"].mean(),
            "busy_time_ms": g["busy_time_ms"].mean(), "queue_time_ms": g["queue_time_ms"].mean(),
            "paper_latency_ms": p_lat, "paper_jitter_ms": p_jit,
            "trace_protocol_ms": float(o[f"{method}_ms"].iloc[0]) if len(o) else math.nan,
            "trace_optimum_bound_ms": float(o["milp_bound_ms"].iloc[0]) if len(o) else math.nan,
            "trace_best_plan_ms": float(o["milp_ms"].iloc[0]) if len(o) else math.nan,
        })
    t5 = pd.DataFrame(table)
    if len(t5):
        t5 = t5.sort_values(["topology", "method"], key=lambda s: s.map(order) if s.name ==
                            "topology" else s).reset_index(drop=True)
        t5["gap_to_bound"] = t5["trace_protocol_ms"] / t5["trace_optimum_bound_ms"] - 1.0
    fig8 = []
    for metric, col in (("latency", "mean_latency_ms"), ("jitter", "jitter_ms")):
        for method in ("dqp", "esp"):
            g = t5[t5["method"] == method] if len(t5) else t5
            if len(g) < 2:
                continue
            x, y = g["edges"].to_numpy(float), g[col].to_numpy(float)
            slope, icpt = np.polyfit(x, y, 1)
            r2 = 1 - ((y - (slope * x + icpt)) ** 2).sum() / ((y - y.mean()) ** 2).sum()
            fig8.append({"metric": metric, "method": method, "slope_ms_per_edge": slope,
                         "intercept_ms": icpt, "r2": r2,
                         "paper_slope": PAPER_SLOPES.get((metric, method), math.nan),
                         "paper_r2": PAPER_R2.get((metric, method), math.nan)})
    fig10 = []
    if len(t5):
        piv = t5.pivot(index="topology", columns="method", values="mean_latency_ms")
        nu = t5.groupby("topology")["matching_number"].first()
        for topo in piv.index:
            d, e = piv.loc[topo, "dqp"], piv.loc[topo, "esp"]
            p = PAPER_TABLE_V.get(topo, (math.nan,) * 4)
            fig10.append({"topology": topo, "matching_number": int(nu[topo]),
                          "esp_change_pct": 100 * (e - d) / d,
                          "paper_esp_change_pct": 100 * (p[2] - p[0]) / p[0]})
    fig11 = (sims.groupby(["topology", "method", "fidelity"])["mean_latency_ms"]
             .agg(["mean", "count"]).reset_index()
             .rename(columns={"mean": "mean_latency_ms", "count": "runs"}))
    return {"table5": t5, "fig8": pd.DataFrame(fig8), "fig10": pd.DataFrame(fig10),
            "fig11": fig11, "optimum": opt}


def plot(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Figs. 8, 10, 11 and the optimum beside Table V, in one PNG."""
    from qdcopt.plotting import subplots

    t5, fig11 = tables["table5"], tables["fig11"]
    fig, ax = subplots(2, 2, figsize=(12, 9))
    a = ax[0, 0]
    for method, colour in (("dqp", "tab:red"), ("esp", "tab:blue")):
        g = t5[t5["method"] == method]
        a.errorbar(g["edges"], g["mean_latency_ms"], yerr=g["latency_ci95"], fmt="o",
                   color=colour, label=method.upper())
        if len(g) > 1:
            s, c = np.polyfit(g["edges"], g["mean_latency_ms"], 1)
            xs = np.array([g["edges"].min(), g["edges"].max()])
            a.plot(xs, s * xs + c, "--", color=colour, label=f"slope {s:.2f} ms/edge")
        a.scatter(g["edges"], g["paper_latency_ms"], marker="x", color=colour, alpha=0.6)
    a.set(xlabel="|E_Q|", ylabel="mean latency (ms)", title="Fig. 8 (x: paper)")
    a.legend()
    a = ax[0, 1]
    f10 = tables["fig10"]
    if len(f10):
        a.scatter(f10["matching_number"], f10["esp_change_pct"], label="here")
        a.scatter(f10["matching_number"] + 0.1, f10["paper_esp_change_pct"], marker="x",
                  label="paper")
    a.axhline(0, color="grey", lw=0.5)
    a.set(xlabel="ν(G_Q)", ylabel="ESP vs DQP mean latency (%)", title="Fig. 10")
    a.legend()
    a = ax[1, 0]
    labels = [lab for lab, _, _ in PAPER_TOPOLOGIES if lab in set(fig11["topology"])]
    for j, method in enumerate(("dqp", "esp")):
        lo, hi = [], []
        for lab in labels:
            g = fig11[(fig11["topology"] == lab) & (fig11["method"] == method)]
            lo.append(g["mean_latency_ms"].min())
            hi.append(g["mean_latency_ms"].max())
        x = np.arange(len(labels)) + (j - 0.5) * 0.35
        a.bar(x, np.array(hi) - np.array(lo), bottom=lo, width=0.35, label=method.upper())
    a.set_xticks(np.arange(len(labels)), labels, rotation=60)
    a.set(ylabel="mean latency range F=0.50…0.90 (ms)", title="Fig. 11")
    a.set_yscale("log")
    a.legend()
    a = ax[1, 1]
    opt = tables["optimum"]
    if len(opt):
        x = np.arange(len(opt))
        for j, (col, lab) in enumerate((("dqp_ms", "DQP"), ("esp_ms", "ESP"),
                                        ("greedy-matching_ms", "greedy"),
                                        ("milp_ms", "MILP plan"),
                                        ("milp_bound_ms", "MILP bound"))):
            a.bar(x + (j - 2) * 0.16, opt[col], width=0.16, label=lab)
        a.set_xticks(x, opt["topology"], rotation=60)
        a.set_yscale("log")
    a.set(ylabel="mean latency on one fixed trace (ms)", title="Optimum beside the protocols")
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write(rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write the study's CSV and PNG files from its rows."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = summarise(rows)
    files = []
    runs = pd.DataFrame([r for r in rows if r["kind"] == "simulate"])
    for name, frame in (("table5_runs", runs), ("table5", tables["table5"]),
                        ("table5_optimum", tables["optimum"]), ("table5_fig8", tables["fig8"]),
                        ("table5_fig10", tables["fig10"]), ("table5_fig11", tables["fig11"])):
        path = out_dir / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g")
        files.append(path)
    png = out_dir / "table5.png"
    plot(tables, png)
    files.append(png)
    return files


NAME = "table5"
QUICK = {"runs": 2, "duration": 3.0, "fig11_runs": 1, "fig11_duration": 2.0,
         "optimum_trace": 0.06, "optimum_time_limit": 10.0,
         "topologies": ("K_2", "K_{1,3}", "2x2")}
"""Options of :func:`tasks` for the quick version (tests): three graphs, short runs."""


@lru_cache(maxsize=4)
def _tasks_by_key(seed: int, quick: bool) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in tasks(seed, **(QUICK if quick else {}))}


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The study's tasks for the sweep runner (:mod:`qdcopt.sweeps`): a task is named by
    its key; its full description (graph, parameters, seeds) is rebuilt from the key."""
    keys = tuple(Task.make(NAME, {"key": key}) for key in _tasks_by_key(seed, quick))
    return Sweep(NAME, keys, sweep_task, {"seed": seed, "quick": quick}, write_frame)


def sweep_task(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The row of one sweep task (see :func:`run_task`)."""
    return run_task(_tasks_by_key(int(settings["seed"]), bool(settings["quick"]))[task["key"]])


def write_frame(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """:func:`write` for the rows the sweep runner gathered."""
    rows = [{k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))}
            for r in frame.to_dict("records")]
    return write(rows, out_dir)
