"""Job-level plans: job decisions, candidate placements and the requests they imply.

A *job-level plan* says, for every job of an instance that keeps its job definitions
(:attr:`~qdcopt.datacenter.instance.DatacenterInstance.job_specs`), whether it runs, on
which QPUs and from which tick.  A job's requests on a QPU set from a start tick follow
deterministically from its circuit (placement with the job's own method and seed, then
:func:`~qdcopt.datacenter.eds.distribute`), so a plan only stores the decisions and the
validator re-derives the requests (:func:`derive`):

* a job decided with QPUs (accepted, or rejected after being tried there) has the
  requests of its circuit on those QPUs from its start, ids ``<job>.r<k>`` in need order;
* a job decided without QPUs keeps the requests the instance lists for it.

Candidates (:func:`job_candidates`) are the options a selection method chooses from: a
job's QPU sets (disjoint sets picked by
:func:`~qdcopt.datacenter.placement.allocate_qpus`, or the job's own QPUs) times a grid of
start delays ``arrival + d·δ``, d = 0 … ``max_delays − 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from qdcopt.datacenter.eds import EdsResult, JobEds, QpuTiming, extract_job
from qdcopt.datacenter.instance import DatacenterInstance, Requests
from qdcopt.datacenter.jobs import JobSpec, fits_datacenter, job_flat
from qdcopt.datacenter.placement import allocate_qpus
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.validate import net_change_breaks
from qdcopt.timebase import parse_duration


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


@dataclass(frozen=True, eq=False)
class Candidate:
    """One way to run a job.

    Attributes
    ----------
    job
        Job id.
    job_index
        Position of the job in the instance's ``job_specs``.
    name
        Readable name, ``<qpu ids joined by +>@d<delay index>``.
    qpus
        Instance QPU indices.
    start
        Start tick.
    delay_index
        Position of the start on the delay grid (0: the arrival time).
    eds
        The job's requests and runtime on these QPUs from ``start``.
    """

    job: str
    job_index: int
    name: str
    qpus: tuple[int, ...]
    start: int
    delay_index: int
    eds: JobEds

    @property
    def runtime(self) -> int:
        """Runtime estimate in ticks."""
        return self.eds.runtime

    @property
    def end(self) -> int:
        """Tick at which the job frees its QPUs."""
        return self.start + self.eds.runtime

    @property
    def n_requests(self) -> int:
        """Number of entanglement requests."""
        return self.eds.n_requests

    @property
    def n_qubits(self) -> int:
        """Qubits of the circuit."""
        return self.eds.n_qubits

    @property
    def t_need(self) -> np.ndarray:
        """Absolute need times of the requests."""
        return self.eds.t_need + self.start


@dataclass(frozen=True)
class JobCandidates:
    """The candidates of every job, and why a job has none.

    Attributes
    ----------
    candidates
        Per job (instance order), its candidates.
    reasons
        Job id → ``"too-large"`` for a job without candidates.
    """

    candidates: tuple[tuple[Candidate, ...], ...]
    reasons: dict[str, str] = field(default_factory=dict)

    def all(self) -> list[Candidate]:
        """Every candidate, job by job."""
        return [c for cs in self.candidates for c in cs]


def job_qubits(instance: DatacenterInstance, job: int) -> int:
    """Qubits of job number ``job``."""
    return job_flat(instance.job_specs[job], instance.file).n_qubits


def qpu_sets(instance: DatacenterInstance, job: int, max_sets: int) -> list[tuple[int, ...]]:
    """Candidate QPU sets of a job: its own QPUs, or up to ``max_sets`` disjoint sets
    chosen one after the other by :func:`~qdcopt.datacenter.placement.allocate_qpus`
    (the paper's Phase B rule) among the QPUs the earlier sets left free."""
    spec = instance.job_specs[job]
    caps = [q.data_qubits for q in instance.qpus]
    n = job_qubits(instance, job)
    if not fits_datacenter(spec, n, caps):
        return []
    if spec.qpus is not None:
        return [tuple(spec.qpus)]
    free = [True] * len(caps)
    out: list[tuple[int, ...]] = []
    while len(out) < max_sets:
        chosen = allocate_qpus(n, caps, free, n_qpus=spec.n_qpus)
        if chosen is None:
            break
        out.append(tuple(chosen))
        for q in chosen:
            free[q] = False
    if not out:  # cannot happen after fits_datacenter, kept for safety
        chosen = allocate_qpus(n, caps, [True] * len(caps), n_qpus=spec.n_qpus)
        out = [tuple(chosen)] if chosen is not None else []
    return out


def job_candidates(instance: DatacenterInstance, *, max_qpu_sets: int = 4,
                   max_delays: int = 3, delay_step: Any = None,
                   extra: dict[str, list[tuple[tuple[int, ...], int]]] | None = None,
                   ) -> JobCandidates:
    """Candidates of every job of an instance.

    Parameters
    ----------
    instance
        An instance with job definitions.
    max_qpu_sets
        QPU sets per job.
    max_delays
        Start delays per QPU set: ``arrival + d·δ`` for d = 0 … max_delays − 1.
    delay_step
        δ (seconds or a string with a unit); default: the job's longest runtime over its
        QPU sets, so that delay d lets it run after d earlier jobs on the same QPUs.
    extra
        Job id → further ``(qpus, start)`` pairs to offer (e.g. a heuristic's choices).

    Returns
    -------
    JobCandidates
    """
    step = None if delay_step is None else parse_duration(delay_step, allow_zero=False)
    out: list[tuple[Candidate, ...]] = []
    reasons: dict[str, str] = {}
    for j, spec in enumerate(instance.job_specs):
        sets = qpu_sets(instance, j, max_qpu_sets)
        if not sets:
            reasons[spec.id] = "too-large"
            out.append(())
            continue
        base = {s: job_eds(instance, j, s, 0) for s in sets}
        d = step if step is not None else max(1, max(e.runtime for e in base.values()))
        mine: list[Candidate] = []
        seen: set[tuple[tuple[int, ...], int]] = set()
        for s in sets:
            for k in range(max_delays):
                start = spec.start + k * d
                seen.add((s, start))
                mine.append(_candidate(instance, j, s, start, k))
        for s, start in (extra or {}).get(spec.id, []):
            if (tuple(s), start) not in seen and start >= spec.start:
                seen.add((tuple(s), start))
                k = max_delays + len(mine)  # off the grid: ranked after the grid
                mine.append(_candidate(instance, j, tuple(s), start, k))
        out.append(tuple(mine))
    return JobCandidates(candidates=tuple(out), reasons=reasons)


def _candidate(instance: DatacenterInstance, j: int, qpus: tuple[int, ...], start: int,
               k: int) -> Candidate:
    spec = instance.job_specs[j]
    name = "+".join(instance.qpus[q].id for q in qpus) + f"@d{k}"
    return Candidate(job=spec.id, job_index=j, name=name, qpus=qpus, start=start,
                     delay_index=k, eds=job_eds(instance, j, qpus, start))


# -- decisions and derived requests -------------------------------------------------------
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
            eds[job] = job_eds(instance, index[job], d.qpus, d.start)
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


def job_table(instance: DatacenterInstance, decisions: list[JobDecision]) -> dict[str, list]:
    """Plan columns (for :meth:`DatacenterPlan.build`) of a list of decisions."""
    return {
        "job": [d.job for d in decisions],
        "accepted": [d.accepted for d in decisions],
        "qpus": [" ".join(instance.qpus[q].id for q in d.qpus) for d in decisions],
        "start": [d.start for d in decisions],
        "candidate": [d.candidate for d in decisions],
        "reason": ["" if d.accepted else (d.reason or "not-selected") for d in decisions],
    }


def enforce_all_or_nothing(plan: DatacenterPlan, derived: DatacenterInstance,
                           ) -> tuple[DatacenterPlan, list[str]]:
    """Eject every job with a rejected request (Phases F-G).

    Its deliveries become rejections (reason ``job-ejected``) and its shifts are
    dropped.  The switch timeline stays as it is and memories only hold fewer pairs, but
    by the paper's switching rule a removed delivery may have stood between two
    disjoint pairs (a bridge): a job with a delivery that then comes too soon after the
    previous one (``A4-NET-CHANGE``) is ejected too, until none is left.

    Returns
    -------
    (DatacenterPlan, list[str])
        The plan (without job table; the caller adds it) and the ejected job ids, by the
        need time of their first rejected request.
    """
    req = derived.requests
    job_of = dict(zip(req.id.tolist(), req.job.tolist(), strict=True))
    need = dict(zip(req.id.tolist(), req.t_need.tolist(), strict=True))
    first: dict[str, int] = {}
    for r in plan.rejected_request.tolist():
        j = job_of[r]
        first[j] = min(first.get(j, need[r]), need[r])
    ordered = sorted(first, key=lambda j: (first[j], j))
    failed = set(ordered)
    if not failed:
        return plan, ordered
    while True:
        keep = np.array([job_of[r] not in failed for r in plan.delivery_request.tolist()],
                        dtype=bool)
        broken = net_change_breaks(derived, plan.delivery_request[keep],
                                   plan.delivery_source[keep], plan.delivery_event[keep])
        more = sorted({job_of[r] for r in broken} - failed,
                      key=lambda j: (min(need[r] for r in broken if job_of[r] == j), j))
        if not more:
            break
        ordered += more
        failed |= set(more)
    rc = plan.reconfigurations
    rej_req = plan.rejected_request.tolist() + plan.delivery_request[~keep].tolist()
    rej_why = plan.rejected_reason.tolist() + ["job-ejected"] * int((~keep).sum())
    rej_why = [("job-ejected" if job_of[r] in failed else w)
               for r, w in zip(rej_req, rej_why, strict=True)]
    sh = np.array([j not in failed for j in plan.shift_job.tolist()], dtype=bool)
    new = DatacenterPlan.build(
        plan.method, initial=plan.initial,
        reconf=rc.columns(),
        deliveries=(plan.delivery_request[keep], plan.delivery_source[keep],
                    plan.delivery_event[keep]),
        rejected=(rej_req, rej_why),
        shifts=(plan.shift_job[sh], plan.shift_request[sh], plan.shift_delay[sh]))
    return new, ordered


def with_jobs(plan: DatacenterPlan, instance: DatacenterInstance, method: str,
              decisions: list[JobDecision]) -> DatacenterPlan:
    """``plan`` renamed to ``method`` and carrying the job table of ``decisions``."""
    rc = plan.reconfigurations
    return DatacenterPlan.build(
        method, initial=plan.initial,
        reconf=rc.columns(),
        deliveries=(plan.delivery_request, plan.delivery_source, plan.delivery_event),
        rejected=(plan.rejected_request, plan.rejected_reason),
        shifts=(plan.shift_job, plan.shift_request, plan.shift_delay),
        jobs=job_table(instance, decisions))


def job_shift(derived: DatacenterInstance, t_need: np.ndarray) -> dict[str, int]:
    """Job id → how much its last request was delayed by the plan's shifts (ticks)."""
    out: dict[str, int] = {}
    for job, d in zip(derived.requests.job.tolist(), (t_need - derived.requests.t_need).tolist(),
                      strict=True):
        if d > out.get(job, 0):
            out[job] = d
    return out

