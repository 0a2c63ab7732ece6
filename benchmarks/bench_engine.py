"""Events per second of the event core (``qdcopt.engine``) against SimPy on one workload.

Workload: ``K`` independent Poisson sources, each rescheduling itself after an
exponential wait and counting its firings — the shape of the swapping runtime's link
generators.  Prints events/s for the heap loop and for SimPy (if installed).  One case
per loop, run by the sweep runner (see :mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench engine [--events N] [--sources K]`` or
``python benchmarks/bench_engine.py …``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from qdcopt.engine import Simulator
from qdcopt.sweeps.bench import bench_main

LOOPS = ("heapq", "simpy")


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--sources", type=int, default=200)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The heap loop, then SimPy, on the same workload."""
    if args.events < 1:
        raise ValueError(f"--events must be a positive number of events, got {args.events}")
    if args.sources < 1:
        raise ValueError(f"--sources must be a positive number of sources, got {args.sources}")
    return [{"loop": loop, "events": args.events, "sources": args.sources} for loop in LOOPS]


def heap_loop(events: int, sources: int, seed: int = 0) -> tuple[int, float]:
    """Run the workload on :class:`Simulator`; return (events, seconds)."""
    rng = np.random.default_rng(seed)
    waits = rng.standard_exponential(events + sources).tolist()
    sim = Simulator()
    state = {"i": 0}

    def fire(k: int) -> None:
        i = state["i"]
        state["i"] = i + 1
        sim.after(waits[i] * (1 + k % 7), fire, k)

    for k in range(sources):
        sim.after(waits[k], fire, k)
    state["i"] = sources
    start = time.perf_counter()
    n = sim.run(max_events=events)
    return n, time.perf_counter() - start


def simpy_loop(events: int, sources: int, seed: int = 0) -> tuple[int, float] | None:
    """The same workload as SimPy processes; ``None`` if SimPy is missing."""
    try:
        import simpy
    except ImportError:
        return None
    rng = np.random.default_rng(seed)
    waits = rng.standard_exponential(events + sources).tolist()
    env = simpy.Environment()
    state = {"i": sources, "n": 0}

    def proc(k: int):
        yield env.timeout(waits[k])
        while True:
            state["n"] += 1
            i = state["i"]
            state["i"] = i + 1
            if i >= len(waits):
                return
            yield env.timeout(waits[i] * (1 + k % 7))

    for k in range(sources):
        env.process(proc(k))
    start = time.perf_counter()
    # every process resumes once per event; stop at the same number of firings
    while state["n"] < events and env.peek() != float("inf"):
        env.step()
    return state["n"], time.perf_counter() - start


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Events run and seconds of one loop (``installed`` False when SimPy is missing)."""
    loop = heap_loop if case["loop"] == "heapq" else simpy_loop
    res = loop(int(case["events"]), int(case["sources"]))
    if res is None:
        return {"installed": False, "fired": None, "seconds": None}
    return {"installed": True, "fired": res[0], "seconds": res[1]}


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per loop."""
    for r in frame.itertuples():
        label = "heapq Simulator" if r.loop == "heapq" else "simpy          "
        if not r.installed:
            print(f"{r.loop}: not installed")
            continue
        n, s = int(r.fired), float(r.seconds)
        print(f"{label}: {n} events in {s:.3f} s = {n / s:,.0f} events/s")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
