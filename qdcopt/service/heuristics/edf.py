"""Earliest deadline first on one interval (paper 002 §5.2), non-preemptive.

Event-driven list scheduling: at each event slot (a release or the end of a running
PGA) the ready jobs are taken in order of deadline and each starts at once if every
resource of its path has the units free; a job that can no longer end by its deadline
is dropped.  Each job enters and leaves the ready heap once per event slot at which it
waits, so the work is ``O(n log n)`` when jobs do not pile up (utilisation ≤ 1).

On one resource of capacity 1 with PGAs of one slot, integer releases and deadlines,
this is the classical unit-job EDF, which meets every deadline whenever any schedule
does — in particular whenever, for periodic demands with implicit deadlines, the
utilisation ``Σ E_τ R_τ`` is at most 1 (a property test holds it to that).
"""

from __future__ import annotations

import heapq
import time

import numpy as np

from qdcopt.service.interval import IntervalProblem, IntervalSchedule
from qdcopt.solvers.highs import SolveInfo, Status

COMPILED_FROM = 5000
"""Jobs from which the compiled loop is used by default (below, its start-up cost
dominates)."""


def edf_starts(problem: IntervalProblem, compiled: bool | None = None) -> np.ndarray:
    """Start slot per job (``−1`` for the jobs EDF drops).

    Parameters
    ----------
    problem
        The interval.
    compiled
        Run the numba loop (:mod:`qdcopt.service.heuristics.edf_kernel`; same schedule); ``None``:
        from :data:`COMPILED_FROM` jobs.
    """
    n = problem.n_jobs
    starts = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return starts
    release_arr = np.maximum(np.maximum(problem.job_release,
                                        problem.demand_start[problem.job_demand]), 0)
    deadline_arr = np.minimum(problem.job_deadline, problem.n_slots)
    span = int(max(release_arr.max(), deadline_arr.max(), 0)) + 1
    fits_int64 = (span * span + span) * n < 2**62 and int(
        (release_arr + problem.job_duration).max()) * n < 2**62
    if compiled is None:
        compiled = n >= COMPILED_FROM
    if compiled and fits_int64:
        from qdcopt.service.heuristics.edf_kernel import edf_kernel

        lens = np.array([len(r) for r in problem.demand_resources], dtype=np.int64)
        ptr = np.r_[0, np.cumsum(lens)].astype(np.int64)
        idx = np.array([r for rs in problem.demand_resources for r in rs], dtype=np.int64)
        use = np.array([u for us in problem.demand_use for u in us], dtype=np.int64)
        order = np.argsort(release_arr, kind="stable").astype(np.int64)
        return edf_kernel(release_arr.astype(np.int64), deadline_arr.astype(np.int64),
                          problem.job_duration.astype(np.int64),
                          problem.job_demand.astype(np.int64), ptr, idx, use,
                          problem.capacity.astype(np.int64), order, span)
    release = release_arr.tolist()
    deadline = deadline_arr.tolist()
    duration = problem.job_duration.tolist()
    demand = problem.job_demand.tolist()
    res = [list(zip(r, u, strict=True)) for r, u in zip(problem.demand_resources,
                                                        problem.demand_use, strict=True)]
    free = problem.capacity.astype(np.int64).tolist()
    order = sorted(range(n), key=release.__getitem__)
    ready: list[tuple[int, int, int]] = []
    running: list[tuple[int, int]] = []  # (end slot, job)
    out = [-1] * n
    i = 0
    t = release[order[0]]
    while True:
        while running and running[0][0] <= t:
            _, j = heapq.heappop(running)
            for r, u in res[demand[j]]:
                free[r] += u
        while i < n and release[order[i]] <= t:
            j = order[i]
            heapq.heappush(ready, (deadline[j], release[j], j))
            i += 1
        blocked = []
        while ready:
            item = heapq.heappop(ready)
            j = item[2]
            if t + duration[j] > deadline[j]:
                continue  # can no longer end in time
            path = res[demand[j]]
            if all(free[r] >= u for r, u in path):
                for r, u in path:
                    free[r] -= u
                out[j] = t
                heapq.heappush(running, (t + duration[j], j))
            else:
                blocked.append(item)
        for item in blocked:
            heapq.heappush(ready, item)
        nxt = []
        if i < n:
            nxt.append(release[order[i]])
        if running:
            nxt.append(running[0][0])
        if not nxt:
            break
        t = min(nxt)
    starts[:] = out
    return starts


def edf(problem: IntervalProblem, *, compiled: bool | None = None,
        ) -> tuple[IntervalSchedule, SolveInfo]:
    """Schedule one interval by earliest deadline first.

    Parameters
    ----------
    problem
        The interval.
    compiled
        Use the compiled loop (see :func:`edf_starts`).

    Returns
    -------
    (IntervalSchedule, SolveInfo)
        The schedule and the method's claim (demands on track).
    """
    start = time.perf_counter()
    schedule = IntervalSchedule.from_starts(problem, edf_starts(problem, compiled), "edf")
    on_track = int(schedule.on_track().sum())
    return schedule, SolveInfo(method="edf", status=Status.HEURISTIC, objective=float(on_track),
                               time_s=time.perf_counter() - start,
                               extra={"scheduled": len(schedule.job), "jobs": problem.n_jobs})
