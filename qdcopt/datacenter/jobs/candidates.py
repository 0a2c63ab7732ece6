"""Job-level plans: candidate placements of each job, and plans built from job decisions.

Job decisions and the requests they imply are in :mod:`qdcopt.datacenter.demand.decisions`
(the validator re-derives the requests from there).

Candidates (:func:`job_candidates`) are the options a selection method chooses from: a
job's QPU sets (disjoint sets picked by
:func:`~qdcopt.datacenter.demand.placement.allocate_qpus`, plus the set the same rule picks among
the QPUs each source reaches, or the job's own QPUs) times a grid of start delays
``arrival + d·δ``, d = 0 … ``max_delays − 1``, plus the earliest starts that put an EPR
event of a source in the storage window of the job's first request.  They are a subset
of what validator rule 7 allows (any QPU set that holds the job, any start from its
arrival): :func:`candidate_rule` says which, and a method that optimises over them says
so in its status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qdcopt.datacenter.demand.decisions import JobDecision, job_eds, job_qubits
from qdcopt.datacenter.demand.jobs import fits_datacenter
from qdcopt.datacenter.demand.placement import allocate_qpus
from qdcopt.datacenter.demand.schedule import JobEds
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.validate import net_change_breaks
from qdcopt.timebase import MAX_TICKS, parse_duration


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


def qpu_sets(instance: DatacenterInstance, job: int, max_sets: int) -> list[tuple[int, ...]]:
    """Candidate QPU sets of a job: its own QPUs, or up to ``max_sets`` disjoint sets
    chosen one after the other by :func:`~qdcopt.datacenter.demand.placement.allocate_qpus`
    (the paper's Phase B rule) among the QPUs the earlier sets left free, plus, for each
    source, the set the same rule picks among the QPUs that source reaches."""
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
    # a set of QPUs one source reaches: the Phase-B sets may join QPUs that no switch
    # connects, and then no request of the job can ever be served there
    for src in instance.sources:
        reach = set(src.ports)
        chosen = allocate_qpus(n, caps, [q in reach for q in range(len(caps))],
                               n_qpus=spec.n_qpus)
        if chosen is not None and tuple(chosen) not in out:
            out.append(tuple(chosen))
    return out


def aligned_starts(instance: DatacenterInstance, eds: JobEds, arrival: int) -> list[int]:
    """Earliest starts, one per source, that put an EPR event in the storage window of the
    job's first request.

    ``eds`` holds the job's requests on some QPUs from tick 0.  For a source reaching the
    first request's pair, with ``n0`` its need time and ``e`` the first event at or after
    ``arrival + n0 − t_max``, the start ``max(arrival, e − n0)`` is the earliest from which
    that event lies in the window ``[t_need − t_max, t_need]`` — a start on a coarse delay
    grid can miss every event when the events are sparse and ``t_max`` is short.

    Returns
    -------
    list[int]
        Distinct start ticks, increasing (empty for a job without requests).
    """
    if eds.n_requests == 0:
        return []
    i0 = int(np.argmin(eds.t_need))
    n0 = int(eds.t_need[i0])
    ends = {int(eds.qpu_a[i0]), int(eds.qpu_b[i0])}
    out: set[int] = set()
    for src in instance.sources:
        if not ends <= set(src.ports):
            continue
        e = src.event_time(src.first_event_at_or_after(arrival + n0 - instance.t_max))
        out.add(max(arrival, e - n0))
    return sorted(out)


def candidate_rule(max_qpu_sets: int, max_delays: int, delay_step: Any = None) -> str:
    """The rule :func:`job_candidates` builds candidates by, in words (for ``SolveInfo``)."""
    step = ("the job's longest runtime over its sets" if delay_step is None
            else f"{delay_step}")
    return (f"QPU sets: the job's own QPUs, else up to {max_qpu_sets} disjoint Phase-B sets "
            "plus the Phase-B set among the QPUs each source reaches; starts: arrival + "
            f"d*delta for d = 0..{max_delays - 1} (delta = {step}) plus, per source, the "
            "earliest start putting an EPR event in the first request's storage window, "
            "plus the choices of the warm-start heuristics")


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
        Start delays per QPU set: ``arrival + d·δ`` for d = 0 … max_delays − 1; the
        event-aligned starts of :func:`aligned_starts` are added to them.
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
                if start + base[s].runtime > MAX_TICKS:
                    break  # later starts would end beyond the longest time qdcopt represents
                seen.add((s, start))
                mine.append(_candidate(instance, j, s, start, k))
        for s in sets:
            for start in aligned_starts(instance, base[s], spec.start):
                if (s, start) not in seen:
                    seen.add((s, start))
                    k = max_delays + len(mine)  # off the grid: ranked after the grid
                    mine.append(_candidate(instance, j, s, start, k, tag="e"))
        for s, start in (extra or {}).get(spec.id, []):
            if (tuple(s), start) not in seen and start >= spec.start:
                seen.add((tuple(s), start))
                k = max_delays + len(mine)  # off the grid: ranked after the grid
                mine.append(_candidate(instance, j, tuple(s), start, k))
        out.append(tuple(mine))
    return JobCandidates(candidates=tuple(out), reasons=reasons)


def _candidate(instance: DatacenterInstance, j: int, qpus: tuple[int, ...], start: int,
               k: int, tag: str = "d") -> Candidate:
    spec = instance.job_specs[j]
    name = "+".join(instance.qpus[q].id for q in qpus) + f"@{tag}{k}"
    return Candidate(job=spec.id, job_index=j, name=name, qpus=qpus, start=start,
                     delay_index=k, eds=job_eds(instance, j, qpus, start))


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
    dropped.  By the paper's switching rule a removed delivery may have stood between two
    disjoint pairs (a bridge): a job with a delivery that then comes too soon after the
    previous one (``A4-NET-CHANGE``) is ejected too, until none is left.  The switch
    timeline is then rebuilt for the deliveries that stay (:func:`serving_timeline`), so
    no move is left for an ejected job.

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
        return serving_timeline(plan, derived), ordered
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
    return serving_timeline(new, derived), ordered


def serving_timeline(plan: DatacenterPlan, derived: DatacenterInstance) -> DatacenterPlan:
    """``plan`` with the switch timeline its deliveries need, and no other move.

    A job-level plan loses deliveries when jobs are ejected; the moves made for them
    would stay in the timeline (and in the exported switch control instructions) although
    no delivery uses them.  The timeline is therefore rebuilt from the deliveries that
    stay by :func:`~qdcopt.datacenter.switch.plan.plan_from_deliveries`: each source
    starts in the pair it serves first (setting up costs nothing) and changes only
    between deliveries to different pairs, with the instance's own reconfiguration
    rule.  The deliveries, rejections and shifts are kept as they are.  Should a change
    not fit between two kept deliveries (they were served before, so the change that
    served them fits), the plan is returned unchanged rather than lose a delivery.

    Parameters
    ----------
    plan
        A plan of ``derived``'s requests.
    derived
        The instance whose requests the plan serves (a job-level plan's derived instance).

    Returns
    -------
    DatacenterPlan
        The plan with its switch timeline rebuilt (no job table; the caller adds it).
    """
    from qdcopt.datacenter.switch.plan import plan_from_deliveries

    rindex = derived.requests.index()
    sindex = derived.source_index()
    try:
        deliveries = [(rindex[r], sindex[s], int(k)) for r, s, k in zip(
            plan.delivery_request.tolist(), plan.delivery_source.tolist(),
            plan.delivery_event.tolist(), strict=True)]
    except KeyError:  # names outside the instance: leave it to the validator to report
        return plan
    rebuilt, dropped = plan_from_deliveries(derived, plan.method, deliveries)
    if dropped or rebuilt.n_accepted != plan.n_accepted:
        return plan
    return DatacenterPlan.build(
        plan.method, initial=rebuilt.initial, reconf=rebuilt.reconfigurations.columns(),
        deliveries=(rebuilt.delivery_request, rebuilt.delivery_source,
                    rebuilt.delivery_event),
        rejected=(plan.rejected_request, plan.rejected_reason),
        shifts=(plan.shift_job, plan.shift_request, plan.shift_delay))


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
