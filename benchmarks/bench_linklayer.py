"""Speed and scale figures of the family-C link-layer simulation and matching MILP.

Prints, for one closed-loop run of DQP and of ESP on the 3×3 grid (Table IV
parameters, F = 0.75): events processed, control messages, wall time and events per
second; then, for the realised trace of ``--trace`` seconds on the same grid, the
matching MILP's size (columns, rows, nonzeros), time, plan, certified bound and gap,
beside the greedy matching scheduler, DQP and ESP on that trace.  One case per part
(the grid and its trace, each closed-loop run, each method on the trace, the MILP), run
by the sweep runner (see :mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench linklayer [--duration 120] [--trace 0.2] [--slot 1e-3]`` or
``python benchmarks/bench_linklayer.py …``
"""

from __future__ import annotations

import argparse
import time
from functools import cache, lru_cache
from typing import Any

from qdcopt.api import validate
from qdcopt.linklayer.instance import TraceSpec, build_instance
from qdcopt.linklayer.methods import METHODS
from qdcopt.linklayer.simulation.metrics import run_metrics
from qdcopt.linklayer.simulation.simulate import simulate_once
from qdcopt.linklayer.trace import realise_trace
from qdcopt.solvers.highs import new_highs
from qdcopt.sweeps.bench import bench_main

SIMULATED = ("dqp", "esp")
"""The protocols run closed-loop."""
ON_TRACE = ("dqp", "esp", "greedy-matching")
"""The methods shown beside the MILP on the trace."""


def _count(text: str) -> int:
    """A whole number of at least 0, refused at the command line otherwise."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--duration", type=float, default=120.0,
                        help="simulated seconds of the closed-loop runs")
    parser.add_argument("--trace", type=float, default=0.2,
                        help="seconds of arrivals in the MILP's trace")
    parser.add_argument("--slot", type=float, default=1e-3, help="MILP slot, seconds")
    parser.add_argument("--window", type=int, default=250, help="requests per MILP window")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--branch-nodes", type=_count, default=None,
                        help="search nodes of the branch and bound before the MILP "
                        "(0: the MILP alone; default: the method's)")
    parser.add_argument("--seed", type=int, default=1)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The grid, each closed-loop run, each method on the trace, then the MILP."""
    common = {"trace": args.trace, "slot": args.slot, "instance_seed": args.seed}
    return [{"part": "grid", **common},
            *({"part": "simulate", "method": m, "duration": args.duration, **common}
              for m in SIMULATED),
            *({"part": "trace", "method": m, **common} for m in ON_TRACE),
            {"part": "milp", "method": "milp", "window": args.window,
             "time_limit": args.time_limit, **common,
             # a case holds plain values only: the method's own default when not given
             **({} if args.branch_nodes is None else {"branch_nodes": args.branch_nodes})}]


@lru_cache(maxsize=1)
def _instance(trace: float, slot: float, seed: int) -> Any:
    # every case of one grid and trace shares the instance within a worker process
    return build_instance("grid", rows=3, cols=3,
                          trace=TraceSpec(duration=trace, seed=seed, slot=slot))


@cache
def _warm_highs() -> None:
    # load HiGHS once per worker process, outside the MILP's timed run
    new_highs()


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """The grid's figures, one closed-loop run, one method's latency on the trace, or the
    MILP's size, time, plan, bound and gap."""
    part = str(case["part"])
    if part == "milp":
        _warm_highs()
    inst = _instance(float(case["trace"]), float(case["slot"]), int(case["instance_seed"]))
    if part == "grid":
        return {"links": len(inst.edges), "fidelity": float(inst.traffic.fidelity),
                "p_attempt": float(inst.success_probability),
                "trace_requests": len(realise_trace(inst).requests)}
    method = str(case["method"])
    if part == "simulate":
        duration = float(case["duration"])
        t0 = time.perf_counter()
        rec = simulate_once(inst, method, duration, seed=int(case["instance_seed"]))
        wall = time.perf_counter() - t0
        m = run_metrics(rec.requests, len(inst.edges), duration)
        return {"events": rec.events, "messages": rec.messages,
                "requests": len(rec.requests), "wall_s": wall,
                "mean_latency_ms": float(m["mean_latency_ms"])}
    if part == "trace":
        plan, _ = METHODS[method](inst)
        return {"mean_latency_ms": float(validate(inst, plan).objective)}
    if part != "milp":
        raise ValueError(f"unknown part {part!r}")
    t0 = time.perf_counter()
    branch = {} if case.get("branch_nodes") is None else {
        "branch_nodes": int(case["branch_nodes"])}
    plan, info = METHODS["milp"](inst, time_limit=float(case["time_limit"]),
                                 window=int(case["window"]), **branch)
    wall = time.perf_counter() - t0
    rep = validate(inst, plan)
    x = info.extra
    return {"windows": int(x["windows"]), "columns": int(x["columns"]),
            "rows": int(x["rows"]), "nonzeros": int(x["nonzeros"]), "wall_s": wall,
            "status": f"{info.status}", "window_status": ", ".join(x["window_status"]),
            "mean_latency_ms": float(rep.objective), "valid": rep.ok,
            "bound": info.bound, "gap": info.gap,
            "branch_nodes": int(x.get("branch_nodes", 0)),
            "branch_proven": int(x.get("branch_proven", 0))}


def show(frame: Any, args: argparse.Namespace) -> None:
    """The grid, the closed-loop runs, then the methods and the MILP on the trace."""
    rows = {(r.part, r.method if r.part != "grid" else ""): r for r in frame.itertuples()}
    g = rows[("grid", "")]
    print(f"3x3 grid, {int(g.links)} links, F = {g.fidelity}, "
          f"p = {g.p_attempt:.3e} per attempt")
    for method in SIMULATED:
        r = rows[("simulate", method)]
        print(f"{method}: {r.duration:g} s simulated, {int(r.events)} events, "
              f"{int(r.messages)} messages, {int(r.requests)} requests, wall {r.wall_s:.2f} s, "
              f"{r.events / r.wall_s:,.0f} events/s; mean latency {r.mean_latency_ms:.2f} ms")
    print(f"trace of {g.trace:g} s: {int(g.trace_requests)} requests")
    for method in ON_TRACE:
        print(f"  {method}: mean latency {rows[('trace', method)].mean_latency_ms:.3f} ms")
    r = rows[("milp", "milp")]
    print(f"  milp: slot {r.slot * 1e3:g} ms, {int(r.windows)} window(s), {int(r.columns)} "
          f"columns, {int(r.rows)} rows, {int(r.nonzeros)} nonzeros, {r.wall_s:.2f} s, "
          f"status {r.status} ({r.window_status}); plan {r.mean_latency_ms:.3f} ms "
          f"(valid {bool(r.valid)}), bound {r.bound:.3f} ms, gap {r.gap:.1%}; branch and "
          f"bound {int(r.branch_nodes)} nodes, {int(r.branch_proven)} window(s) proven by it")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
