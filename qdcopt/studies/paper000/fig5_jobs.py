"""Paper 000 Fig. 5: total execution time and mean job completion time vs number of jobs.

Setting (paper 000 §IV-B): J = 2 … 30 jobs, each a seeded random circuit of 10 qubits
and depth 500; 30 QPUs with 5 data qubits (so a job spans two QPUs and needs
entanglement) and 5 communication qubits; one 1 GHz source whose 2×30 switch reaches
every QPU (2 ns / 10 ns moves); t_max = 1 ms; graph placement; 5 ns / 50 ns gates.

Methods: the pipeline sequential (one job at a time), parallel, parallel with Phase E
retries (δ = 1 ns, 10 attempts), all with the paper's greedy inside, and the
job-selection MILP (``select-milp``, candidates on 4 QPU sets × 3 start delays).  Every
plan is validated; a job whose requests are not all served is ejected (Phases F–G), so
each row also records how many jobs ran.  Total execution time is the end of the last
accepted job, completion time the mean end of the accepted jobs (all arrive at 0).

The paper averages 100 repetitions per point, and so does the full run
(:data:`REPETITIONS`, seeded).  One repetition (all fifteen values of J, four methods,
the MILP limited to 30 s per instance) takes about 2.5 minutes of one core here, so the
full run takes about four hours of one core: ``qdcopt study fig5`` runs its tasks (one
per J, repetition and method) on every core, keeps each row in the study's store as it
comes back, and continues where it stopped when run again; ``--repetitions N`` asks for
N repetitions (raising N later runs only the new ones).  The CSV's ``repetitions`` column
says how many repetitions a table holds.  ``quick=True`` runs J = 2, 3 on depth-20
circuits, once.

The ``bound_requests`` column is the MILP's bound over its candidate set (placements and
starts it was offered), not a bound over every job-level plan.

Outputs: ``fig5_jobs.csv`` (one row per J, method and repetition),
``fig5_jobs_summary.csv`` (means) and ``fig5_jobs.png`` in the output folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.datacenter import JOB_SPECS
from qdcopt.datacenter.jobs.buffers import random_buffer
from qdcopt.datacenter.validate import validate
from qdcopt.sweeps import Sweep, Task

NAME = "fig5"

REPETITIONS = 100
"""Seeded repetitions per point in the full run (as in the paper)."""

JOBS = tuple(range(2, 31, 2))
"""Numbers of jobs of the full run."""

METHODS = {
    "sequential": JOB_SPECS["pipeline-sequential"],
    "parallel": JOB_SPECS["pipeline-parallel"],
    "parallel-retry": JOB_SPECS["pipeline-retry"],
    "select-milp": JOB_SPECS["select-milp"],
}


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """One task per (J, repetition, method); the four methods of a J and repetition share
    their random instance (paired comparison) and go to a worker together.

    Parameters
    ----------
    seed
        Base seed; repetition ``r`` uses seed ``seed * 1000 + r`` for every J.
    quick
        A seconds-long version for tests (J = 2, 3 on depth-20 circuits, once).
    repetitions
        Seeded repetitions per J (default :data:`REPETITIONS`, 1 when quick).  Rows do not
        depend on it: raising it later runs only the new repetitions.
    """
    jobs = (2, 3) if quick else JOBS
    reps = repetitions if repetitions is not None else (1 if quick else REPETITIONS)
    depth = 20 if quick else 500
    tasks = tuple(Task.make(NAME, {"jobs": n}, method=m, repetition=r, seed=seed * 1000 + r)
                  for n in jobs for r in range(reps) for m in METHODS)
    settings = {"seed": seed, "depth": depth, "time_limit": 30.0}
    return Sweep(NAME, tasks, run_task, settings, write, group=len(METHODS))


def run(out_dir: Path, *, seed: int = 0, quick: bool = False,
        repetitions: int | None = None, workers: int | None = None) -> list[Path]:
    """Regenerate ``fig5_jobs.csv``, ``fig5_jobs_summary.csv`` and ``fig5_jobs.png``.

    See :func:`sweep`; ``workers`` as in :func:`qdcopt.sweeps.run_sweep` (0: in this
    process).

    Returns
    -------
    list[Path]
        The files written (empty if a task failed).
    """
    from qdcopt.sweeps import run_sweep

    return list(run_sweep(sweep(seed=seed, quick=quick, repetitions=repetitions),
                          Path(out_dir), workers=workers).files)


@lru_cache(maxsize=2)
def _instance(n_jobs: int, depth: int, seed: int) -> Any:
    # the methods of one J and repetition share the instance: build it once per process
    return random_buffer(n_jobs, qubits=10, depth=depth, n_qpus=30, data_qubits=5,
                         comm_qubits=5, t_max="1 ms", seed=seed)


def run_task(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """One row: one method on the J jobs of one repetition, its plan validated."""
    n_jobs, depth = int(task["jobs"]), int(settings["depth"])
    inst = _instance(n_jobs, depth, task.seed)
    opts = {"time_limit": float(settings["time_limit"])} if task.method == "select-milp" else {}
    plan, info = METHODS[task.method](inst, **opts)
    report = validate(inst, plan)
    m = report.metrics
    return {
        "jobs": n_jobs, "repetition": task.repetition, "method": task.method,
        "valid": report.ok, "jobs_accepted": m["jobs_accepted"],
        "requests": m["requests"], "accepted_requests": int(report.objective),
        "total_execution_time_s": m["job_makespan_s"],
        "mean_completion_time_s": m["job_completion_mean_s"],
        # select-milp's bound holds over its candidates only
        "bound_requests": info.extra.get("bound_over_candidates", info.bound),
        "time_s": round(info.time_s, 3), "depth": depth,
    }


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The study's three files from the rows of every task.

    The ``repetitions`` column (repetitions per J in this table) is added here, before
    ``depth``, since a row does not depend on how many repetitions the table holds.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reps = frame["repetition"].nunique()
    frame = frame.drop(columns="repetitions", errors="ignore")
    frame.insert(frame.columns.get_loc("depth"), "repetitions", reps)
    csv = out_dir / "fig5_jobs.csv"
    frame.to_csv(csv, index=False)
    summary = (frame.groupby(["jobs", "method"], sort=False)
               .agg(jobs_accepted=("jobs_accepted", "mean"),
                    accepted_requests=("accepted_requests", "mean"),
                    total_execution_time_s=("total_execution_time_s", "mean"),
                    mean_completion_time_s=("mean_completion_time_s", "mean"),
                    all_valid=("valid", "all"), repetitions=("repetitions", "max"))
               .reset_index())
    summary_csv = out_dir / "fig5_jobs_summary.csv"
    summary.to_csv(summary_csv, index=False)
    png = out_dir / "fig5_jobs.png"
    _plot(summary, png)
    return [csv, summary_csv, png]


def _plot(summary: pd.DataFrame, path: Path) -> None:
    from qdcopt.plotting import subplots

    fig, axes = subplots(1, 3, figsize=(15, 4.2))
    panels = (("total_execution_time_s", "total execution time (s)"),
              ("mean_completion_time_s", "mean job completion time (s)"),
              ("jobs_accepted", "jobs run (all requests served)"))
    for ax, (col, label) in zip(axes, panels, strict=True):
        for method, part in summary.groupby("method", sort=False):
            ax.plot(part["jobs"], part[col], marker="o", label=method)
        ax.set_xlabel("number of jobs J")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    reps = int(summary["repetitions"].max())
    fig.suptitle(f"Paper 000 Fig. 5 setting: 10-qubit depth-500 jobs, 30 QPUs, "
                 f"mean of {reps} seeded repetitions")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
