"""Speed and scale figures of the family-C link-layer simulation and matching MILP.

Prints, for one closed-loop run of DQP and of ESP on the 3×3 grid (Table IV
parameters, F = 0.75): events processed, control messages, wall time and events per
second; then, for the realised trace of ``--trace`` seconds on the same grid, the
matching MILP's size (columns, rows, nonzeros), time, plan, certified bound and gap,
beside the greedy matching scheduler, DQP and ESP on that trace.

Run: ``python benchmarks/bench_linklayer.py [--duration 120] [--trace 0.2] [--slot 1e-3]``.
"""

from __future__ import annotations

import argparse
import time

from qdcopt.api import validate
from qdcopt.linklayer.instance import TraceSpec, build_instance
from qdcopt.linklayer.methods import METHODS
from qdcopt.linklayer.metrics import run_metrics
from qdcopt.linklayer.simulate import simulate_once
from qdcopt.linklayer.trace import realise_trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0,
                        help="simulated seconds of the closed-loop runs")
    parser.add_argument("--trace", type=float, default=0.2,
                        help="seconds of arrivals in the MILP's trace")
    parser.add_argument("--slot", type=float, default=1e-3, help="MILP slot, seconds")
    parser.add_argument("--window", type=int, default=250, help="requests per MILP window")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    inst = build_instance("grid", rows=3, cols=3,
                          trace=TraceSpec(duration=args.trace, seed=args.seed, slot=args.slot))
    print(f"3x3 grid, {len(inst.edges)} links, F = {inst.traffic.fidelity}, "
          f"p = {inst.success_probability:.3e} per attempt")
    for method in ("dqp", "esp"):
        t0 = time.perf_counter()
        rec = simulate_once(inst, method, args.duration, seed=args.seed)
        wall = time.perf_counter() - t0
        m = run_metrics(rec.requests, len(inst.edges), args.duration)
        print(f"{method}: {args.duration:g} s simulated, {rec.events} events, "
              f"{rec.messages} messages, {len(rec.requests)} requests, wall {wall:.2f} s, "
              f"{rec.events / wall:,.0f} events/s; mean latency {m['mean_latency_ms']:.2f} ms")
    trace = realise_trace(inst)
    print(f"trace of {args.trace:g} s: {len(trace.requests)} requests")
    for method in ("dqp", "esp", "greedy-matching"):
        plan, _ = METHODS[method](inst)
        print(f"  {method}: mean latency {validate(inst, plan).objective:.3f} ms")
    t0 = time.perf_counter()
    plan, info = METHODS["milp"](inst, time_limit=args.time_limit, window=args.window)
    wall = time.perf_counter() - t0
    rep = validate(inst, plan)
    x = info.extra
    print(f"  milp: slot {args.slot * 1e3:g} ms, {x['windows']} window(s), {x['columns']} "
          f"columns, {x['rows']} rows, {x['nonzeros']} nonzeros, {wall:.2f} s, "
          f"status {info.status} ({', '.join(x['window_status'])}); plan {rep.objective:.3f} ms "
          f"(valid {rep.ok}), bound {info.bound:.3f} ms, gap {info.gap:.1%}")


if __name__ == "__main__":
    main()
