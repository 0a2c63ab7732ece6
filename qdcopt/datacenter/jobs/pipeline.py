"""The job pipeline of paper 000 (§III, Phases A–H) as planning methods.

Job buffer (A) → QPU allocation and remapping (B) → request extraction (C) → scheduling
(D, with the greedy, EDF or scoring scheduler, or any scheduler named in the family's
method table) → Phase E retries (``pipeline-retry``: a failed request and the rest of its
job are delayed by δ and scheduled again — inside the greedy's loop when the scheduler is
the greedy, around the scheduler otherwise, see :func:`retry_schedule`) → a job with an
unserved request is ejected (F–G) and the remaining jobs are allocated and scheduled
again, until every running job is fully served (or ``max_rounds`` is reached; the jobs
still failing are then ejected as they stand, which keeps the plan valid) → the switch
plan and the runtime estimate (H).

Allocation takes jobs in buffer order (instance order):

``sequential``
    one job at a time on the whole datacenter: a job starts when the previous one ends
    (and not before its arrival), on the fewest QPUs that hold it;
``parallel``
    each job starts at the earliest tick (not before its arrival) at which QPUs free of
    earlier jobs can hold it (:func:`~qdcopt.datacenter.demand.placement.allocate_qpus`).

Delays from Phase E lengthen a job; when a delayed job would then overlap the next job
on one of its QPUs, its runtime is lengthened by the delay and the jobs are allocated
again (the next round).  Every plan is a job-level plan (see
:mod:`qdcopt.datacenter.demand.decisions`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import fields
from itertools import pairwise
from typing import Any

import numpy as np

from qdcopt.datacenter.demand.decisions import JobDecision, derive, job_eds, job_qubits, job_shift
from qdcopt.datacenter.demand.jobs import fits_datacenter
from qdcopt.datacenter.demand.placement import earliest_allocation
from qdcopt.datacenter.instance import DatacenterInstance, Requests
from qdcopt.datacenter.jobs.candidates import enforce_all_or_nothing, serving_timeline, with_jobs
from qdcopt.datacenter.options import PipelineParams, PipelineRetryParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.schedulers import SCHEDULERS as METHODS
from qdcopt.datacenter.validate import effective_need, running_sum_by_group
from qdcopt.errors import InstanceError
from qdcopt.params import MethodParams, MethodSpec
from qdcopt.solvers.highs import SolveInfo, Status
from qdcopt.timebase import parse_duration

MODES = ("sequential", "parallel")


def handed_on(params: MethodParams) -> dict[str, Any]:
    """The common options (those of :class:`~qdcopt.params.MethodParams`) a job-level method
    does not use itself (not in its ``USES``), with their values: it hands them on to its
    scheduler."""
    return {f.name: getattr(params, f.name) for f in fields(MethodParams)
            if f.name not in params.USES}


def scheduler_by_name(name: str) -> MethodSpec:
    """The scheduling method registered under ``name`` (``greedy``, ``edf``, ``scoring``,
    ``greedy-retry``, or any other method of the family, e.g. a switch MILP), called
    ``scheduler_by_name(name)(instance, **options)``."""
    if name not in METHODS:
        raise ValueError(f"unknown scheduler {name!r} (known: {', '.join(sorted(METHODS))})")
    return METHODS[name]


def require_jobs(instance: DatacenterInstance) -> None:
    """Raise when the instance keeps no job definitions."""
    if not instance.job_specs:
        raise InstanceError(instance.file, "jobs", "job-level methods need an instance with "
                            "[[jobs]] (its requests were given directly)")


def subset(requests: Requests, mask: np.ndarray) -> Requests:
    """The requests where ``mask`` holds."""
    return Requests.from_columns(requests.id[mask], requests.job[mask], requests.a[mask],
                                 requests.b[mask], requests.t_need[mask])


def allocate(instance: DatacenterInstance, active: list[int], mode: str,
             extra: dict[str, int]) -> dict[int, tuple[tuple[int, ...], int]]:
    """Phase B for the jobs ``active`` (indices, buffer order): job → (QPUs, start).

    ``extra`` lengthens a job's runtime (learnt Phase-E delays).  Jobs no QPUs can hold
    are left out.
    """
    caps = [q.data_qubits for q in instance.qpus]
    free_at = [0] * len(caps)
    out: dict[int, tuple[tuple[int, ...], int]] = {}
    for j in active:
        spec = instance.job_specs[j]
        n = job_qubits(instance, j)
        if not fits_datacenter(spec, n, caps):
            continue
        # sequential: a job releases every QPU at its end, so all are free at once
        found = earliest_allocation(n, caps, free_at, spec.start, qpus=spec.qpus,
                                    n_qpus=spec.n_qpus)
        if found is None:  # pragma: no cover - fits_datacenter said some set holds it
            continue
        chosen, start = found
        qpus = tuple(sorted(chosen))
        end = start + job_eds(instance, j, qpus, start).runtime + extra.get(spec.id, 0)
        if mode == "sequential":
            free_at = [max(f, end) for f in free_at]
        else:
            for q in qpus:
                free_at[q] = end
        out[j] = (qpus, start)
    return out


def schedule_decisions(instance: DatacenterInstance, decisions: list[JobDecision],
                       scheduler: str, method: str, options: dict[str, Any],
                       retry: tuple[int, int] | None = None,
                       ) -> tuple[DatacenterPlan, DatacenterInstance, list[str]]:
    """Schedule the accepted jobs of ``decisions`` and eject those not fully served.

    ``retry`` = (delay in ticks, attempts per request) runs the scheduler under Phase E
    (:func:`retry_schedule`).

    Returns
    -------
    (DatacenterPlan, DatacenterInstance, list[str])
        The job-level plan (rejected jobs' requests rejected, ejected jobs marked), the
        derived instance it is checked against, and the ejected job ids (first failure
        first).
    """
    derived = derive(instance, decisions).instance
    accepted = {d.job for d in decisions if d.accepted}
    req = derived.requests
    mask = np.array([j in accepted for j in req.job.tolist()], dtype=bool)
    sub = DatacenterInstance(name=derived.name, qpus=derived.qpus, sources=derived.sources,
                             t_max=derived.t_max, requests=subset(req, mask),
                             min_fidelity=derived.min_fidelity, file=derived.file,
                             transit_moves=derived.transit_moves)
    if retry is None:
        plan, _ = scheduler_by_name(scheduler)(sub, **options)
    else:
        plan = retry_schedule(sub, scheduler, options, *retry)
    plan, ejected = enforce_all_or_nothing(plan, sub)
    reason = {d.job: (d.reason or "not-selected") for d in decisions if not d.accepted}
    out_rej = [(r, "job-ejected" if reason.get(j) == "job-ejected" else "not-selected")
               for r, j in zip(req.id[~mask].tolist(), req.job[~mask].tolist(), strict=True)]
    final = [JobDecision(d.job, d.accepted and d.job not in ejected, d.qpus, d.start,
                         d.candidate, "job-ejected" if d.job in ejected else d.reason)
             for d in decisions]
    rc = plan.reconfigurations
    plan = DatacenterPlan.build(
        method, initial=plan.initial,
        reconf=rc.columns(),
        deliveries=(plan.delivery_request, plan.delivery_source, plan.delivery_event),
        rejected=(plan.rejected_request.tolist() + [r for r, _ in out_rej],
                  plan.rejected_reason.tolist() + [w for _, w in out_rej]),
        shifts=(plan.shift_job, plan.shift_request, plan.shift_delay))
    return with_jobs(plan, instance, method, final), derived, ejected


def retry_schedule(instance: DatacenterInstance, scheduler: str, options: dict[str, Any],
                   step: int, max_attempts: int) -> DatacenterPlan:
    """Phase E around any scheduler: schedule, then delay each job's first rejected
    request and the rest of its job by ``step`` ticks and schedule again, until no job has
    a rejected request with attempts left (``max_attempts`` per request).

    The scheduler sees the delayed need times; the plan records the delays as job shifts,
    which the validator replays to the same need times.  Each attempt is a full run of
    the scheduler (all jobs' first failures are delayed together), so this costs up to
    ``max_attempts`` runs per failing request of a job.
    """
    fn = scheduler_by_name(scheduler)
    req = instance.requests
    pos = req.index()
    _, job_code = np.unique(req.job.astype(str), return_inverse=True)
    # job order of the validator's shifts: need time, then position
    order = np.lexsort((np.arange(len(req)), req.t_need, job_code))
    rank = np.empty(len(req), dtype=np.int64)
    rank[order] = np.arange(len(req))
    add = np.zeros(len(req), dtype=np.int64)
    attempts = np.zeros(len(req), dtype=np.int64)
    while True:
        need = req.t_need.copy()
        need[order] += running_sum_by_group(add[order], job_code[order])
        shifted = DatacenterInstance(
            name=instance.name, qpus=instance.qpus, sources=instance.sources,
            t_max=instance.t_max, min_fidelity=instance.min_fidelity, file=instance.file,
            requests=Requests.from_columns(req.id, req.job, req.a, req.b, need))
        plan, _ = fn(shifted, **options)
        first: dict[str, int] = {}
        for rid in plan.rejected_request.tolist():
            i = pos[rid]
            j = req.job[i]
            if j not in first or rank[i] < rank[first[j]]:
                first[j] = i
        grow = [i for i in first.values() if attempts[i] < max_attempts]
        if not grow:
            break
        for i in grow:
            attempts[i] += 1
            add[i] += step
    delayed = np.flatnonzero(add)
    rc = plan.reconfigurations
    return DatacenterPlan.build(
        plan.method, initial=plan.initial, reconf=rc.columns(),
        deliveries=(plan.delivery_request, plan.delivery_source, plan.delivery_event),
        rejected=(plan.rejected_request.tolist(), plan.rejected_reason.tolist()),
        shifts=(req.job[delayed], req.id[delayed], add[delayed]))


def overlaps(instance: DatacenterInstance, plan: DatacenterPlan, derived: DatacenterInstance,
             decisions: list[JobDecision]) -> dict[str, int]:
    """Accepted jobs whose Phase-E delays make them overlap a later job on a QPU: job id →
    its total delay."""
    shift = job_shift(derived, effective_need(derived, plan))
    return {earlier: shift.get(earlier, 0)
            for earlier, _ in _overlapping(instance, decisions, shift)}


def _overlapping(instance: DatacenterInstance, decisions: list[JobDecision],
                 shift: dict[str, int]) -> list[tuple[str, str]]:
    """(earlier, later) accepted jobs whose busy spans (start to end of runtime plus their
    Phase-E delay) overlap on some QPU."""
    index = {s.id: i for i, s in enumerate(instance.job_specs)}
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for d in decisions:
        if d.accepted and d.qpus:
            end = d.start + job_eds(instance, index[d.job], d.qpus, d.start).runtime
            for q in d.qpus:
                spans.setdefault(q, []).append((d.start, end + shift.get(d.job, 0), d.job))
    out = []
    for items in spans.values():
        items.sort()
        for (_, e0, j0), (s1, _, j1) in pairwise(items):
            if s1 < e0:
                out.append((j0, j1))
    return out


def eject(plan: DatacenterPlan, instance: DatacenterInstance, derived: DatacenterInstance,
          decisions: list[JobDecision], jobs: set[str], method: str,
          ) -> tuple[DatacenterPlan, list[JobDecision]]:
    """Eject ``jobs`` from a job-level plan (deliveries → rejections, shifts dropped, the
    switch timeline rebuilt for the deliveries that stay)."""
    req = derived.requests
    job_of = dict(zip(req.id.tolist(), req.job.tolist(), strict=True))
    keep = np.array([job_of[r] not in jobs for r in plan.delivery_request.tolist()], dtype=bool)
    sh = np.array([j not in jobs for j in plan.shift_job.tolist()], dtype=bool)
    rc = plan.reconfigurations
    new = DatacenterPlan.build(
        method, initial=plan.initial,
        reconf=rc.columns(),
        deliveries=(plan.delivery_request[keep], plan.delivery_source[keep],
                    plan.delivery_event[keep]),
        rejected=(plan.rejected_request.tolist() + plan.delivery_request[~keep].tolist(),
                  plan.rejected_reason.tolist() + ["job-ejected"] * int((~keep).sum())),
        shifts=(plan.shift_job[sh], plan.shift_request[sh], plan.shift_delay[sh]))
    final = [JobDecision(d.job, d.accepted and d.job not in jobs, d.qpus, d.start, d.candidate,
                         "job-ejected" if d.job in jobs else d.reason) for d in decisions]
    return with_jobs(serving_timeline(new, derived), instance, method, final), final


def run_pipeline(instance: DatacenterInstance, *, mode: str = "parallel",
                 scheduler: str = "greedy", retries: bool = False, delta: object = "1 ns",
                 max_attempts: int = 10, max_rounds: int | None = None,
                 eject: str = "first", method: str | None = None, **options: Any,
                 ) -> tuple[DatacenterPlan, SolveInfo]:
    """Run the paper-000 job pipeline.

    Parameters
    ----------
    instance
        An instance with jobs (a job buffer).
    mode
        ``"sequential"`` or ``"parallel"`` allocation.
    scheduler
        Name of the scheduling method (``greedy``, ``edf``, ``scoring``...).
    retries
        Phase E: delay a failed request and the rest of its job by ``delta`` and try
        again, ``max_attempts`` times per request — the greedy's own retries when the
        scheduler is ``greedy`` or ``greedy-retry``, :func:`retry_schedule` around any
        other scheduler.
    max_rounds
        Allocate–schedule–eject rounds (default: number of jobs + 1).
    eject
        ``"first"``: remove only the job whose request failed first, then allocate and
        schedule the others again (paper 000, Phases F–G); ``"all"``: remove every job
        with a failed request at once (fewer rounds).
    method
        Name put on the plan.
    options
        Passed to the scheduler.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
        A job-level plan; the objective is the number of accepted requests, and
        ``extra`` holds the accepted jobs and rounds.
    """
    started = time.perf_counter()
    require_jobs(instance)
    if eject not in ("first", "all"):
        raise ValueError(f"eject must be 'first' or 'all', got {eject!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    name = method or f"pipeline-{mode}" + ("-retry" if retries else "")
    sched_opts = dict(options)
    retry: tuple[int, int] | None = None
    if retries:
        if scheduler == "greedy":
            sched_opts.update(retries=True, delta=delta, max_attempts=max_attempts)
        elif scheduler == "greedy-retry":
            sched_opts.update(delta=delta, max_attempts=max_attempts)
        else:
            retry = (parse_duration(delta, allow_zero=False), max_attempts)
    specs = instance.job_specs
    caps = [q.data_qubits for q in instance.qpus]
    too_large = {j for j, s in enumerate(specs)
                 if not fits_datacenter(s, job_qubits(instance, j), caps)}
    active = [j for j in range(len(specs)) if j not in too_large]
    dropped: dict[int, str] = {j: "too-large" for j in too_large}
    extra: dict[str, int] = {}
    rounds = max_rounds if max_rounds is not None else len(specs) + 1
    plan = derived = decisions = None
    for r in range(max(1, rounds)):
        alloc = allocate(instance, active, mode, extra)
        decisions = [JobDecision(s.id, True, *alloc[j], candidate=f"{mode}")
                     if j in alloc else JobDecision(s.id, False, (), 0,
                                                    reason=dropped.get(j, "not-selected"))
                     for j, s in enumerate(specs)]
        plan, derived, ejected = schedule_decisions(instance, decisions, scheduler, name,
                                                    sched_opts, retry)
        decisions = _decisions_of(plan, decisions)
        late = overlaps(instance, plan, derived, decisions) if retries else {}
        if not ejected and not late:
            break
        if r == rounds - 1:
            break
        index = {s.id: i for i, s in enumerate(specs)}
        if eject == "first":
            ejected = ejected[:1]
        for job in ejected:
            dropped[index[job]] = "job-ejected"
        active = [j for j in active if specs[j].id not in ejected]
        for job, d in late.items():
            extra[job] = max(extra.get(job, 0), d) + 1
    assert plan is not None and derived is not None and decisions is not None
    if retries:  # last resort: eject later jobs that delayed jobs still run into
        late = overlaps(instance, plan, derived, decisions)
        while late:
            victims = _followers(instance, decisions, plan, derived)
            plan, decisions = eject(plan, instance, derived, decisions, victims, name)
            late = overlaps(instance, plan, derived, decisions)
    n_jobs = sum(1 for d in decisions if d.accepted)
    return plan, SolveInfo(method=name, status=Status.HEURISTIC, objective=float(plan.n_accepted),
                           time_s=time.perf_counter() - started,
                           extra={"jobs_accepted": n_jobs, "rounds": r + 1,
                                  "scheduler": scheduler})


def _decisions_of(plan: DatacenterPlan, before: list[JobDecision]) -> list[JobDecision]:
    acc = dict(zip(plan.job_id.tolist(), plan.job_accepted.tolist(), strict=True))
    why = dict(zip(plan.job_id.tolist(), plan.job_reason.tolist(), strict=True))
    return [JobDecision(d.job, bool(acc[d.job]), d.qpus, d.start, d.candidate,
                        "" if acc[d.job] else why[d.job]) for d in before]


def _followers(instance: DatacenterInstance, decisions: list[JobDecision],
               plan: DatacenterPlan, derived: DatacenterInstance) -> set[str]:
    """The later job of every overlapping pair (see :func:`overlaps`)."""
    shift = job_shift(derived, effective_need(derived, plan))
    return {later for _, later in _overlapping(instance, decisions, shift)}


def _pipeline(instance: DatacenterInstance, params: PipelineParams | PipelineRetryParams,
              mode: str, retries: bool, method: str, scheduler_options: Mapping[str, Any],
              ) -> tuple[DatacenterPlan, SolveInfo]:
    """:func:`run_pipeline` with the options of a pipeline method; the common options go
    to the scheduler with those forwarded to it (:func:`handed_on`)."""
    return run_pipeline(instance, mode=mode, scheduler=params.scheduler, retries=retries,
                        delta=params.delta, max_attempts=params.max_attempts,
                        max_rounds=params.max_rounds, eject=params.eject, method=method,
                        **handed_on(params), **scheduler_options)


def pipeline_sequential(instance: DatacenterInstance, params: PipelineParams,
                        scheduler_options: Mapping[str, Any],
                        ) -> tuple[DatacenterPlan, SolveInfo]:
    """Paper-000 pipeline, one job at a time on the whole datacenter (see :func:`run_pipeline`).

    Parameters
    ----------
    instance
        An instance with jobs.
    params
        The options (:class:`~qdcopt.datacenter.options.PipelineParams`).
    scheduler_options
        Options forwarded to the scheduler ``params.scheduler``.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    return _pipeline(instance, params, "sequential", params.retries, "pipeline-sequential",
                     scheduler_options)


def pipeline_parallel(instance: DatacenterInstance, params: PipelineParams,
                      scheduler_options: Mapping[str, Any],
                      ) -> tuple[DatacenterPlan, SolveInfo]:
    """Paper-000 pipeline, jobs in parallel on free QPUs (see :func:`run_pipeline`).

    Parameters
    ----------
    instance
        An instance with jobs.
    params
        The options (:class:`~qdcopt.datacenter.options.PipelineParams`).
    scheduler_options
        Options forwarded to the scheduler ``params.scheduler``.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    return _pipeline(instance, params, "parallel", params.retries, "pipeline-parallel",
                     scheduler_options)


def pipeline_retry(instance: DatacenterInstance, params: PipelineRetryParams,
                   scheduler_options: Mapping[str, Any]) -> tuple[DatacenterPlan, SolveInfo]:
    """Paper-000 pipeline with Phase E retries, allocating jobs by ``params.mode``
    (see :func:`run_pipeline`).

    Parameters
    ----------
    instance
        An instance with jobs.
    params
        The options (:class:`~qdcopt.datacenter.options.PipelineRetryParams`).
    scheduler_options
        Options forwarded to the scheduler ``params.scheduler``.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    return _pipeline(instance, params, params.mode, True, "pipeline-retry", scheduler_options)
