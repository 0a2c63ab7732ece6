"""Speed of the entanglement-demand extraction on the paper-000 workload.

Builds a seeded 1000-qubit, depth-200 random circuit (qiskit's ``random_circuit`` with
gates of at most two qubits; the default seed 1 gives ≈ 36 000 two-qubit gates), then
times, apart from the circuit build: the reduction to one- and two-qubit operations
(``flatten``), the placement on 10 QPUs of 100 qubits, and the timing pass that yields
the requests (``distribute``).  The extraction time is reduction + placement + timing;
each is the best of ``--repeat`` runs.

Usage: ``python benchmarks/bench_eds.py [--qubits 1000] [--depth 200] [--qpus 10]
[--seed 1] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from qdcopt.datacenter.demand.circuits import flatten, random_job_circuit
from qdcopt.datacenter.demand.placement import place
from qdcopt.datacenter.demand.schedule import EdsOptions, QpuTiming, distribute


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    """Run the benchmark and print one line per stage and placement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=200)
    parser.add_argument("--qpus", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    qc = random_job_circuit(args.qubits, args.depth, seed=args.seed)
    build = time.perf_counter() - t0
    n2 = sum(len(inst.qubits) == 2 for inst in qc.data)
    print(f"circuit: {args.qubits} qubits, depth {args.depth}, seed {args.seed}, "
          f"{len(qc.data)} operations, {n2} two-qubit gates; build {build:.2f} s (not counted)")

    t_flat, flat = best_of(args.repeat, lambda: flatten(qc))
    print(f"reduce to 1q/2q operations: {t_flat:.3f} s  ({len(flat)} operations, "
          f"{int(flat.two_qubit.sum())} two-qubit, depth {flat.depth})")
    per_qpu = -(-args.qubits // args.qpus)
    qpus = list(range(args.qpus))
    timings = [QpuTiming()] * args.qpus
    for method in ("contiguous", "graph"):
        t_place, where = best_of(args.repeat, lambda m=method: place(
            flat, qpus, [per_qpu] * args.qpus, m, seed=args.seed))
        for reuse in (False, True):
            opts = EdsOptions(reuse=reuse)
            t_time, eds = best_of(args.repeat, lambda w=where, o=opts: distribute(
                flat, w, timings, o))
            total = t_flat + t_place + t_time
            print(f"{method:>10} reuse={'yes' if reuse else 'no ':3} placement {t_place:.3f} s"
                  f"  timing {t_time:.3f} s  extraction {total:.3f} s  | "
                  f"{eds.non_local_gates} non-local, {eds.n_requests} requests, "
                  f"distributed depth {eds.distributed_depth}, "
                  f"runtime {eds.runtime / 1e9:.2f} us")


if __name__ == "__main__":
    main()
