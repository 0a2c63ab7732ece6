"""Admission control of jobs (paper 002, §4 and §5.1), as planning methods.

Jobs arrive in buffer order (first in, first out) and are admitted or refused one at a
time; the admitted set is then scheduled at event level and a job whose requests are
not all served is ejected, so the result is a valid job-level plan and the gap between
"admitted" and "served" (reported in ``extra``) measures how reliable the test is — the
question paper 002 raises.

``admit-utilisation``
    the paper's utilisation rule ``U_r = Σ_τ E_τ R_τ`` ≤ ``limit`` per resource.  The
    resource is the entanglement supply (every source's switch and EPR events) per time
    bucket of length ``L``; a job τ running in the bucket for ``E_τ`` ticks needs its
    requests there at rate ``R_τ``, each request occupying a source for one event period
    plus a one-line switch move, so ``E_τ R_τ`` is that busy time and ``U`` is its sum
    over jobs divided by ``L`` times the number of sources.  The QPUs are a resource as
    well: a job is placed (Phase B, earliest free QPUs) only where it has them alone.
``admit-lp``
    a polynomial feasibility test: the LP relaxation of the job-selection model
    (:mod:`qdcopt.datacenter.jobs.selection`) with ``Σ_c x_c = 1`` for every admitted job
    and the arriving one; the job is admitted when that LP is feasible.  The admitted
    jobs are then given, in order, the candidate with the largest LP value that is free
    on its QPUs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.jobs.candidates import JobDecision, job_candidates
from qdcopt.datacenter.jobs.pipeline import (
    allocate,
    handed_on,
    require_jobs,
    schedule_decisions,
)
from qdcopt.datacenter.jobs.selection import build_model
from qdcopt.datacenter.options import AdmitLpParams, AdmitUtilisationParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.solvers.arrays import solve_arrays
from qdcopt.solvers.highs import SolveInfo, SolverOptions, Status


def _busy_per_request(instance: DatacenterInstance) -> float:
    """Source time one request occupies: an event period plus a two-line move (mean over
    sources)."""
    return float(np.mean([s.period + s.t_double for s in instance.sources]))


def admit_utilisation(instance: DatacenterInstance, params: AdmitUtilisationParams,
                      scheduler_options: Mapping[str, Any],
                      ) -> tuple[DatacenterPlan, SolveInfo]:
    """Admit jobs first-come first-served under the utilisation rule of paper 002.

    Parameters
    ----------
    instance
        An instance with jobs.
    params
        The options (:class:`~qdcopt.datacenter.options.AdmitUtilisationParams`):
        ``limit``, the largest utilisation ``U_r`` of the entanglement supply in any
        bucket; ``bucket``, the bucket length (seconds or a string with a unit);
        ``scheduler``, the event-level scheduler of the admitted jobs, which also gets
        the common options.
    scheduler_options
        Options forwarded to the scheduler.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    from qdcopt.datacenter.jobs.candidates import job_eds
    from qdcopt.timebase import parse_duration

    started = time.perf_counter()
    require_jobs(instance)
    limit = params.limit
    length = parse_duration(params.bucket, allow_zero=False)
    busy = _busy_per_request(instance)
    supply = length * max(1, len(instance.sources))
    load: dict[int, float] = {}
    admitted: list[int] = []
    reasons: dict[str, str] = {}
    peak = 0.0
    for j, spec in enumerate(instance.job_specs):
        alloc = allocate(instance, [*admitted, j], "parallel", {})
        if j not in alloc:
            reasons[spec.id] = "too-large"
            continue
        qpus, start = alloc[j]
        t = job_eds(instance, j, qpus, start).t_need + start
        k, counts = np.unique(t // length, return_counts=True)
        new = {int(b): load.get(int(b), 0.0) + c * busy / supply
               for b, c in zip(k.tolist(), counts.tolist(), strict=True)}
        if new and max(new.values()) > limit:
            reasons[spec.id] = "admission"
            continue
        load.update(new)
        peak = max([peak, *new.values()])
        admitted.append(j)
    alloc = allocate(instance, admitted, "parallel", {})
    decisions = [JobDecision(s.id, True, *alloc[j], candidate="utilisation") if j in alloc
                 else JobDecision(s.id, False, (), 0, reason=reasons.get(s.id, "admission"))
                 for j, s in enumerate(instance.job_specs)]
    options = {**handed_on(params), **scheduler_options}
    plan, _, ejected = schedule_decisions(instance, decisions, params.scheduler,
                                          "admit-utilisation", options)
    return plan, SolveInfo(
        method="admit-utilisation", status=Status.HEURISTIC, objective=float(plan.n_accepted),
        time_s=time.perf_counter() - started,
        extra={"admitted": len(admitted), "jobs_accepted": int(plan.job_accepted.sum()),
               "ejected_after_admission": sorted(ejected), "peak_utilisation": peak,
               "limit": limit})


def admit_lp(instance: DatacenterInstance, params: AdmitLpParams,
             scheduler_options: Mapping[str, Any]) -> tuple[DatacenterPlan, SolveInfo]:
    """Admit jobs first-come first-served while the selection LP stays feasible.

    Parameters
    ----------
    instance
        An instance with jobs.
    params
        The options (:class:`~qdcopt.datacenter.options.AdmitLpParams`):
        ``max_qpu_sets``, ``max_delays``, ``delay_step`` and ``buckets``, the candidates
        and the model (as for ``select-milp``); ``threads`` and ``time_limit``, the HiGHS
        options of each LP; ``scheduler``, the event-level scheduler of the admitted
        jobs, which also gets the other common options (``seed``, ``mip_gap``,
        ``verbose``).
    scheduler_options
        Options forwarded to the scheduler.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    started = time.perf_counter()
    require_jobs(instance)
    cands = job_candidates(instance, max_qpu_sets=params.max_qpu_sets,
                           max_delays=params.max_delays, delay_step=params.delay_step)
    sel = build_model(instance, cands, buckets=params.buckets, relax=True)
    spec = sel.spec
    spec.col_cost[:] = [0.0] * spec.n_cols  # a pure feasibility question
    spec.row_block("admitted")
    pos: dict[str, list[int]] = {}
    for i, c in enumerate(sel.candidates):
        pos.setdefault(c.job, []).append(i)
    reasons = dict(cands.reasons)
    admitted: list[str] = []
    values: dict[int, float] = {}
    opts = SolverOptions(time_limit=params.time_limit, threads=params.threads)
    lps = 0
    for job in instance.job_specs:
        idx = [i for i in pos.get(job.id, []) if sel.usable[i]]
        if not idx:
            reasons.setdefault(job.id, "admission")
            continue
        spec.add_row(idx, [1.0] * len(idx), 1.0, 1.0)
        res = solve_arrays(spec, opts, relax=True)
        lps += 1
        if res.status == Status.OPTIMAL and res.x is not None:
            admitted.append(job.id)
            values = {i: float(v) for i, v in enumerate(res.x.tolist())}
        else:
            spec.drop_last_row()
            reasons[job.id] = "admission"
    # round: admitted jobs in order take their best free candidate
    spans: dict[int, list[tuple[int, int]]] = {}
    picked: dict[str, Any] = {}
    for job in admitted:
        for i in sorted(pos[job], key=lambda i: (-values.get(i, 0.0), i)):
            c = sel.candidates[i]
            if not sel.usable[i]:
                continue
            if all(e <= c.start or c.end <= s for q in c.qpus for s, e in spans.get(q, [])):
                picked[job] = c
                for q in c.qpus:
                    spans.setdefault(q, []).append((c.start, c.end))
                break
    decisions = []
    for js in instance.job_specs:
        c = picked.get(js.id)
        decisions.append(JobDecision(js.id, True, c.qpus, c.start, c.name) if c is not None
                         else JobDecision(js.id, False, (), 0,
                                          reason=reasons.get(js.id, "not-selected")))
    options = {**handed_on(params), **scheduler_options}
    plan, _, ejected = schedule_decisions(instance, decisions, params.scheduler, "admit-lp",
                                          options)
    return plan, SolveInfo(
        method="admit-lp", status=Status.HEURISTIC, objective=float(plan.n_accepted),
        time_s=time.perf_counter() - started,
        extra={"admitted": len(admitted), "placed": len(picked),
               "jobs_accepted": int(plan.job_accepted.sum()),
               "ejected_after_admission": sorted(ejected), "lp_solves": lps})
