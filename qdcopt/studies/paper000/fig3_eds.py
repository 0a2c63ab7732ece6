"""Paper 000 Fig. 3: runtime estimate and distributed depth vs the circuit's depth.

Setting (paper 000 §IV-A): one random job of 1000 qubits (qiskit's ``random_circuit`` with
gates of at most two qubits, seeded), placed on 1, 2, 5, 10 or 20 QPUs of 1000, 500, 200,
100 or 50 qubits, 5 ns one-qubit and 50 ns two-qubit gates, cat-entanglement for every
non-local gate.  Both placements are run: the paper's contiguous blocks and the
interaction-graph partition.  The random circuit of each depth is built once and shared by
all configurations.

Columns of ``fig3_eds.csv``: the generator depth, QPUs and qubits per QPU, placement,
two-qubit and non-local gates, requests (and requests with cat-link reuse), depth of the
reduced circuit, distributed depth, and the runtime estimate under the paper's layer
timing and under as-soon-as-possible timing.  ``fig3_eds.png`` draws, for each placement,
the layer-timing runtime (lines, left axis) and the distributed depth (bars, right axis)
as the paper does.

Run ``qdcopt study fig3`` (one task per depth, configuration and placement on a local
Dask cluster), or ``python -m qdcopt.studies.paper000.fig3_eds [OUT_DIR] [--quick]`` (default
``results/``; in this process).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.datacenter.demand.circuits import random_job_circuit
from qdcopt.datacenter.demand.placement import PLACEMENTS, interaction_graph, place
from qdcopt.datacenter.demand.reduction import flatten
from qdcopt.datacenter.demand.schedule import EdsOptions, QpuTiming, distribute
from qdcopt.sweeps import Sweep, Task

NAME = "fig3"
CONFIGS: tuple[tuple[int, int], ...] = ((1, 1000), (2, 500), (5, 200), (10, 100), (20, 50))
"""(QPUs, qubits per QPU) of paper 000."""
DEPTHS: tuple[int, ...] = (10, 50, 100, 200, 300, 400, 500)
"""Depths of the random circuit (x axis)."""
QUICK_CONFIGS: tuple[tuple[int, int], ...] = ((1, 100), (2, 50), (5, 20), (10, 10), (20, 5))
QUICK_DEPTHS: tuple[int, ...] = (5, 10, 20)


def sweep(*, seed: int = 0, quick: bool = False, depths: tuple[int, ...] | None = None
          ) -> Sweep:
    """One task per (depth, QPU configuration, placement).

    Parameters
    ----------
    seed
        Seed of the random circuits and of the partition heuristic (every task uses it:
        the circuit of one depth is the same for all configurations, as in the paper).
    quick
        A 100-qubit version on the same QPU counts (for tests; seconds).
    depths
        Circuit depths (default :data:`DEPTHS`, or :data:`QUICK_DEPTHS` when quick).
    """
    configs = QUICK_CONFIGS if quick else CONFIGS
    depths = depths or (QUICK_DEPTHS if quick else DEPTHS)
    tasks = tuple(Task.make(NAME, {"depth": d, "qpus": n, "qubits_per_qpu": per},
                            method=m, seed=seed)
                  for d in depths for n, per in configs for m in PLACEMENTS)
    return Sweep(NAME, tasks, run_task, {"seed": seed, "qubits": configs[0][1]}, write)


def run(out_dir: Path, *, seed: int = 0, depths: tuple[int, ...] | None = None,
        quick: bool = False, workers: int | None = None) -> list[Path]:
    """Regenerate ``fig3_eds.csv`` and ``fig3_eds.png`` (see :func:`sweep`).

    ``workers`` as in :func:`qdcopt.sweeps.run_sweep` (0: in this process).

    Returns
    -------
    list[Path]
        The CSV and the PNG (empty if a task failed).
    """
    from qdcopt.sweeps import run_sweep

    return list(run_sweep(sweep(seed=seed, quick=quick, depths=depths), Path(out_dir),
                          workers=workers).files)


@lru_cache(maxsize=2)
def _circuit(qubits: int, depth: int, seed: int) -> tuple[Any, Any]:
    # every configuration of one depth shares the circuit: build it once per process
    flat = flatten(random_job_circuit(qubits, depth, seed=seed))
    return flat, interaction_graph(flat)


def run_task(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """One row: the circuit of ``task["depth"]`` on one configuration and placement."""
    flat, graph = _circuit(int(settings["qubits"]), int(task["depth"]), task.seed)
    n_qpus, per_qpu = int(task["qpus"]), int(task["qubits_per_qpu"])
    qpus = list(range(n_qpus))
    timings = [QpuTiming()] * n_qpus
    where = place(flat, qpus, [per_qpu] * n_qpus, task.method, seed=task.seed, graph=graph)
    eds = distribute(flat, where, timings, EdsOptions())
    with_reuse = distribute(flat, where, timings, EdsOptions(reuse=True))
    return {
        "depth": task["depth"], "qpus": n_qpus, "qubits_per_qpu": per_qpu,
        "placement": task.method, "two_qubit_gates": eds.two_qubit_gates,
        "non_local_gates": eds.non_local_gates, "requests": eds.n_requests,
        "requests_with_reuse": with_reuse.n_requests,
        "reduced_depth": eds.depth, "distributed_depth": eds.distributed_depth,
        "runtime_us": eds.runtime_layers / 1e9,
        "runtime_asap_us": eds.runtime_asap / 1e9,
    }


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``fig3_eds.csv`` and ``fig3_eds.png`` from the rows of every task."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / "fig3_eds.csv"
    frame.to_csv(csv, index=False)
    png = out_dir / "fig3_eds.png"
    plot(frame, png)
    return [csv, png]


def plot(frame: pd.DataFrame, path: Path) -> None:
    """Runtime (lines, left axis) and distributed depth (bars, right axis) per placement."""
    import matplotlib

    from qdcopt.plotting import subplots

    methods = list(dict.fromkeys(frame["placement"]))
    counts = list(dict.fromkeys(frame["qpus"]))
    depths = list(dict.fromkeys(frame["depth"]))
    colors = matplotlib.colormaps["tab10"]
    fig, axes = subplots(1, len(methods), figsize=(6.0 * len(methods), 4.2), squeeze=False)
    width = 0.8 / len(counts)
    # the same scales in both panels, so that the placements compare at a glance
    top_runtime = float(frame.runtime_us.max()) * 1.05
    top_depth = float(frame.distributed_depth.max()) * 1.05
    for ax, method in zip(axes[0], methods, strict=True):
        sub = frame[frame.placement == method]
        right = ax.twinx()
        xs = list(range(len(depths)))
        for j, n in enumerate(counts):
            g = sub[sub.qpus == n].set_index("depth").loc[depths]
            per = int(g.qubits_per_qpu.iloc[0])
            right.bar([x + (j - (len(counts) - 1) / 2) * width for x in xs],
                      g.distributed_depth, width=width, color=colors(j), alpha=0.35)
            ax.plot(xs, g.runtime_us, marker="o", color=colors(j),
                    label=f"{n} QPU{'s' if n > 1 else ''} × {per}")
        ax.set_ylim(0, top_runtime)
        right.set_ylim(0, top_depth)
        ax.set_zorder(right.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.set_xticks(xs, [str(d) for d in depths])
        ax.set_xlabel("depth of the random circuit")
        ax.set_ylabel("runtime estimate (µs), lines")
        right.set_ylabel("distributed depth, bars")
        ax.set_title(f"{method} placement")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Distributed random circuit: runtime and depth vs original depth "
                 "(cat-entanglement, 5 ns / 50 ns gates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    """``python -m qdcopt.studies.paper000.fig3_eds [OUT_DIR] [--quick]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in args
    rest = [a for a in args if a != "--quick"]
    for path in run(Path(rest[0]) if rest else Path("results"), quick=quick, workers=0):
        print(path)


if __name__ == "__main__":
    main()
