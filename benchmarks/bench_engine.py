"""Events per second of the event core (``qdcopt.engine``) against SimPy on one workload.

Workload: ``K`` independent Poisson sources, each rescheduling itself after an
exponential wait and counting its firings — the shape of the swapping runtime's link
generators.  Prints events/s for the heap loop and for SimPy (if installed).

Usage: ``python benchmarks/bench_engine.py [--events N] [--sources K]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qdcopt.engine import Simulator


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


def main() -> None:
    """Print events/s of both loops."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--sources", type=int, default=200)
    args = ap.parse_args()
    n, s = heap_loop(args.events, args.sources)
    print(f"heapq Simulator: {n} events in {s:.3f} s = {n / s:,.0f} events/s")
    res = simpy_loop(args.events, args.sources)
    if res is None:
        print("simpy: not installed")
    else:
        n2, s2 = res
        print(f"simpy          : {n2} events in {s2:.3f} s = {n2 / s2:,.0f} events/s")


if __name__ == "__main__":
    main()
