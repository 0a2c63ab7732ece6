"""Speed of the family-A heuristics and the validator at 10^4 to 10^6 requests.

Prints, per size: the instance build time and the *argsort floor* (two numpy argsorts of
as many random floats), then for each heuristic its run time, the floor measured again
in the same case and the run time over it, the validator's time on the plan and that
time over the fastest heuristic's (each over its own floor, so that a change of the
machine's load between cases cancels out), the validated acceptance ratio and
reconfiguration count.  Every time is the best of ``--repeat`` runs.

Compiled code is made ready before anything is timed: the first method case in a process
runs every heuristic and the validator on small instances, which compiles their code or
loads it from numba's cache (the ``warm-up`` column says which and how long it took; later
cases find the code ready).  With ``--cold`` that step is skipped and each figure is the
first run alone; a figure whose run compiled code or loaded it is marked ``*``.  One case
per (size, method), run by the sweep runner in this process (see
:mod:`qdcopt.sweeps.bench` and :data:`IN_PROCESS`).

Usage: ``qdcopt bench heuristics [--sizes 10000,100000,1000000] [--methods ...]
[--repeat 5] [--cold]`` or ``python benchmarks/bench_heuristics.py …``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numba
import numpy as np

import qdcopt
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.sweeps.bench import bench_main

BUILD = "(build)"
FLOOR = "(floor)"

IN_PROCESS = True
"""The cases run here, one after another, not in a sweep worker: a Dask worker's own
threads (its event loop, monitors and nanny) take the processor and the interpreter lock
from the timed code often enough to slow a run's Python parts 1.5–4 times on a busy
machine, while the argsort floor (which releases the lock) keeps its pace."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--methods", default="greedy,greedy-retry,edf,scoring")
    parser.add_argument("--qpus", type=int, default=10)
    parser.add_argument("--t-max", default="1 us")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs per figure; the best is kept (default 5)")
    parser.add_argument("--cold", action="store_true",
                        help="time the first run without compiling or loading code before")


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The instance build and the argsort floor, then each method, per size."""
    try:
        sizes = [int(x) for x in args.sizes.split(",")]
    except ValueError:
        raise ValueError(f"--sizes must be integers separated by commas, got {args.sizes!r}"
                         ) from None
    if args.repeat < 1:
        raise ValueError(f"--repeat must be at least 1, got {args.repeat}")
    common = {"qpus": args.qpus, "t_max": args.t_max, "instance_seed": args.seed,
              "repeat": args.repeat, "cold": bool(args.cold)}
    return [{"requests": n, "method": m, **common}
            for n in sizes for m in [BUILD, FLOOR, *args.methods.split(",")]]


@lru_cache(maxsize=1)
def _instance(n: int, qpus: int, t_max: str, seed: int) -> tuple[Any, float]:
    # the methods of one size share the instance within a worker process
    t0 = time.perf_counter()
    inst = random_instance(n, n_qpus=qpus, rate="1 GHz", t_max=t_max, seed=seed)
    return inst, time.perf_counter() - t0


def _best(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _code_state() -> tuple[int, int]:
    """Compiled functions of qdcopt's numba code in this process: how many were
    compiled here, and how many were loaded from numba's cache."""
    made = loaded = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("qdcopt.") or module is None:
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, numba.core.registry.CPUDispatcher):
                hits = sum(obj.stats.cache_hits.values())
                loaded += hits
                made += max(0, len(obj.overloads) - hits)
    return made, loaded


WARM_METHODS = ("greedy", "greedy-retry", "edf", "scoring")
"""The methods whose compiled loops (and whose plans' validation) the warm-up runs."""
WARM_REQUESTS = 12_000
"""Requests of the warm-up instances: above the size from which the validator's id
look-ups take their path for long tables."""


_warmed: list[bool] = []


def _warm() -> tuple[float, str]:
    """Run every heuristic, compiled and in Python, and the validator on each plan, on
    small instances (one source and unlimited memories; two sources and limited
    memories), so that all their compiled code is compiled or loaded from the cache
    before any timing, once per process; what that took (nothing for the cases after the
    first)."""
    if _warmed:
        return 0.0, "ready"
    before = _code_state()
    t0 = time.perf_counter()
    # large enough for every path of the validator's look-ups (see WARM_REQUESTS); and
    # the Python loops once, for the compiled functions they call
    for n, compiled in ((WARM_REQUESTS, True), (200, False)):
        for small in (random_instance(n, n_qpus=5, rate="1 GHz", t_max="1 us", seed=0),
                      random_instance(n, n_qpus=5, rate="1 GHz", t_max="20 ns",
                                      comm_qubits=2, n_sources=2, seed=0)):
            for method in WARM_METHODS:
                plan, _ = qdcopt.solve(small, method, compiled=compiled)
                qdcopt.validate(small, plan)
    _warmed.append(True)
    return time.perf_counter() - t0, _what_changed(before, _code_state())


def _what_changed(before: tuple[int, int], after: tuple[int, int]) -> str:
    made, loaded = after[0] - before[0], after[1] - before[1]
    if made and loaded:
        return f"compiled {made} functions, loaded {loaded} from the cache"
    if made:
        return f"compiled {made} functions"
    if loaded:
        return f"loaded {loaded} functions from the cache"
    return "ready"


def _floor(n: int, seed: int, repeat: int) -> float:
    """Two numpy argsorts of ``n`` random floats: best time of ``repeat``."""
    x = np.random.default_rng(seed).random(n)
    return _best(repeat, lambda: (np.argsort(x), np.argsort(x)))[0]


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Build time; the argsort floor; or a method's run, validation and metrics, with the
    floor measured again just before them."""
    n, method, seed = int(case["requests"]), str(case["method"]), int(case["instance_seed"])
    # a cold run times the first call alone: the one that compiles or loads code
    repeat = 1 if case["cold"] else int(case["repeat"])
    if method == FLOOR:
        return {"solve_s": _floor(n, seed, int(case["repeat"]))}
    inst, build_s = _instance(n, int(case["qpus"]), str(case["t_max"]), seed)
    if method == BUILD:
        return {"solve_s": build_s}
    warm_s, warm = (0.0, "skipped") if case["cold"] else _warm()
    floor_s = _floor(n, seed, int(case["repeat"]))
    before = _code_state()
    solve_s, (plan, _) = _best(repeat, lambda: qdcopt.solve(inst, method))
    solve_cold = _code_state() != before
    before = _code_state()
    validate_s, report = _best(repeat, lambda: qdcopt.validate(inst, plan))
    validate_cold = _code_state() != before
    m = report.metrics
    return {"solve_s": solve_s, "validate_s": validate_s, "floor_s": floor_s,
            "accepted": int(m["accepted"]), "ratio": float(m["acceptance_ratio"]),
            "reconf": int(m["reconfigurations"]), "valid": report.ok, "warm_s": warm_s,
            "warm": warm, "solve_cold": solve_cold, "validate_cold": validate_cold}


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per (size, method): times, their ratios to the floor and to the fastest
    method, the plan's figures; then how compiled code was made ready."""
    print(f"{'requests':>9} {'method':>13} {'solve_s':>8} {'floor_s':>7} {'x_floor':>7} "
          f"{'validate_s':>10} {'x_fastest':>9} {'accepted':>9} {'ratio':>6} {'reconf':>8} "
          "valid  warm-up")
    runs = frame[~frame.method.isin([BUILD, FLOOR])]
    # each case measured the floor next to its own figures: the ratios divide by it, so
    # that a change of the machine's load between cases cancels out
    fastest = (runs.solve_s / runs.floor_s).groupby(runs.requests).min()
    marked = False
    for r in frame.itertuples():
        if r.method in (BUILD, FLOOR):
            note = "  (two argsorts of as many floats)" if r.method == FLOOR else ""
            print(f"{r.requests:>9} {r.method:>13} {r.solve_s:8.3f}{note}")
            continue
        s_mark = "*" if r.solve_cold else " "
        v_mark = "*" if r.validate_cold else " "
        marked = marked or r.solve_cold or r.validate_cold
        warm = r.warm if r.warm in ("skipped", "ready") else f"{r.warm_s:.2f} s, {r.warm}"
        print(f"{r.requests:>9} {r.method:>13} {r.solve_s:8.3f}{s_mark}{r.floor_s:7.3f} "
              f"{r.solve_s / r.floor_s:7.2f} {r.validate_s:10.3f}{v_mark}"
              f"{r.validate_s / r.floor_s / fastest[r.requests]:8.2f} {int(r.accepted):>9} "
              f"{r.ratio:6.3f} {int(r.reconf):>8} {bool(r.valid)!s:5}  {warm}")
    runs_text = "the first run" if args.cold else f"best of {args.repeat} runs"
    print(f"{runs_text}; floor_s: the floor measured in the same case; x_floor = solve_s / "
          "floor_s; x_fastest: the validator over the fastest method, each over its floor")
    if marked:
        print("* the timed runs compiled code or loaded it from numba's cache (--cold)")
    else:
        print("no figure includes compiling or loading code: the warm-up did it")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
