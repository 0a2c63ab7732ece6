"""Speed of the swapping runtime at paper 003's Fig. 6 default point.

Waxman network, 100 nodes, edge density 0.1, 10 requests, 100 simulated seconds, one
policy, one seed.  Prints the plan's time, then the run's events, wall and CPU seconds
and events per second (CPU seconds are what the run itself costs on a shared machine).

Usage: ``python benchmarks/bench_runtime.py [--policy P] [--method M] [--nodes N]
[--duration S] [--seed K] [--all-policies]``
"""

from __future__ import annotations

import argparse
import time

from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model
from qdcopt.network.runtime import POLICIES, RuntimeConfig
from qdcopt.network.runtime.executor import Execution
from qdcopt.network.runtime.routes import exec_trees
from qdcopt.network.waxman import waxman_instance


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", default="scoring", choices=POLICIES)
    ap.add_argument("--method", default="lp", choices=sorted(METHODS))
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--duration", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--all-policies", action="store_true")
    args = ap.parse_args()
    if args.seed < 0 or args.nodes < 2 or args.duration <= 0:
        ap.error("--seed ≥ 0, --nodes ≥ 2 and --duration > 0 are required")
    inst = waxman_instance(args.nodes, requests=args.requests, seed=args.seed)
    start = time.perf_counter()
    plan, info = METHODS[args.method](inst)
    print(f"{inst.name}: {len(inst.links)} links; plan {args.method}: {len(plan.trees)} trees, "
          f"promised {info.objective:.1f} pairs/s, {time.perf_counter() - start:.2f} s")
    model = link_model(inst)
    trees = exec_trees(inst, plan, model)
    policies = POLICIES if args.all_policies else (args.policy,)
    for policy in policies:
        cfg = RuntimeConfig(policy=policy, duration=args.duration)
        wall, cpu = time.perf_counter(), time.process_time()
        run = Execution(inst, model, trees, cfg, args.seed).run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        delivered = run.delivered.sum() / args.duration
        print(f"{cfg.label:22s} {run.events:9d} events  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
              f"{run.events / cpu:9,.0f} events/cpu-s  delivered {delivered:7.1f} pairs/s")


if __name__ == "__main__":
    main()
