"""Speed of family D: EDF and the MILP on one interval, and the service over days.

Usage::

    python benchmarks/bench_service.py                      # all parts
    python benchmarks/bench_service.py --part edf --sizes 1000 10000 100000
    python benchmarks/bench_service.py --part milp --sizes 1000 10000 --time-limit 60
    python benchmarks/bench_service.py --part days --days 360
    python benchmarks/bench_service.py --part hub

Intervals come from :func:`qdcopt.service.generate.random_problem` (seed 1: periodic
demands between random end nodes of a star, each end node loaded about 0.9, PGAs of
one slot).  Every schedule is validated; each line prints the size, the wall time, the
demands on track, the PGAs placed and (MILP) the status and proven bound.  ``days``
runs the six-node star of ``instances/service/star6_cka.toml`` (EDF, utilisation
admission) and ``hub`` one Monte Carlo run of 2 500 requests per N up to 1 024.
"""

from __future__ import annotations

import argparse
import time

from qdcopt.service.edf import edf
from qdcopt.service.generate import random_problem
from qdcopt.service.pga_milp import milp
from qdcopt.service.validate import validate_schedule


def bench_edf(sizes: list[int]) -> None:
    """EDF (pure Python and compiled) on intervals of the given sizes."""
    edf(random_problem(200, seed=1), compiled=True)  # compile once, outside the timing
    for n in sizes:
        problem = random_problem(n, seed=1)
        for compiled in (False, True):
            t0 = time.perf_counter()
            plan, _info = edf(problem, compiled=compiled)
            dt = time.perf_counter() - t0
            report = validate_schedule(problem, plan)
            print(f"edf{' compiled' if compiled else ''}: {problem.n_jobs} PGAs "
                  f"({problem.n_demands} demands, {problem.n_slots} slots): {dt:.3f} s, "
                  f"on track {int(report.objective)}/{problem.n_demands}, placed "
                  f"{len(plan.job)}, valid {report.ok}")


def bench_milp(sizes: list[int], time_limit: float) -> None:
    """The interval MILP, warm-started from EDF."""
    for n in sizes:
        problem = random_problem(n, seed=1)
        t0 = time.perf_counter()
        plan, info = milp(problem, time_limit=time_limit)
        dt = time.perf_counter() - t0
        report = validate_schedule(problem, plan)
        e, _ = edf(problem)
        print(f"milp: {problem.n_jobs} PGAs: {dt:.2f} s, status {info.status}, on track "
              f"{int(report.objective)} (EDF {int(validate_schedule(problem, e).objective)}), "
              f"bound {info.bound:g}, columns {info.extra['columns']}, valid {report.ok}")


def bench_days(days: float) -> None:
    """The six-node star for ``days`` days."""
    from pathlib import Path

    import qdcopt
    from qdcopt.service import simulate

    inst = qdcopt.load_instance(Path(__file__).resolve().parents[1] / "instances" / "service"
                                / "star6_cka.toml")
    for admission in ("utilisation", "schedule"):
        t0 = time.perf_counter()
        result = simulate(inst, days=days, admission=admission)
        dt = time.perf_counter() - t0
        m = result.metrics
        print(f"star6 {days:g} days, {admission}: {dt:.2f} s, {m['sessions']} sessions, "
              f"minimal service {m['min_service_share']:.4f}, queue {m['queue_time_mean']:.0f} s"
              f" (lone pair {m['queue_time_single_pair']:.0f} s)")


def bench_hub() -> None:
    """One Monte Carlo run of 2 500 requests per N, both strategies."""
    from qdcopt.service.hub import HubModel, simulate_hub

    t0 = time.perf_counter()
    for n in (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        for strategy in ("naive", "orchestrated"):
            simulate_hub(HubModel(n), strategy, seed=n)
    print(f"hub: 20 runs of 2 500 requests (N = 2 … 1 024): "
          f"{time.perf_counter() - t0:.2f} s")


def main() -> None:
    """Parse the arguments and run the chosen parts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("edf", "milp", "days", "hub", "all"), default="all")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--days", type=float, default=360.0)
    args = ap.parse_args()
    if args.part in ("edf", "all"):
        bench_edf(args.sizes or [1000, 10_000, 100_000])
    if args.part in ("milp", "all"):
        bench_milp(args.sizes or [1000, 10_000], args.time_limit)
    if args.part in ("days", "all"):
        bench_days(args.days)
    if args.part in ("hub", "all"):
        bench_hub()


if __name__ == "__main__":
    main()
