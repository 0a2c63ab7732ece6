"""Replay of an interval schedule: every rule it must keep, and the figures it earns.

Rules (stable codes):

* ``D1-UNKNOWN-JOB`` — a PGA names a job the interval does not have;
* ``D1-DUPLICATE`` — a job is scheduled more than once;
* ``D2-RESOURCE`` — at some slot a resource holds more units than its capacity (a
  communication qubit double-booked);
* ``D3-INTERVAL`` — a PGA starts before slot 0 or ends after the interval;
* ``D4-WINDOW`` — a PGA starts before its job's release or ends after its deadline;
* ``D5-ADMISSION`` — a PGA starts before its demand's admission;
* ``D6-DURATION`` — a PGA lasts other than its job's planned duration.

The objective is the number of demands on track (at least ``min_pgas`` PGAs); metrics
add the PGAs scheduled and the peak and mean utilisation of the resources.
"""

from __future__ import annotations

import numpy as np

from qdcopt.report import Report, Violation
from qdcopt.service.interval import IntervalProblem, IntervalSchedule


def validate_schedule(problem: IntervalProblem, plan: IntervalSchedule,
                      max_per_rule: int = 20) -> Report:
    """Check ``plan`` against ``problem`` (see the module text for the rules)."""
    p = problem  # the instance's interval, never the copy a plan carries
    out: list[Violation] = []
    counts: dict[str, int] = {}

    def bad(code: str, message: str, **event: object) -> None:
        counts[code] = counts.get(code, 0) + 1
        if counts[code] <= max_per_rule:
            out.append(Violation(code, message, dict(event)))

    job = np.asarray(plan.job, dtype=np.int64)
    start = np.asarray(plan.start, dtype=np.int64)
    dur = np.asarray(plan.duration, dtype=np.int64)
    known = (job >= 0) & (job < p.n_jobs)
    for i in np.flatnonzero(~known):
        bad("D1-UNKNOWN-JOB", f"PGA names unknown job {int(job[i])}", job=int(job[i]))
    job, start, dur = job[known], start[known], dur[known]
    seen = np.bincount(job, minlength=p.n_jobs)
    for j in np.flatnonzero(seen > 1):
        bad("D1-DUPLICATE", f"job {int(j)} scheduled {int(seen[j])} times", job=int(j))
    for i in np.flatnonzero(dur != p.job_duration[job]):
        bad("D6-DURATION", f"PGA of job {int(job[i])} lasts {int(dur[i])} slots, planned "
            f"{int(p.job_duration[job[i]])}", job=int(job[i]), duration=int(dur[i]))
    end = start + dur
    for i in np.flatnonzero((start < 0) | (end > p.n_slots)):
        bad("D3-INTERVAL", f"PGA of job {int(job[i])} occupies [{int(start[i])}, {int(end[i])})"
            f" outside the interval [0, {p.n_slots})", job=int(job[i]))
    dem = p.job_demand[job]
    for i in np.flatnonzero((start < p.job_release[job]) | (end > p.job_deadline[job])):
        bad("D4-WINDOW", f"PGA of job {int(job[i])} occupies [{int(start[i])}, {int(end[i])}) "
            f"outside its window [{int(p.job_release[job[i]])}, "
            f"{int(p.job_deadline[job[i]])})", job=int(job[i]))
    for i in np.flatnonzero(start < p.demand_start[dem]):
        bad("D5-ADMISSION", f"PGA of job {int(job[i])} starts at {int(start[i])} before its "
            f"demand {p.demand_ids[dem[i]]!r} is admitted at {int(p.demand_start[dem[i]])}",
            job=int(job[i]), demand=p.demand_ids[dem[i]])
    # resource occupancy: a difference array per resource over the slots touched, cut
    # one interval length either side (a PGA beyond is already D3, and a plan naming
    # slot 10⁹ must not allocate 10⁹ cells per resource)
    start = np.clip(start, -p.n_slots, 2 * p.n_slots)
    end = np.clip(end, -p.n_slots, 2 * p.n_slots)
    lo = int(min(start.min(initial=0), 0))
    hi = int(max(end.max(initial=0), p.n_slots))
    width = hi - lo + 1
    n_res = len(p.resource_names)
    delta = np.zeros((n_res, width), dtype=np.int64)
    for i in range(len(job)):
        d = dem[i]
        for r, u in zip(p.demand_resources[d], p.demand_use[d], strict=True):
            delta[r, start[i] - lo] += u
            delta[r, max(end[i], start[i]) - lo] -= u
    occupancy = np.cumsum(delta, axis=1)[:, :-1]
    over = occupancy > p.capacity[:, None]
    for r in np.flatnonzero(over.any(axis=1)):
        slot = int(np.flatnonzero(over[r])[0]) + lo
        bad("D2-RESOURCE", f"resource {p.resource_names[r]!r} holds "
            f"{int(occupancy[r, slot - lo])} units at slot {slot}, capacity "
            f"{int(p.capacity[r])}", resource=p.resource_names[r], slot=slot)
    per = np.bincount(dem, minlength=p.n_demands)
    on_track = int((per >= p.min_pgas).sum())
    inside = occupancy[:, -lo: -lo + p.n_slots] if p.n_slots else occupancy[:, :0]
    util = inside.sum(axis=1) / np.maximum(p.capacity * max(p.n_slots, 1), 1)
    metrics = {"on_track": on_track, "demands": p.n_demands, "scheduled": len(job),
               "jobs": p.n_jobs, "peak_utilisation": float(util.max(initial=0.0)),
               "mean_utilisation": float(util.mean()) if len(util) else 0.0}
    for code, n in counts.items():
        if n > max_per_rule:
            metrics[f"violations_{code}"] = n
    return Report(family="service", objective=float(on_track), violations=tuple(out),
                  metrics=metrics)
