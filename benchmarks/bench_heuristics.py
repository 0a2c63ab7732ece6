"""Speed of the family-A heuristics and the validator at 10^4 to 10^6 requests.

Prints, per size: instance build time, then for each heuristic its run time, the
validated acceptance ratio and reconfiguration count, and the validator's time.  One
case per (size, method), run by the sweep runner (see :mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench heuristics [--sizes 10000,100000,1000000] [--methods ...]`` or
``python benchmarks/bench_heuristics.py …``
"""

from __future__ import annotations

import argparse
import time
from functools import cache, lru_cache
from typing import Any

import qdcopt
from qdcopt.datacenter.generate import random_instance
from qdcopt.sweeps.bench import bench_main

BUILD = "(build)"


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--methods", default="greedy,greedy-retry,edf,scoring")
    parser.add_argument("--qpus", type=int, default=10)
    parser.add_argument("--t-max", default="1 us")
    parser.add_argument("--seed", type=int, default=0)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The instance build, then each method, per size."""
    try:
        sizes = [int(x) for x in args.sizes.split(",")]
    except ValueError:
        raise ValueError(f"--sizes must be integers separated by commas, got {args.sizes!r}"
                         ) from None
    common = {"qpus": args.qpus, "t_max": args.t_max, "instance_seed": args.seed}
    return [{"requests": n, "method": m, **common}
            for n in sizes for m in [BUILD, *args.methods.split(",")]]


@lru_cache(maxsize=1)
def _instance(n: int, qpus: int, t_max: str, seed: int) -> tuple[Any, float]:
    # the methods of one size share the instance within a worker process
    t0 = time.perf_counter()
    inst = random_instance(n, n_qpus=qpus, rate="1 GHz", t_max=t_max, seed=seed)
    return inst, time.perf_counter() - t0


@cache
def _warm(method: str) -> None:
    # compile the method's kernels once per worker process, outside the timed run
    qdcopt.solve(random_instance(50, n_qpus=2, rate="1 GHz", seed=0), method)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Build time for the build case; run, validation time and metrics for a method."""
    if case["method"] != BUILD:
        _warm(str(case["method"]))
    inst, build_s = _instance(int(case["requests"]), int(case["qpus"]), str(case["t_max"]),
                              int(case["instance_seed"]))
    if case["method"] == BUILD:
        return {"solve_s": build_s}
    t1 = time.perf_counter()
    plan, _ = qdcopt.solve(inst, str(case["method"]))
    t2 = time.perf_counter()
    report = qdcopt.validate(inst, plan)
    t3 = time.perf_counter()
    m = report.metrics
    return {"solve_s": t2 - t1, "validate_s": t3 - t2, "accepted": int(m["accepted"]),
            "ratio": float(m["acceptance_ratio"]),
            "reconf": int(m["reconfigurations"]), "valid": report.ok}


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per (size, method)."""
    print(f"{'requests':>9} {'method':>13} {'solve_s':>8} {'validate_s':>10} "
          f"{'accepted':>9} {'ratio':>6} {'reconf':>8} valid")
    for r in frame.itertuples():
        if r.method == BUILD:
            print(f"{r.requests:>9} {r.method:>13} {r.solve_s:8.2f}")
            continue
        print(f"{r.requests:>9} {r.method:>13} {r.solve_s:8.2f} {r.validate_s:10.2f} "
              f"{int(r.accepted):>9} {r.ratio:6.3f} {int(r.reconf):>8} {bool(r.valid)}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
