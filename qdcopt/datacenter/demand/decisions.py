"""Job decisions and the requests they imply: what a job-level plan is checked against.

A *job-level plan* says, for every job of an instance that keeps its job definitions
(:attr:`~qdcopt.datacenter.instance.DatacenterInstance.job_specs`), whether it runs, on
which QPUs and from which tick.  A job's requests on a QPU set from a start tick follow
deterministically from its circuit (placement with the job's own method and seed, then
:func:`~qdcopt.datacenter.demand.schedule.distribute`), so a plan only stores the decisions
and the validator re-derives the requests (:func:`derive`):

* a job decided with QPUs (accepted, or rejected after being tried there) has the
  requests of its circuit on those QPUs from its start, ids ``<job>.r<k>`` in need order;
* a job decided without QPUs keeps the requests the instance lists for it.

The job-level methods (:mod:`qdcopt.datacenter.jobs`) make decisions; this module only
reads them, so the validator depends on no method.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from qdcopt.datacenter.demand.eds import EdsResult
from qdcopt.datacenter.demand.jobs import job_flat
from qdcopt.datacenter.demand.schedule import JobEds, extract_job
from qdcopt.datacenter.instance import DatacenterInstance, JobSpec, QpuTiming, Requests
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.timebase import MAX_TICKS


@lru_cache(maxsize=8192)
def _eds_at_zero(spec: JobSpec, qpus: tuple[int, ...], caps: tuple[int, ...],
                 timings: tuple[QpuTiming, ...]) -> JobEds:
    # need times are relative to the start, so one extraction serves every start delay
    return extract_job(job_flat(spec), qpus, caps, timings, placement=spec.placement,
                       options=spec.options, seed=spec.seed, job=spec.id, start=0)


def job_eds(instance: DatacenterInstance, job: int, qpus: tuple[int, ...], start: int,
            ) -> JobEds:
    """The requests of job number ``job`` on ``qpus`` from tick ``start``.

    A QPU set too small for the circuit is filled beyond its data qubits (evenly) so that
    the requests still exist; the validator reports the overfill as ``A7-CAPACITY``.
    """
    spec = instance.job_specs[job]
    caps = [instance.qpus[q].data_qubits for q in qpus]
    n = job_flat(spec).n_qubits
    if sum(caps) < n:
        even = -(-n // len(qpus))
        caps = [max(c, even) for c in caps]
    timings = tuple(instance.job_timings[q] for q in qpus)
    eds = _eds_at_zero(spec, tuple(qpus), tuple(caps), timings)
    return eds if start == 0 else replace(eds, start=start)


def job_qubits(instance: DatacenterInstance, job: int) -> int:
    """Qubits of job number ``job``."""
    return job_flat(instance.job_specs[job], instance.file).n_qubits


@dataclass(frozen=True)
class JobDecision:
    """What a job-level plan decides for one job (QPUs as instance indices)."""

    job: str
    accepted: bool
    qpus: tuple[int, ...]
    start: int
    candidate: str = ""
    reason: str = ""


@dataclass(frozen=True, eq=False)
class Derived:
    """The instance a job-level plan is checked against, and what was found on the way.

    Attributes
    ----------
    instance
        The instance with its requests replaced by those the decisions imply (and
        ``job_runtime`` holding the end tick of every accepted job).
    eds
        Job id → its requests under its decision (jobs decided with QPUs only).
    problems
        ``(code, message, details)`` for decisions that could not be followed.
    """

    instance: DatacenterInstance
    eds: dict[str, JobEds]
    problems: tuple[tuple[str, str, dict[str, Any]], ...]


def decisions_of(plan: DatacenterPlan, instance: DatacenterInstance,
                 ) -> tuple[list[JobDecision], list[tuple[str, str, dict[str, Any]]]]:
    """Read a plan's job table into decisions; unknown QPU ids are reported (rule 7)."""
    qidx = instance.qpu_index()
    out: list[JobDecision] = []
    problems: list[tuple[str, str, dict[str, Any]]] = []
    for job, acc, qs, start, cand, reason in zip(
            plan.job_id.tolist(), plan.job_accepted.tolist(), plan.job_qpus.tolist(),
            plan.job_start.tolist(), plan.job_candidate.tolist(), plan.job_reason.tolist(),
            strict=True):
        names = str(qs).split()
        bad = [n for n in names if n not in qidx]
        if bad or len(set(names)) != len(names) or (acc and not names):
            problems.append(("A7-UNKNOWN-QPU", f"job {job!r} names QPUs {qs!r}: each must be a "
                             "QPU of the instance, once, and an accepted job needs at least one",
                             {"job": job, "qpus": qs}))
            names = []
        out.append(JobDecision(job=str(job), accepted=bool(acc),
                               qpus=tuple(sorted(qidx[n] for n in names)), start=int(start),
                               candidate=str(cand), reason=str(reason)))
    return out, problems


def derive(instance: DatacenterInstance, decisions: list[JobDecision],
           problems: list[tuple[str, str, dict[str, Any]]] | None = None) -> Derived:
    """The requests a list of job decisions implies (see the module notes).

    Decisions naming unknown or repeated jobs, and instance jobs without a decision, are
    reported as ``A7-UNKNOWN-JOB``; such jobs keep the instance's own requests.
    """
    problems = list(problems or [])
    index = {s.id: i for i, s in enumerate(instance.job_specs)}
    if not instance.job_specs:
        problems.append(("A7-UNKNOWN-JOB", "the plan has job decisions but the instance keeps "
                         "no job definitions", {}))
    decided: dict[str, JobDecision] = {}
    for d in decisions:
        if d.job not in index:
            problems.append(("A7-UNKNOWN-JOB", f"job decision for unknown job {d.job!r}",
                             {"job": d.job}))
        elif d.job in decided:
            problems.append(("A7-UNKNOWN-JOB", f"job {d.job!r} is decided twice", {"job": d.job}))
        else:
            decided[d.job] = d
    for spec in instance.job_specs:
        if spec.id not in decided:
            problems.append(("A7-UNKNOWN-JOB", f"job {spec.id!r} has no decision",
                             {"job": spec.id}))
    eds: dict[str, JobEds] = {}
    for job, d in decided.items():
        if d.qpus:
            one = job_eds(instance, index[job], d.qpus, d.start)
            end = int(d.start) + int(one.runtime)
            if end > MAX_TICKS:  # its requests would be needed beyond what ticks represent
                problems.append(("A7-HORIZON", f"job {job!r} would run until tick {end}, beyond "
                                 f"{MAX_TICKS} (1000 s, the longest time qdcopt represents)",
                                 {"job": job, "end": end}))
                continue
            eds[job] = one
    req = instance.requests
    keep = np.array([j not in eds for j in req.job.tolist()], dtype=bool)
    if eds:
        res = EdsResult.from_jobs([q.id for q in instance.qpus], list(eds.values()))
        new = res.requests
        ids = np.concatenate([req.id[keep], new.id])
        jobs = np.concatenate([req.job[keep], new.job])
        a = np.concatenate([req.a[keep], new.a])
        b = np.concatenate([req.b[keep], new.b])
        t = np.concatenate([req.t_need[keep], new.t_need])
        order = np.lexsort((np.arange(len(t)), t))
        requests = Requests.from_columns(ids[order], jobs[order], a[order], b[order], t[order])
    else:
        requests = req
    runtime = {job: e.start + e.runtime for job, e in eds.items() if decided[job].accepted}
    derived = replace(instance, requests=requests, job_runtime=runtime)
    return Derived(instance=derived, eds=eds, problems=tuple(problems))


def derive_plan(instance: DatacenterInstance, plan: DatacenterPlan) -> Derived:
    """:func:`derive` for the job table of ``plan``."""
    decisions, problems = decisions_of(plan, instance)
    return derive(instance, decisions, problems)


def job_shift(derived: DatacenterInstance, t_need: np.ndarray) -> dict[str, int]:
    """Job id → how much its last request was delayed by the plan's shifts (ticks)."""
    out: dict[str, int] = {}
    for job, d in zip(derived.requests.job.tolist(), (t_need - derived.requests.t_need).tolist(),
                      strict=True):
        if d > out.get(job, 0):
            out[job] = d
    return out
