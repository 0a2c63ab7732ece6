"""Speed of the swapping runtime at paper 003's Fig. 6 default point.

Waxman network, 100 nodes, edge density 0.1, 10 requests, 100 simulated seconds, one
policy, one seed.  Prints the plan's time, then the run's events, wall and CPU seconds
and events per second (CPU seconds are what the run itself costs on a shared machine).
One case for the plan and one per policy, run by the sweep runner (see
:mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench runtime [--policy P] [--method M] [--nodes N] [--duration S]
[--seed K] [--all-policies]`` or ``python benchmarks/bench_runtime.py …``
"""

from __future__ import annotations

import argparse
import time
from functools import cache, lru_cache
from typing import Any

import qdcopt
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model
from qdcopt.network.runtime import POLICIES, RuntimeConfig, make_execution
from qdcopt.network.runtime.routes import exec_trees
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.sweeps.bench import bench_main

PLAN = "(plan)"


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--policy", default="scoring", choices=POLICIES)
    parser.add_argument("--method", default="lp", choices=sorted(METHODS))
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--duration", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all-policies", action="store_true")


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The plan, then one run per policy."""
    if args.seed < 0 or args.nodes < 2 or args.duration <= 0:
        raise ValueError("--seed ≥ 0, --nodes ≥ 2 and --duration > 0 are required")
    common = {"method": args.method, "nodes": args.nodes, "requests": args.requests,
              "instance_seed": args.seed}
    policies = POLICIES if args.all_policies else (args.policy,)
    return [{"policy": PLAN, **common},
            *({"policy": p, "duration": args.duration, **common} for p in policies)]


@cache
def _warm(method: str) -> None:
    # the method's first call pays its imports (pyomo for lp-pyomo); not in the plan's time
    METHODS[method](waxman_instance(6, requests=2, seed=0))


@lru_cache(maxsize=1)
def _plan(nodes: int, requests: int, seed: int, method: str) -> tuple[Any, ...]:
    # the policies of one plan share it within a worker process
    _warm(method)
    inst = waxman_instance(nodes, requests=requests, seed=seed)
    start = time.perf_counter()
    plan, _ = METHODS[method](inst)
    plan_s = time.perf_counter() - start
    model = link_model(inst)
    return inst, plan, plan_s, model, exec_trees(inst, plan, model)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """The plan's size, promise and time; or one policy's run."""
    seed = int(case["instance_seed"])
    inst, plan, plan_s, model, trees = _plan(int(case["nodes"]), int(case["requests"]),
                                             seed, str(case["method"]))
    if case["policy"] == PLAN:
        report = qdcopt.validate(inst, plan)  # the promise printed is the validator's
        return {"instance": inst.name, "links": len(inst.links), "trees": len(plan.trees),
                "promised": float(report.objective), "valid": report.ok, "plan_s": plan_s}
    duration = float(case["duration"])
    cfg = RuntimeConfig(policy=str(case["policy"]), duration=duration)
    wall, cpu = time.perf_counter(), time.process_time()
    run = make_execution(inst, model, trees, cfg, seed).run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"label": cfg.label, "events": int(run.events), "wall_s": wall, "cpu_s": cpu,
            "delivered": float(run.delivered.sum() / duration)}


def show(frame: Any, args: argparse.Namespace) -> None:
    """The plan's line, then one line per policy (delivered and delivered / promised)."""
    promised = float("nan")
    for r in frame.itertuples():
        if r.policy == PLAN:
            promised = float(r.promised)
            print(f"{r.instance}: {int(r.links)} links; plan {r.method}: {int(r.trees)} "
                  f"trees, promised {r.promised:.1f} pairs/s (valid {bool(r.valid)}), "
                  f"{r.plan_s:.2f} s")
            continue
        print(f"{r.label:22s} {int(r.events):9d} events  wall {r.wall_s:6.2f} s  "
              f"cpu {r.cpu_s:6.2f} s  {r.events / r.cpu_s:9,.0f} events/cpu-s  "
              f"delivered {r.delivered:7.1f} pairs/s ({r.delivered / promised:.3f} of the "
              f"promise)")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
