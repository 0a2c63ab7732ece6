"""Speed of family D: EDF and the MILP on one interval, and the service over days.

Usage::

    qdcopt bench service                                    # all parts
    qdcopt bench service --part edf --sizes 1000 10000 100000
    qdcopt bench service --part milp --sizes 1000 10000 --time-limit 60
    qdcopt bench service --part days --days 360
    qdcopt bench service --part hub

(or ``python benchmarks/bench_service.py …``).  Intervals come from
:func:`qdcopt.service.generate.random_problem` (seed 1: periodic demands between random
end nodes of a star, each end node loaded about 0.9, PGAs of one slot).  Every schedule
is validated; each line prints the size, the wall time, the demands on track, the PGAs
placed and (MILP) the status and proven bound.  ``days`` runs the six-node star of
``instances/service/star6_cka.toml`` (EDF, utilisation admission) and ``hub`` one Monte
Carlo run of 2 500 requests per N up to 1 024.  One case per line, run by the sweep
runner (see :mod:`qdcopt.sweeps.bench`).
"""

from __future__ import annotations

import argparse
import time
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from qdcopt.service.generate import random_problem
from qdcopt.service.heuristics.edf import edf
from qdcopt.service.models.pga_milp import milp
from qdcopt.service.validate import validate_schedule
from qdcopt.solvers.highs import new_highs
from qdcopt.sweeps.bench import bench_main

ADMISSIONS = ("utilisation", "schedule")
HUB_SIZES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--part", choices=("edf", "milp", "days", "hub", "all"), default="all")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--days", type=float, default=360.0)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """EDF (pure Python and compiled) and the MILP per size, the star per admission rule,
    then the hub: those of the chosen part."""
    out: list[dict[str, Any]] = []
    if args.part in ("edf", "all"):
        out += [{"part": "edf", "size": n, "compiled": c}
                for n in args.sizes or [1000, 10_000, 100_000] for c in (False, True)]
    if args.part in ("milp", "all"):
        out += [{"part": "milp", "size": n, "time_limit": args.time_limit}
                for n in args.sizes or [1000, 10_000]]
    if args.part in ("days", "all"):
        out += [{"part": "days", "days": args.days, "admission": a} for a in ADMISSIONS]
    if args.part in ("hub", "all"):
        out.append({"part": "hub"})
    return out


@lru_cache(maxsize=1)
def _problem(n: int) -> Any:
    # EDF, compiled EDF and the MILP of one size share the interval in a worker process
    return random_problem(n, seed=1)


@cache
def _warm_edf() -> None:
    # compile the EDF loop once per worker process, outside the timing
    edf(random_problem(200, seed=1), compiled=True)


@cache
def _warm_highs() -> None:
    # load HiGHS once per worker process, outside the MILP's timing
    new_highs()


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One EDF or MILP schedule, one run of the star, or the hub's runs."""
    part = str(case["part"])
    if part in ("edf", "milp", "days"):
        _warm_edf()  # the MILP's warm start and the star's intervals run EDF too
    if part == "edf":
        problem = _problem(int(case["size"]))
        t0 = time.perf_counter()
        plan, _info = edf(problem, compiled=bool(case["compiled"]))
        dt = time.perf_counter() - t0
        report = validate_schedule(problem, plan)
        return {"jobs": problem.n_jobs, "demands": problem.n_demands,
                "slots": problem.n_slots, "time_s": dt, "on_track": int(report.objective),
                "placed": len(plan.job), "valid": report.ok}
    if part == "milp":
        _warm_highs()
        problem = _problem(int(case["size"]))
        t0 = time.perf_counter()
        plan, info = milp(problem, time_limit=float(case["time_limit"]))
        dt = time.perf_counter() - t0
        report = validate_schedule(problem, plan)
        e, _ = edf(problem)
        return {"jobs": problem.n_jobs, "time_s": dt, "status": f"{info.status}",
                "on_track": int(report.objective),
                "edf_on_track": int(validate_schedule(problem, e).objective),
                "bound": info.bound, "columns": int(info.extra["columns"]),
                "valid": report.ok}
    if part == "days":
        return _days(float(case["days"]), str(case["admission"]))
    if part == "hub":
        return _hub()
    raise ValueError(f"unknown part {part!r}")


def _days(days: float, admission: str) -> dict[str, Any]:
    """The six-node star for ``days`` days under one admission rule."""
    import qdcopt
    from qdcopt.service import simulate

    inst = qdcopt.load_instance(Path(__file__).resolve().parents[1] / "instances" / "service"
                                / "star6_cka.toml")
    t0 = time.perf_counter()
    result = simulate(inst, days=days, admission=admission)
    dt = time.perf_counter() - t0
    m = result.metrics
    return {"time_s": dt, "sessions": int(m["sessions"]),
            "min_service_share": float(m["min_service_share"]),
            "queue_time_mean": float(m["queue_time_mean"]),
            "queue_time_single_pair": float(m["queue_time_single_pair"])}


def _hub() -> dict[str, Any]:
    """One Monte Carlo run of 2 500 requests per N, both strategies."""
    from qdcopt.service.hub.montecarlo import HubModel, simulate_hub

    t0 = time.perf_counter()
    for n in HUB_SIZES:
        for strategy in ("naive", "orchestrated"):
            simulate_hub(HubModel(n), strategy, seed=n)
    return {"time_s": time.perf_counter() - t0}


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per case."""
    for r in frame.itertuples():
        if r.part == "edf":
            print(f"edf{' compiled' if bool(r.compiled) else ''}: {int(r.jobs)} PGAs "
                  f"({int(r.demands)} demands, {int(r.slots)} slots): {r.time_s:.3f} s, "
                  f"on track {int(r.on_track)}/{int(r.demands)}, placed "
                  f"{int(r.placed)}, valid {bool(r.valid)}")
        elif r.part == "milp":
            print(f"milp: {int(r.jobs)} PGAs: {r.time_s:.2f} s, status {r.status}, on track "
                  f"{int(r.on_track)} (EDF {int(r.edf_on_track)}), bound {r.bound:g}, "
                  f"columns {int(r.columns)}, valid {bool(r.valid)}")
        elif r.part == "days":
            print(f"star6 {r.days:g} days, {r.admission}: {r.time_s:.2f} s, "
                  f"{int(r.sessions)} sessions, minimal service {r.min_service_share:.4f}, "
                  f"queue {r.queue_time_mean:.0f} s (lone pair "
                  f"{r.queue_time_single_pair:.0f} s)")
        elif r.part == "hub":
            print(f"hub: 20 runs of 2 500 requests (N = 2 … 1 024): {r.time_s:.2f} s")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
