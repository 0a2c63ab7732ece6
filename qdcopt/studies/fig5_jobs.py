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
full run takes about four hours; parts can run side by side (``repetitions=``) and be
joined with :func:`join`, and a run cut off keeps the rows of every finished J in
``fig5_jobs.partial.csv``.  The CSV's ``repetitions`` column says how many repetitions
a table holds.  ``quick=True`` runs J = 2, 3 on depth-20 circuits, once.

The ``bound_requests`` column is the MILP's bound over its candidate set (placements and
starts it was offered), not a bound over every job-level plan.

Outputs: ``fig5_jobs.csv`` (one row per J, method and repetition),
``fig5_jobs_summary.csv`` (means) and ``fig5_jobs.png`` in the output folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qdcopt.datacenter.jobs.buffers import random_buffer
from qdcopt.datacenter.jobs.pipeline import pipeline_parallel, pipeline_retry, pipeline_sequential
from qdcopt.datacenter.jobs.selection import select_milp
from qdcopt.datacenter.validate import validate

REPETITIONS = 100
"""Seeded repetitions per point in the full run (as in the paper)."""

JOBS = tuple(range(2, 31, 2))
"""Numbers of jobs of the full run."""

METHODS = {
    "sequential": pipeline_sequential,
    "parallel": pipeline_parallel,
    "parallel-retry": pipeline_retry,
    "select-milp": select_milp,
}


def run(out_dir: Path, *, seed: int = 0, quick: bool = False,
        repetitions: range | None = None) -> list[Path]:
    """Regenerate ``fig5_jobs.csv``, ``fig5_jobs_summary.csv`` and ``fig5_jobs.png``.

    Parameters
    ----------
    out_dir
        Output folder (created if missing).
    seed
        Base seed; repetition ``r`` uses seed ``seed * 1000 + r``.
    quick
        A seconds-long version for tests.
    repetitions
        Which repetitions to run (default all :data:`REPETITIONS`), so that parts can run
        in parallel and be joined with :func:`join`.

    Returns
    -------
    list[Path]
        The files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = (2, 3) if quick else JOBS
    reps = 1 if quick else REPETITIONS
    which = range(reps) if repetitions is None else repetitions
    depth = 20 if quick else 500
    rows = []
    for n_jobs in jobs:
        for rep in which:
            inst = random_buffer(n_jobs, qubits=10, depth=depth, n_qpus=30, data_qubits=5,
                                 comm_qubits=5, t_max="1 ms", seed=seed * 1000 + rep)
            for name, fn in METHODS.items():
                opts = {"time_limit": 30.0} if name == "select-milp" else {}
                plan, info = fn(inst, **opts)
                report = validate(inst, plan)
                m = report.metrics
                rows.append({
                    "jobs": n_jobs, "repetition": rep, "method": name,
                    "valid": report.ok, "jobs_accepted": m["jobs_accepted"],
                    "requests": m["requests"], "accepted_requests": int(report.objective),
                    "total_execution_time_s": m["job_makespan_s"],
                    "mean_completion_time_s": m["job_completion_mean_s"],
                    # select-milp's bound holds over its candidates only
                    "bound_requests": info.extra.get("bound_over_candidates", info.bound),
                    "time_s": round(info.time_s, 3),
                    "repetitions": reps, "depth": depth,
                })
        # keep what is done: a run cut off later still leaves the rows of every J so far
        pd.DataFrame(rows).to_csv(out_dir / "fig5_jobs.partial.csv", index=False)
    files = _write(pd.DataFrame(rows), out_dir)
    (out_dir / "fig5_jobs.partial.csv").unlink(missing_ok=True)
    return files


def join(parts: list[Path], out_dir: Path) -> list[Path]:
    """Join the ``fig5_jobs.csv`` files of partial runs into the study's files."""
    frame = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    frame = frame.sort_values(["jobs", "repetition"], kind="stable").reset_index(drop=True)
    return _write(frame, Path(out_dir))


def _write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    reps = frame["repetition"].nunique()
    frame = frame.assign(repetitions=reps)
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
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
    plt.close(fig)
