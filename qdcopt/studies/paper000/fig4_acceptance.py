"""Paper 000 Fig. 4: acceptance ratio vs storage window t_max, heuristics vs the optimum.

Setting (paper 000 §IV-A): one random job of 1000 qubits and depth 200 (qiskit's
``random_circuit``, seeded), placed on 2, 5, 10 or 20 QPUs of 500, 200, 100 or 50 qubits
by the paper's contiguous blocks, its entanglement demand schedule extracted with 5 ns /
50 ns gates; one source at 1 GHz or 1 MHz; 2 ns / 10 ns switching; unlimited
communication qubits; t_max swept over decades from 1 ns to 1 ms.  (One QPU needs no
entanglement and is left out.)

For every point the paper's greedy, EDF, scoring and the switch MILP are run; each plan
is validated and its validated acceptance ratio recorded, with the MILP's proven upper
bound on the ratio beside it, so the figure shows where optimal scheduling changes the
paper's conclusions and how tight the certificate is.

One task per point and method (``qdcopt study fig4`` runs them on a local Dask cluster);
outputs: ``fig4_acceptance.csv`` and ``fig4_acceptance.png`` in the output folder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import qdcopt
from qdcopt.datacenter.demand.circuits import random_job_circuit
from qdcopt.datacenter.demand.reduction import flatten
from qdcopt.datacenter.demand.schedule import QpuTiming, extract_job
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.scenarios.presets import FIG4_T_MAX, QUBITS_PER_QPU, RATES
from qdcopt.sweeps import Sweep, Task
from qdcopt.timebase import parse_duration, parse_rate

NAME = "fig4"
HEURISTICS = ("greedy", "edf", "scoring")
EXACT = "milp"


def job_requests(n_qpus: int, qubits: int, depth: int, seed: int) -> tuple[Requests, int]:
    """Requests of the random job placed contiguously on ``n_qpus`` QPUs, and its runtime."""
    flat = flatten(random_job_circuit(qubits, depth, seed=seed))
    per_qpu = max(QUBITS_PER_QPU.get(n_qpus, 0), -(-qubits // n_qpus))
    job = extract_job(flat, list(range(n_qpus)), [per_qpu] * n_qpus,
                      [QpuTiming()] * n_qpus, placement="contiguous", seed=seed, job="J1")
    n = job.n_requests
    ids = np.array([f"J1.r{k}" for k in range(n)], dtype=object)
    req = Requests.from_columns(ids, np.full(n, "J1", dtype=object), job.qpu_a, job.qpu_b,
                                job.t_need)
    return req, job.runtime


def instance_for(n_qpus: int, requests: Requests, rate: str, t_max: str) -> DatacenterInstance:
    """The paper's datacenter with the given demand, source rate and storage window."""
    qpus = tuple(Qpu(f"Q{i}", QUBITS_PER_QPU.get(n_qpus, 1000 // n_qpus), None)
                 for i in range(n_qpus))
    src = Source("S0", parse_rate(RATES[rate]), 0, parse_duration("2 ns"),
                 parse_duration("10 ns"), tuple(range(n_qpus)))
    return DatacenterInstance(f"fig4-{n_qpus}qpu-{rate}-{t_max.replace(' ', '')}", qpus, (src,),
                              parse_duration(t_max), requests)


def sweep(*, seed: int = 0, quick: bool = False, time_limit: float | None = None) -> Sweep:
    """One task per (QPU count, source rate, t_max, method).

    Parameters
    ----------
    seed
        Seed of the random circuit (every task uses it: one job for the whole figure).
    quick
        A 100-qubit depth-20 job on 2 and 5 QPUs and three windows (for tests).
    time_limit
        MILP time limit per point (default 15 s, 5 s when quick).
    """
    if quick:
        qubits, depth, counts, windows = 100, 20, (2, 5), ("10 ns", "100 ns", "1 us")
    else:
        qubits, depth, counts, windows = 1000, 200, (2, 5, 10, 20), FIG4_T_MAX
    limit = time_limit if time_limit is not None else (5.0 if quick else 15.0)
    methods = list(HEURISTICS)
    if EXACT in qdcopt.methods("datacenter"):
        methods.append(EXACT)
    tasks = tuple(Task.make(NAME, {"qpus": n, "rate": rate, "t_max": t_max}, method=m,
                            seed=seed)
                  for n in counts for rate in RATES for t_max in windows for m in methods)
    settings = {"seed": seed, "qubits": qubits, "depth": depth, "time_limit": limit}
    return Sweep(NAME, tasks, run_task, settings, write)


def run(out_dir: Path, *, seed: int = 0, quick: bool = False, time_limit: float | None = None,
        workers: int | None = None) -> list[Path]:
    """Regenerate ``fig4_acceptance.csv`` and ``.png`` (see :func:`sweep`).

    ``workers`` as in :func:`qdcopt.sweeps.run_sweep` (0: in this process).
    """
    from qdcopt.sweeps import run_sweep

    return list(run_sweep(sweep(seed=seed, quick=quick, time_limit=time_limit),
                          Path(out_dir), workers=workers).files)


@lru_cache(maxsize=2)
def _requests(n_qpus: int, qubits: int, depth: int, seed: int) -> tuple[Requests, int]:
    # every window, rate and method of one QPU count shares the demand: once per process
    return job_requests(n_qpus, qubits, depth, seed)


def run_task(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """One row: one method on one (QPU count, rate, t_max), its plan validated.

    Raises
    ------
    CrossCheckError
        If the plan breaks a rule of the validator.
    """
    n, rate, t_max = int(task["qpus"]), str(task["rate"]), str(task["t_max"])
    req, runtime = _requests(n, int(settings["qubits"]), int(settings["depth"]), task.seed)
    inst = replace(instance_for(n, req, rate, t_max), job_runtime={"J1": runtime})
    method = task.method
    opts = {"time_limit": float(settings["time_limit"])} if method == EXACT else {}
    plan, info = qdcopt.solve(inst, method, **opts)
    report = qdcopt.validate(inst, plan)
    if not report.ok:
        raise qdcopt.CrossCheckError(
            f"{method} plan invalid at {inst.name}: {sorted(report.codes())}")
    total = len(req)
    return {
        "qpus": n, "rate": rate, "t_max": t_max,
        "t_max_s": parse_duration(t_max) / 1e15, "method": method,
        "requests": total, "accepted": int(report.objective),
        "acceptance_ratio": report.objective / total if total else 1.0,
        "bound_ratio": (info.bound / total if total and not math.isnan(info.bound)
                        else math.nan),
        "status": info.status, "time_s": round(info.time_s, 3),
        "reconfigurations": report.metrics["reconfigurations"],
        "peak_stored_pairs": report.metrics["peak_stored_pairs_max"],
    }


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``fig4_acceptance.csv`` and ``.png`` from the rows of every task."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / "fig4_acceptance.csv"
    frame.to_csv(csv, index=False)
    png = out_dir / "fig4_acceptance.png"
    _plot(frame, png)
    return [csv, png]


def _plot(frame: pd.DataFrame, path: Path) -> None:
    from qdcopt.plotting import subplots

    rates = list(dict.fromkeys(frame["rate"]))
    methods = list(dict.fromkeys(frame["method"]))
    fig, axes = subplots(len(rates), len(methods), figsize=(3.2 * len(methods),
                             3.0 * len(rates)), sharex=True, sharey="row", squeeze=False)
    for i, rate in enumerate(rates):
        for j, method in enumerate(methods):
            ax = axes[i][j]
            sub = frame[(frame.rate == rate) & (frame.method == method)]
            for n, g in sub.groupby("qpus"):
                line = ax.plot(g.t_max_s, g.acceptance_ratio, marker="o", label=f"{n} QPUs")
                if method == EXACT and g.bound_ratio.notna().any():
                    ax.plot(g.t_max_s, g.bound_ratio, ls="--", color=line[0].get_color(),
                            lw=0.8)
            ax.set_xscale("log")
            # each row gets its own scale: at 1 MHz every method serves well under 1 %
            top = frame[frame.rate == rate]["acceptance_ratio"].max()
            ax.set_ylim(0, min(1.05, max(1e-4, 1.3 * top)))
            ax.set_title(f"{method}, {RATES[rate]}", fontsize=9)
            ax.grid(alpha=0.3)
            if i == len(rates) - 1:
                ax.set_xlabel("t_max (s)")
            if j == 0:
                ax.set_ylabel("accepted / requests")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Acceptance ratio vs storage window (dashed: MILP upper bound)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
