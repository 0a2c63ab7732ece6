"""The optimal schedule of one interval: a time-indexed MILP solved by HiGHS.

Sets: jobs ``j`` (PGAs) of demands ``τ``; for each job its feasible starts
``s ∈ [r_j, d_j − E_j]`` (release, deadline, duration in slots; never before the
demand's admission); resources ``ρ`` with capacity ``C_ρ``; slots ``t``.

Variables: ``x[j, s] ∈ {0, 1}`` — job ``j`` starts at slot ``s``; ``y[τ] ∈ {0, 1}`` —
demand ``τ`` is on track.

Constraints:

* each job starts at most once: ``Σ_s x[j, s] ≤ 1``;
* no resource over capacity (no double booking): for every resource ``ρ`` and slot
  ``t``, ``Σ_{j uses ρ} u_{jρ} Σ_{s ∈ (t − E_j, t]} x[j, s] ≤ C_ρ``;
* a demand is on track only with its minimum of PGAs:
  ``Σ_{j ∈ τ} Σ_s x[j, s] ≥ m_τ · y[τ]``.

Objective: maximise ``Σ_τ y[τ] + ε Σ_{j,s} x[j, s]`` with ``ε = 1 / (n_jobs + 1)``, so
PGAs scheduled only break ties between schedules with as many demands on track.  The
EDF schedule is handed to HiGHS as its start; the dual bound on ``Σ y`` reported is
``⌊bound⌋`` (the tie-break term is below 1).  The solve goes through
:func:`qdcopt.solvers.highs.run_mip`: started from EDF, HiGHS can report a better
objective (status optimal) while returning the start itself, and that run is then
discarded and the model solved without the start.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from qdcopt.service.heuristics.edf import edf_starts
from qdcopt.service.interval import IntervalProblem, IntervalSchedule
from qdcopt.solvers.highs import (
    SolveInfo,
    SolverOptions,
    Status,
    configured_highs,
    highs_model,
    run_mip,
)

PRESOLVE_BELOW = 50_000
"""PGAs from which HiGHS runs without presolve by default."""


def _columns(problem: IntervalProblem) -> tuple[np.ndarray, np.ndarray]:
    """Job and start slot of every ``x`` column."""
    release = np.maximum(np.maximum(problem.job_release,
                                    problem.demand_start[problem.job_demand]), 0)
    last = np.minimum(problem.job_deadline, problem.n_slots) - problem.job_duration
    width = np.maximum(last - release + 1, 0)
    job = np.repeat(np.arange(problem.n_jobs), width)
    offs = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    return job, release[job] + offs


def build(problem: IntervalProblem) -> dict[str, Any]:
    """The model as arrays (column bounds, costs, CSC matrix, row bounds)."""
    job, start = _columns(problem)
    n_x = len(job)
    n_dem = problem.n_demands
    eps = 1.0 / (problem.n_jobs + 1)
    rows_i: list[np.ndarray] = []
    rows_j: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lb: list[np.ndarray] = []
    ub: list[np.ndarray] = []
    n_rows = 0
    # each job at most once
    rows_i.append(job.astype(np.int64))
    rows_j.append(np.arange(n_x))
    vals.append(np.ones(n_x))
    lb.append(np.full(problem.n_jobs, -np.inf))
    ub.append(np.ones(problem.n_jobs))
    n_rows += problem.n_jobs
    # resource capacity per (resource, slot) touched by some column
    dem = problem.job_demand[job]
    dur = problem.job_duration[job]
    n_res = len(problem.resource_names)
    keys, cols, coef = [], [], []
    for r_pos in range(max((len(x) for x in problem.demand_resources), default=0)):
        has = np.array([len(x) > r_pos for x in problem.demand_resources])
        res_of = np.array([x[r_pos] if len(x) > r_pos else -1
                           for x in problem.demand_resources])
        use_of = np.array([u[r_pos] if len(u) > r_pos else 0 for u in problem.demand_use])
        sel = np.flatnonzero(has[dem]) if n_x else np.zeros(0, dtype=np.int64)
        reps = dur[sel]
        c = np.repeat(sel, reps)
        t = start[c] + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
        keys.append(res_of[dem[c]].astype(np.int64) * (problem.n_slots + 1) + t)
        cols.append(c)
        coef.append(use_of[dem[c]].astype(float))
    if keys:
        key = np.concatenate(keys)
        uniq, row = np.unique(key, return_inverse=True)
        rows_i.append(n_rows + row)
        rows_j.append(np.concatenate(cols))
        vals.append(np.concatenate(coef))
        lb.append(np.full(len(uniq), -np.inf))
        ub.append(problem.capacity[uniq // (problem.n_slots + 1)].astype(float))
        n_rows += len(uniq)
        del n_res
    # on track: Σ x − m y ≥ 0
    rows_i.append(n_rows + dem.astype(np.int64))
    rows_j.append(np.arange(n_x))
    vals.append(np.ones(n_x))
    rows_i.append(n_rows + np.arange(n_dem))
    rows_j.append(n_x + np.arange(n_dem))
    vals.append(-problem.min_pgas.astype(float))
    lb.append(np.zeros(n_dem))
    ub.append(np.full(n_dem, np.inf))
    n_rows += n_dem
    n_cols = n_x + n_dem
    import scipy.sparse as sp

    mat = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows_i),
                                                np.concatenate(rows_j))),
                        shape=(n_rows, n_cols))
    mat.sum_duplicates()
    return {"job": job, "start": start, "n_x": n_x, "n_cols": n_cols, "n_rows": n_rows,
            "cost": np.r_[np.full(n_x, eps), np.ones(n_dem)],
            "col_lb": np.zeros(n_cols), "col_ub": np.ones(n_cols),
            "row_lb": np.concatenate(lb), "row_ub": np.concatenate(ub), "matrix": mat}


def _warm_start(model: dict[str, Any], problem: IntervalProblem,
                starts: np.ndarray) -> np.ndarray:
    """Column values of a schedule given as a start per job."""
    x = np.zeros(model["n_cols"])
    hit = starts[model["job"]] == model["start"]
    x[: model["n_x"]][hit] = 1.0
    per = np.bincount(problem.job_demand[starts >= 0], minlength=problem.n_demands)
    x[model["n_x"]:] = (per >= problem.min_pgas).astype(float)
    return x


def milp(problem: IntervalProblem, *, time_limit: float | None = 60.0, threads: int = 1,
         seed: int = 0, mip_gap: float = 1e-6, verbose: bool = False,
         warm_start: bool = True, presolve: bool | None = None,
         ) -> tuple[IntervalSchedule, SolveInfo]:
    """Schedule one interval optimally (see the module text).

    Returns the best schedule found and a :class:`SolveInfo` whose ``objective`` is the
    number of demands on track and ``bound`` the proven upper bound on it.  If HiGHS
    stops without a better schedule, the EDF start is returned.  ``presolve``: HiGHS
    presolve on or off (``None``: on below :data:`PRESOLVE_BELOW` PGAs).
    """

    t0 = time.perf_counter()
    edf = edf_starts(problem)
    model = build(problem)
    opts = SolverOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed,
                         verbose=verbose)
    h = configured_highs(opts)
    if presolve is None:
        # large MIPs can sit in a set-up step of presolve that ignores the time limit
        presolve = problem.n_jobs < PRESOLVE_BELOW
    h.setOptionValue("presolve", "on" if presolve else "off")
    mat = model["matrix"]
    h.passModel(highs_model(model["cost"], model["col_lb"], model["col_ub"], model["row_lb"],
                            model["row_ub"], mat.indptr, mat.indices, mat.data, maximise=True,
                            integer=np.ones(model["n_cols"], dtype=bool)))
    start = _warm_start(model, problem, edf) if warm_start else None
    # some set-up steps of the MIP solver do not look at the clock: run_mip's watchdog
    run = run_mip(h, model["cost"], start=start, time_limit=time_limit)
    starts = edf.copy()
    best = float((np.bincount(problem.job_demand[edf >= 0], minlength=problem.n_demands)
                  >= problem.min_pgas).sum())
    if run.x is not None and model["n_cols"]:
        chosen = np.flatnonzero(run.x[: model["n_x"]] > 0.5)
        cand = np.full(problem.n_jobs, -1, dtype=np.int64)
        cand[model["job"][chosen]] = model["start"][chosen]
        per = np.bincount(problem.job_demand[cand >= 0], minlength=problem.n_demands)
        value = float((per >= problem.min_pgas).sum())
        if value > best or (value == best and (cand >= 0).sum() > (starts >= 0).sum()):
            starts, best = cand, value
    bound = run.bound if model["n_cols"] else 0.0
    bound = math.floor(bound + 1e-6) if math.isfinite(bound) else math.nan
    status = str(run.status)
    if model["n_cols"] == 0:
        status, bound = Status.OPTIMAL, best
    schedule = IntervalSchedule.from_starts(problem, starts, "milp")
    return schedule, SolveInfo(
        method="milp", status=status, objective=best, bound=min(bound, problem.n_demands),
        time_s=time.perf_counter() - t0,
        extra={"scheduled": len(schedule.job), "jobs": problem.n_jobs,
               "columns": model["n_cols"], "rows": model["n_rows"],
               "nodes": run.nodes, "start_rejected": run.start_rejected})
