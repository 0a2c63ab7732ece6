"""Speed of the family-A heuristics and the validator at 10^4 to 10^6 requests.

Prints, per size: instance build time, then for each heuristic its run time, the
validated acceptance ratio and reconfiguration count, and the validator's time.

Usage: ``python benchmarks/bench_heuristics.py [--sizes 10000,100000,1000000] [--methods ...]``
"""

from __future__ import annotations

import argparse
import time

import qdcopt
from qdcopt.datacenter.generate import random_instance


def main() -> None:
    """Run the benchmark and print one line per (size, method)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--methods", default="greedy,greedy-retry,edf,scoring")
    parser.add_argument("--qpus", type=int, default=10)
    parser.add_argument("--t-max", default="1 us")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{'requests':>9} {'method':>13} {'solve_s':>8} {'validate_s':>10} "
          f"{'accepted':>9} {'ratio':>6} {'reconf':>8} valid")
    for n in [int(x) for x in args.sizes.split(",")]:
        t0 = time.perf_counter()
        inst = random_instance(n, n_qpus=args.qpus, rate="1 GHz", t_max=args.t_max,
                               seed=args.seed)
        print(f"{n:>9} {'(build)':>13} {time.perf_counter() - t0:8.2f}")
        for method in args.methods.split(","):
            t1 = time.perf_counter()
            plan, _ = qdcopt.solve(inst, method)
            t2 = time.perf_counter()
            report = qdcopt.validate(inst, plan)
            t3 = time.perf_counter()
            m = report.metrics
            print(f"{n:>9} {method:>13} {t2 - t1:8.2f} {t3 - t2:10.2f} {m['accepted']:>9} "
                  f"{m['acceptance_ratio']:6.3f} {m['reconfigurations']:>8} {report.ok}",
                  flush=True)


if __name__ == "__main__":
    main()
