"""Speed of the entanglement-demand extraction on the paper-000 workload.

Builds a seeded 1000-qubit, depth-200 random circuit (qiskit's ``random_circuit`` with
gates of at most two qubits; the default seed 1 gives ≈ 36 000 two-qubit gates), then
times, apart from the circuit build: the reduction to one- and two-qubit operations
(``flatten``), the placement on 10 QPUs of 100 qubits, and the timing pass that yields
the requests (``distribute``).  The extraction time is reduction + placement + timing;
each is the best of ``--repeat`` runs.  The graph placement's partitioner is compiled: a
placement of a small circuit loads (or compiles) it before the timed runs, and the output
says what that took.  Each placement line also gives its cut, the non-local gates.  One
case per stage (the circuit build, the reduction, each placement method, each timing of a
placement with and without reuse), run by the sweep runner (see
:mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench eds [--qubits 1000] [--depth 200] [--qpus 10] [--seed 1]
[--repeat 3]`` or ``python benchmarks/bench_eds.py …``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from qdcopt.datacenter.demand.circuits import random_job_circuit
from qdcopt.datacenter.demand.placement import place
from qdcopt.datacenter.demand.reduction import flatten
from qdcopt.datacenter.demand.schedule import EdsOptions, QpuTiming, distribute
from qdcopt.sweeps.bench import bench_main

METHODS = ("contiguous", "graph")


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--qubits", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=200)
    parser.add_argument("--qpus", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The circuit build, the reduction, then per placement method its placement and its
    timing without and with reuse."""
    for name in ("qubits", "depth", "qpus", "repeat"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(args, name)}")
    common = {"qubits": args.qubits, "depth": args.depth, "qpus": args.qpus,
              "circuit_seed": args.seed, "repeat": args.repeat}
    out = [{"stage": "circuit", "method": "", "reuse": False, **common},
           {"stage": "reduce", "method": "", "reuse": False, **common}]
    for method in METHODS:
        out.append({"stage": "placement", "method": method, "reuse": False, **common})
        out += [{"stage": "timing", "method": method, "reuse": reuse, **common}
                for reuse in (False, True)]
    return out


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


@lru_cache(maxsize=1)
def _circuit(qubits: int, depth: int, seed: int) -> tuple[Any, float]:
    # every stage of one circuit shares it within a worker process
    t0 = time.perf_counter()
    qc = random_job_circuit(qubits, depth, seed=seed)
    return qc, time.perf_counter() - t0


@lru_cache(maxsize=1)
def _flat(qubits: int, depth: int, seed: int) -> Any:
    return flatten(_circuit(qubits, depth, seed)[0])


@lru_cache(maxsize=len(METHODS))
def _placement(qubits: int, depth: int, qpus: int, seed: int, method: str) -> Any:
    per_qpu = -(-qubits // qpus)
    return place(_flat(qubits, depth, seed), list(range(qpus)), [per_qpu] * qpus, method,
                 seed=seed)


@lru_cache(maxsize=1)
def _warm() -> float:
    """Place a small circuit by graph, so that the compiled partitioner is loaded (or
    compiled) before any timing; how long that took."""
    small = flatten(random_job_circuit(40, 10, seed=0))
    t0 = time.perf_counter()
    place(small, [0, 1, 2], [14, 14, 14], "graph")
    return time.perf_counter() - t0


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """The time (best of ``repeat``) and the figures of one stage."""
    qubits, depth, qpus = int(case["qubits"]), int(case["depth"]), int(case["qpus"])
    seed, repeat = int(case["circuit_seed"]), int(case["repeat"])
    stage, method = str(case["stage"]), str(case["method"])
    if stage == "circuit":
        qc, build_s = _circuit(qubits, depth, seed)
        return {"seconds": build_s, "operations": len(qc.data),
                "two_qubit": sum(len(inst.qubits) == 2 for inst in qc.data)}
    if stage == "reduce":
        qc, _ = _circuit(qubits, depth, seed)
        t_flat, flat = best_of(repeat, lambda: flatten(qc))
        return {"seconds": t_flat, "operations": len(flat),
                "two_qubit": int(flat.two_qubit.sum()), "depth_1q2q": flat.depth}
    flat = _flat(qubits, depth, seed)
    if stage == "placement":
        warm_s = _warm() if method == "graph" else 0.0
        per_qpu = -(-qubits // qpus)
        t_place, where = best_of(repeat, lambda: place(
            flat, list(range(qpus)), [per_qpu] * qpus, method, seed=seed))
        return {"seconds": t_place, "cut": where.non_local_gates, "warm_s": warm_s}
    where = _placement(qubits, depth, qpus, seed, method)
    timings = [QpuTiming()] * qpus
    opts = EdsOptions(reuse=bool(case["reuse"]))
    t_time, eds = best_of(repeat, lambda: distribute(flat, where, timings, opts))
    return {"seconds": t_time, "non_local": eds.non_local_gates, "requests": eds.n_requests,
            "distributed_depth": eds.distributed_depth, "runtime": eds.runtime}


def show(frame: Any, args: argparse.Namespace) -> None:
    """The circuit, the reduction, then one line per placement method and reuse."""
    rows = {(r.stage, r.method, bool(r.reuse)): r for r in frame.itertuples()}
    c = rows["circuit", "", False]
    print(f"circuit: {c.qubits} qubits, depth {c.depth}, seed {c.circuit_seed}, "
          f"{int(c.operations)} operations, {int(c.two_qubit)} two-qubit gates; "
          f"build {c.seconds:.2f} s (not counted)")
    f = rows["reduce", "", False]
    print(f"reduce to 1q/2q operations: {f.seconds:.3f} s  ({int(f.operations)} operations, "
          f"{int(f.two_qubit)} two-qubit, depth {int(f.depth_1q2q)})")
    for method in METHODS:
        p = rows["placement", method, False]
        t_place = p.seconds
        warm = (f"; its compiled code was made ready first, in {p.warm_s:.2f} s"
                if p.warm_s else "")
        print(f"{method:>10} placement {t_place:.3f} s, cut {int(p.cut)} of "
              f"{int(f.two_qubit)} two-qubit gates{warm}")
        for reuse in (False, True):
            e = rows["timing", method, reuse]
            total = f.seconds + t_place + e.seconds
            print(f"{method:>10} reuse={'yes' if reuse else 'no ':3} placement {t_place:.3f} s"
                  f"  timing {e.seconds:.3f} s  extraction {total:.3f} s  | "
                  f"{int(e.non_local)} non-local, {int(e.requests)} requests, "
                  f"distributed depth {int(e.distributed_depth)}, "
                  f"runtime {e.runtime / 1e9:.2f} us")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
