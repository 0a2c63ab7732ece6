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

from qdcopt.highs import SolveInfo
from qdcopt.service.interval import IntervalProblem, IntervalSchedule


def edf_starts(problem: IntervalProblem) -> np.ndarray:
    """Start slot per job (``−1`` for the jobs EDF drops)."""
    n = problem.n_jobs
    starts = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return starts
    release = np.maximum(problem.job_release, problem.demand_start[problem.job_demand])
    release = np.maximum(release, 0).tolist()
    deadline = np.minimum(problem.job_deadline, problem.n_slots).tolist()
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


def edf(problem: IntervalProblem, **_options: object) -> tuple[IntervalSchedule, SolveInfo]:
    """Schedule one interval by earliest deadline first.

    Returns
    -------
    (IntervalSchedule, SolveInfo)
        The schedule and the method's claim (demands on track).
    """
    start = time.perf_counter()
    schedule = IntervalSchedule.from_starts(problem, edf_starts(problem), "edf")
    on_track = int(schedule.on_track().sum())
    return schedule, SolveInfo(method="edf", status="heuristic", objective=float(on_track),
                               time_s=time.perf_counter() - start,
                               extra={"scheduled": len(schedule.job), "jobs": problem.n_jobs})
