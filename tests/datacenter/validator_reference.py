"""The family-A validator as it was before its rules became array operations: the
reference the tests hold :mod:`qdcopt.datacenter.validate` to, report for report.

One deterministic replay of a plan against its instance, request by request.

Rules (codes are stable; DESIGN.md numbers them 1–7):

=====================  ==========================================================
A1-UNKNOWN-REQUEST     a delivery, rejection or shift names a request the instance lacks
A1-DUPLICATE           a request is delivered twice, or rejected twice
A1-BOTH                a request is both delivered and rejected
A1-UNACCOUNTED         a request is neither delivered nor rejected
A1-REASON              a rejection's reason is not a known code
A1-SHIFT               a shift names the wrong job or has a delay ≤ 0
A2-UNKNOWN-SOURCE      a delivery or reconfiguration names a source the instance lacks
A2-OFF-GRID            a delivery's event index is negative
A2-EVENT-REUSED        one EPR event delivers more than one pair
A3-PORT                a switch state joins a QPU the switch does not reach, or a QPU to itself
A3-SWITCH-MISMATCH     at the event, the switch connects another pair (or is unset)
A3-RECONFIGURING       at the event, a reconfiguration of that switch is in progress
A4-DURATION            a reconfiguration lasts other than t_single (one line) / t_double (two)
A4-FROM-STATE          a reconfiguration starts from a pair other than the switch's state
A4-OVERLAP             a reconfiguration starts before the previous one ended
A4-NO-CHANGE           a reconfiguration leaves the pair as it was
A4-NET-CHANGE          a delivery follows the switch's previous one sooner than their net change
A5-LATE                the pair is delivered after its need time
A5-STORAGE             the pair waits longer than t_max
A6-MEMORY              a QPU holds more stored pairs than it has communication qubits
A7-UNKNOWN-JOB         a job decision names an unknown job or one twice, or a job has none
A7-UNKNOWN-QPU         a job decision names an unknown QPU, or an accepted job has none
A7-CAPACITY            a job's qubits exceed the data qubits of the QPUs it is placed on
A7-EARLY               an accepted job starts before its arrival (its ``start`` field)
A7-PARTIAL-JOB         an accepted job lacks a delivery, or a rejected job has one
A7-EXCLUSIVE           two accepted jobs use one QPU at overlapping times
A7-REASON              a rejected job's reason is not a known code
A7-HORIZON             a job decision runs its job beyond 1000 s (the longest time represented)
=====================  ==========================================================

Rule 7 applies to *job-level plans* (plans with a job table, see
:mod:`qdcopt.datacenter.demand.decisions`): their requests are re-derived from the job
decisions and rules 1–6 are checked against those; a job occupies its QPUs over
[start, start + runtime + its total shift).  Other plans are checked as they always were.

A delivered pair occupies one communication qubit at each of its QPUs over the closed
interval [t_delivery, t_need]: a pair consumed at t and one delivered at t both count
at instant t.  A reconfiguration occupies the half-open interval [start, end).

Between two consecutive deliveries of one source to pairs ``p`` and ``q`` the switch needs
the duration of the *net* change (paper 000): a delivery at tick ``t`` may follow one at
``t0`` only if ``t ≥ t0 + 1 + d``, ``d`` = ``t_single`` when the pairs share one QPU and
``t_double`` when they share none, whatever moves the timeline makes in between
(``A4-NET-CHANGE``).  An instance with ``transit_moves = true`` drops this rule: there a
switch may pass through pairs it does not serve, and only rules 3 and 4 on the timeline
apply.

The objective is the number of accepted (delivered) requests; the reconfiguration
count and the other figures come with it in the metrics.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance, Source
from qdcopt.datacenter.plan import JOB_REASONS, REASONS, DatacenterPlan
from qdcopt.datacenter.storage import fidelity_at_use
from qdcopt.report import Report, Violation
from qdcopt.timebase import TICKS_PER_SECOND

if TYPE_CHECKING:
    from qdcopt.datacenter.demand.decisions import Derived

RULES: dict[str, int] = {
    line.split()[0]: int(line[1])
    for line in (__doc__ or "").splitlines() if line[:1] == "A" and line[1:2].isdigit()
}
"""Violation code → the DESIGN.md rule number it belongs to."""

MAX_LISTED = 1000
"""Violations listed per rule; the count beyond that is still reported."""


class _Collector:
    def __init__(self) -> None:
        self.items: list[Violation] = []
        self.counts: Counter[str] = Counter()

    def add(self, code: str, message: str, **event: object) -> None:
        self.counts[code] += 1
        if self.counts[code] <= MAX_LISTED:
            self.items.append(Violation(code, message, dict(event)))


def effective_need(instance: DatacenterInstance, plan: DatacenterPlan,
                   out: _Collector | None = None) -> np.ndarray:
    """Need time of every request once the plan's job shifts are applied.

    A shift delays its request and every later request of the same job (job order is
    need time, ties by position in the instance).
    """
    req = instance.requests
    t = req.t_need.copy()
    if len(plan.shift_job) == 0:
        return t
    index = req.index()
    add = np.zeros(len(req), dtype=np.int64)
    for job, rid, delay in zip(plan.shift_job.tolist(), plan.shift_request.tolist(),
                               plan.shift_delay.tolist(), strict=True):
        i = index.get(rid)
        if i is None:
            if out is not None:
                out.add("A1-UNKNOWN-REQUEST", f"shift names unknown request {rid!r}",
                        request=rid, job=job)
            continue
        if req.job[i] != job or delay <= 0:
            if out is not None:
                out.add("A1-SHIFT", f"shift of job {job!r} from request {rid!r} by {delay} "
                        f"ticks: the request belongs to job {req.job[i]!r} and delays must be > 0",
                        request=rid, job=job, delay=delay)
            continue
        add[i] += delay
    # a shift applies from its request to the end of the job: a running sum along each
    # job's order (need time, then position), restarted at every job
    _, job_code = np.unique(req.job.astype(str), return_inverse=True)
    order = np.lexsort((np.arange(len(req)), req.t_need, job_code))
    t[order] += running_sum_by_group(add[order], job_code[order])
    return t


def running_sum_by_group(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` that restarts wherever ``groups`` changes.

    Both arrays are in the order the sums run along; equal groups must be contiguous.
    """
    running = np.cumsum(values)
    if len(values) == 0:
        return running
    first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    before = np.r_[0, running[first[1:] - 1]]
    return running - np.repeat(before, np.diff(np.r_[first, len(values)]))


def validate(instance: DatacenterInstance, plan: DatacenterPlan) -> Report:
    """Replay ``plan`` against ``instance``.

    Parameters
    ----------
    instance
        The instance the plan is for.
    plan
        The plan.

    Returns
    -------
    Report
        Violations (empty if the plan is valid) and metrics; ``objective`` is the number
        of accepted requests.
    """
    out = _Collector()
    derived = None
    if plan.is_job_level:
        from qdcopt.datacenter.demand.decisions import derive_plan

        derived = derive_plan(instance, plan)
        for code, message, event in derived.problems:
            out.add(code, message, **event)
        instance = derived.instance
    req = instance.requests
    n = len(req)
    index = req.index()
    qidx = instance.qpu_index()
    sidx = instance.source_index()
    t_need = effective_need(instance, plan, out)

    # ---- rule 1: every request accounted for exactly once ---------------------------
    d_req = np.array([index.get(r, -1) for r in plan.delivery_request.tolist()], dtype=np.int64)
    r_req = np.array([index.get(r, -1) for r in plan.rejected_request.tolist()], dtype=np.int64)
    for rid in plan.delivery_request[d_req < 0].tolist():
        out.add("A1-UNKNOWN-REQUEST", f"delivery for unknown request {rid!r}", request=rid)
    for rid in plan.rejected_request[r_req < 0].tolist():
        out.add("A1-UNKNOWN-REQUEST", f"rejection of unknown request {rid!r}", request=rid)
    d_count = np.bincount(d_req[d_req >= 0], minlength=n)
    r_count = np.bincount(r_req[r_req >= 0], minlength=n)
    for i in np.flatnonzero(d_count > 1).tolist():
        out.add("A1-DUPLICATE", f"request {req.id[i]!r} delivered {d_count[i]} times",
                request=req.id[i])
    for i in np.flatnonzero(r_count > 1).tolist():
        out.add("A1-DUPLICATE", f"request {req.id[i]!r} rejected {r_count[i]} times",
                request=req.id[i])
    for i in np.flatnonzero((d_count > 0) & (r_count > 0)).tolist():
        out.add("A1-BOTH", f"request {req.id[i]!r} is both delivered and rejected",
                request=req.id[i])
    for i in np.flatnonzero((d_count == 0) & (r_count == 0)).tolist():
        out.add("A1-UNACCOUNTED", f"request {req.id[i]!r} is neither delivered nor rejected",
                request=req.id[i])
    for rid, reason in zip(plan.rejected_request.tolist(), plan.rejected_reason.tolist(),
                           strict=True):
        if reason not in REASONS:
            out.add("A1-REASON", f"rejection of {rid!r} has unknown reason {reason!r} "
                    f"(known: {', '.join(REASONS)})", request=rid, reason=reason)

    # ---- rule 2: deliveries on the event grid, one pair per event --------------------
    d_src = np.array([sidx.get(s, -1) for s in plan.delivery_source.tolist()], dtype=np.int64)
    d_evt = plan.delivery_event
    for j in np.flatnonzero(d_src < 0).tolist():
        out.add("A2-UNKNOWN-SOURCE", f"delivery of {plan.delivery_request[j]!r} names unknown "
                f"source {plan.delivery_source[j]!r}", request=plan.delivery_request[j],
                source=plan.delivery_source[j])
    for j in np.flatnonzero((d_evt < 0) & (d_src >= 0)).tolist():
        out.add("A2-OFF-GRID", f"delivery of {plan.delivery_request[j]!r} uses event "
                f"{d_evt[j]} < 0", request=plan.delivery_request[j], event=int(d_evt[j]))
    ok = (d_src >= 0) & (d_evt >= 0)
    periods = np.array([s.period for s in instance.sources], dtype=np.int64)
    starts = np.array([s.start for s in instance.sources], dtype=np.int64)
    d_time = np.zeros(len(d_evt), dtype=np.int64)
    d_time[ok] = starts[d_src[ok]] + d_evt[ok] * periods[d_src[ok]]
    if ok.any():
        keys = np.stack([d_src[ok], d_evt[ok]], axis=1)
        uniq, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
        for u in np.flatnonzero(counts > 1).tolist():
            rows = np.flatnonzero(ok)[inverse.reshape(-1) == u]
            src = instance.sources[int(uniq[u][0])].id
            out.add("A2-EVENT-REUSED", f"event {int(uniq[u][1])} of source {src!r} delivers "
                    f"{counts[u]} pairs ({', '.join(map(str, plan.delivery_request[rows][:5]))})",
                    source=src, event=int(uniq[u][1]),
                    requests=[str(x) for x in plan.delivery_request[rows]])

    # ---- rules 3 and 4: switch timelines ---------------------------------------------
    n_single, n_double = _check_switches(instance, plan, d_req, d_src, d_time, ok, qidx, sidx,
                                         out)

    # ---- rule 5: storage window --------------------------------------------------------
    valid = ok & (d_req >= 0)
    storage = np.zeros(len(d_req), dtype=np.int64)
    storage[valid] = t_need[d_req[valid]] - d_time[valid]
    for j in np.flatnonzero(valid & (storage < 0)).tolist():
        i = d_req[j]
        out.add("A5-LATE", f"request {req.id[i]!r} gets its pair at tick {d_time[j]}, after its "
                f"need time {t_need[i]}", request=req.id[i], t_delivery=int(d_time[j]),
                t_need=int(t_need[i]))
    for j in np.flatnonzero(valid & (storage > instance.t_max)).tolist():
        i = d_req[j]
        out.add("A5-STORAGE", f"request {req.id[i]!r} stores its pair {storage[j]} ticks, more "
                f"than t_max = {instance.t_max}", request=req.id[i], storage=int(storage[j]),
                t_max=instance.t_max)

    # ---- rule 6: communication-qubit capacity -----------------------------------------
    use = valid & (storage >= 0)
    peak = _check_memory(instance, d_req[use], d_time[use], t_need, out)

    # ---- metrics ----------------------------------------------------------------------
    accepted = int(np.count_nonzero(d_count > 0))
    st = storage[use].astype(float) / TICKS_PER_SECOND
    metrics: dict[str, object] = {
        "requests": n,
        "accepted": accepted,
        "rejected": int(np.count_nonzero(r_count > 0)),
        "acceptance_ratio": accepted / n if n else 1.0,
        "reconfigurations": n_single + n_double,
        "reconfigurations_single": n_single,
        "reconfigurations_double": n_double,
        "storage_mean_s": float(st.mean()) if len(st) else 0.0,
        "storage_median_s": float(np.median(st)) if len(st) else 0.0,
        "storage_p95_s": float(np.quantile(st, 0.95)) if len(st) else 0.0,
        "storage_max_s": float(st.max()) if len(st) else 0.0,
        "peak_stored_pairs": {instance.qpus[q].id: int(peak[q]) for q in range(instance.n_qpus)},
        "peak_stored_pairs_max": int(peak.max()) if len(peak) else 0,
        "total_job_delay_s": float((t_need - req.t_need).max() / TICKS_PER_SECOND) if n else 0.0,
        "runtime_estimate_s": _runtime_estimate(instance, t_need),
        "rejection_reasons": dict(Counter(plan.rejected_reason.tolist())),
    }
    metrics.update(_fidelity_metrics(instance, d_req[use], storage[use]))
    if derived is not None:
        metrics.update(_check_jobs(instance, plan, derived, d_count, t_need, out))
    violations = tuple(out.items)
    if any(c > MAX_LISTED for c in out.counts.values()):
        metrics["violations_by_code"] = dict(out.counts)
    return Report(family="datacenter", objective=float(accepted), violations=violations,
                  metrics=metrics)


def _check_jobs(instance: DatacenterInstance, plan: DatacenterPlan, derived: Derived,
                d_count: np.ndarray, t_need: np.ndarray, out: _Collector) -> dict[str, object]:
    """Rule 7 on a job-level plan; returns the job metrics."""
    from qdcopt.datacenter.demand.decisions import job_qubits, job_shift

    req = instance.requests
    index = {s.id: i for i, s in enumerate(instance.job_specs)}
    shift = job_shift(instance, t_need)
    delivered: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for job, c in zip(req.job.tolist(), d_count.tolist(), strict=True):
        total[job] += 1
        delivered[job] += c > 0
    busy: dict[int, list[tuple[int, int, str]]] = {}
    ends: list[int] = []
    turnaround: list[int] = []
    used = 0
    qubit_time = 0
    accepted = 0
    for job, acc, reason in zip(plan.job_id.tolist(), plan.job_accepted.tolist(),
                                plan.job_reason.tolist(), strict=True):
        if job not in index:
            continue
        if not acc and reason not in JOB_REASONS:
            out.add("A7-REASON", f"job {job!r} is rejected with unknown reason {reason!r} "
                    f"(known: {', '.join(JOB_REASONS)})", job=job, reason=reason)
        if acc and delivered[job] < total[job]:
            out.add("A7-PARTIAL-JOB", f"job {job!r} is accepted but only {delivered[job]} of "
                    f"its {total[job]} requests are delivered", job=job)
        if not acc and delivered[job] > 0:
            out.add("A7-PARTIAL-JOB", f"job {job!r} is rejected but {delivered[job]} of its "
                    "requests are delivered", job=job)
        spec = instance.job_specs[index[job]]
        eds = derived.eds.get(job)
        if eds is None:
            continue
        n_qubits = job_qubits(instance, index[job])
        room = sum(instance.qpus[q].data_qubits for q in eds.placement.qpus)
        if n_qubits > room:
            out.add("A7-CAPACITY", f"job {job!r} has {n_qubits} qubits but its QPUs "
                    f"{[instance.qpus[q].id for q in eds.placement.qpus]} hold {room}",
                    job=job, qubits=n_qubits, room=room)
        if not acc:
            continue
        accepted += 1
        if eds.start < spec.start:
            out.add("A7-EARLY", f"job {job!r} starts at tick {eds.start}, before its arrival "
                    f"at {spec.start}", job=job, start=eds.start, arrival=spec.start)
        end = eds.start + eds.runtime + shift.get(job, 0)
        ends.append(end)
        turnaround.append(end - spec.start)
        used += n_qubits
        qubit_time += n_qubits * (end - eds.start)
        for q in eds.placement.qpus:
            busy.setdefault(q, []).append((eds.start, end, job))
    for q, spans in busy.items():
        spans.sort()
        last_end, last_job = None, None
        for s0, e0, job in spans:
            if last_end is not None and s0 < last_end:
                out.add("A7-EXCLUSIVE", f"jobs {last_job!r} and {job!r} both use QPU "
                        f"{instance.qpus[q].id!r} at tick {s0}", qpu=instance.qpus[q].id,
                        jobs=[last_job, job], t=s0)
            if last_end is None or e0 > last_end:
                last_end, last_job = e0, job
    makespan = max(ends, default=0)
    cap = sum(q.data_qubits for q in instance.qpus)
    return {
        "jobs": len(instance.job_specs),
        "jobs_accepted": accepted,
        "qubits_used": used,
        "qubit_utilisation": qubit_time / (cap * makespan) if makespan and cap else 0.0,
        "job_makespan_s": makespan / TICKS_PER_SECOND,
        "job_completion_mean_s": (float(np.mean(turnaround)) / TICKS_PER_SECOND
                                  if turnaround else 0.0),
    }


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


def _check_switches(instance: DatacenterInstance, plan: DatacenterPlan, d_req: np.ndarray,
                    d_src: np.ndarray, d_time: np.ndarray, ok: np.ndarray,
                    qidx: dict[str, int], sidx: dict[str, int], out: _Collector,
                    ) -> tuple[int, int]:
    """Rules 3 and 4; returns the counts of single- and double-line reconfigurations."""
    rc = plan.reconfigurations
    n_single = n_double = 0
    by_source: dict[int, list[int]] = {}
    for j, s in enumerate(rc.source.tolist()):
        si = sidx.get(s, -1)
        if si < 0:
            out.add("A2-UNKNOWN-SOURCE", f"reconfiguration names unknown source {s!r}", source=s)
            continue
        by_source.setdefault(si, []).append(j)
    for s in plan.initial:
        if s not in sidx:
            out.add("A2-UNKNOWN-SOURCE", f"initial state names unknown source {s!r}", source=s)
    req = instance.requests
    for si, source in enumerate(instance.sources):
        ports = set(source.ports)

        def state(a: str, b: str, what: str, source: object = source,
                  ports: set[int] = ports) -> tuple[int, int] | None:
            qa, qb = qidx.get(a, -1), qidx.get(b, -1)
            if qa < 0 or qb < 0 or qa == qb or qa not in ports or qb not in ports:
                out.add("A3-PORT", f"{what} of source {source.id!r} joins {a!r} and {b!r}, "
                        "not two distinct QPUs its switch reaches", source=source.id, a=a, b=b)
                return None
            return _pair_key(qa, qb)

        init = plan.initial.get(source.id)
        current = state(*init, "initial state") if init is not None else None
        rows = sorted(by_source.get(si, []), key=lambda j: (rc.start[j], j))
        starts, ends, states = [], [], []
        prev_end = None
        for j in rows:
            start, end = int(rc.start[j]), int(rc.end[j])
            if rc.from_a[j] or rc.from_b[j]:
                old = state(str(rc.from_a[j]), str(rc.from_b[j]), "reconfiguration start")
            else:
                old = None
            new = state(str(rc.to_a[j]), str(rc.to_b[j]), "reconfiguration target")
            if old != current:
                out.add("A4-FROM-STATE", f"reconfiguration of {source.id!r} at tick {start} "
                        f"starts from {rc.from_a[j]}-{rc.from_b[j]} but the switch connects "
                        f"{_name(instance, current)}", source=source.id, start=start)
            if prev_end is not None and start < prev_end:
                out.add("A4-OVERLAP", f"reconfiguration of {source.id!r} at tick {start} starts "
                        f"before the previous one ends at {prev_end}", source=source.id,
                        start=start, previous_end=prev_end)
            if new is not None:
                if new == current:
                    out.add("A4-NO-CHANGE", f"reconfiguration of {source.id!r} at tick {start} "
                            f"keeps {_name(instance, new)}", source=source.id, start=start)
                dur = source.reconfiguration_time(current, new)
                if current is not None and len(set(current) & set(new)) == 1:
                    n_single += 1
                else:
                    n_double += 1
                if end - start != dur and new != current:
                    out.add("A4-DURATION", f"reconfiguration of {source.id!r} at tick {start} "
                            f"lasts {end - start} ticks, must last {dur}", source=source.id,
                            start=start, duration=end - start, required=dur)
            current = new
            prev_end = end
            starts.append(start)
            ends.append(end)
            states.append(new)
        # replay deliveries of this source against the timeline
        mine = np.flatnonzero(ok & (d_src == si) & (d_req >= 0))
        if len(mine) == 0:
            continue
        times = d_time[mine]
        pos = np.searchsorted(np.array(starts, dtype=np.int64), times, side="right") - 1
        end_arr = np.array(ends, dtype=np.int64)
        served: list[int] = []  # deliveries the timeline supports (rule 3 holds)
        for j, t, p in zip(mine.tolist(), times.tolist(), pos.tolist(), strict=True):
            i = int(d_req[j])
            want = _pair_key(int(req.a[i]), int(req.b[i]))
            if p >= 0 and t < end_arr[p]:
                out.add("A3-RECONFIGURING", f"request {req.id[i]!r} served at tick {t} by "
                        f"{source.id!r} while its switch reconfigures "
                        f"[{starts[p]}, {ends[p]})", request=req.id[i], source=source.id,
                        t_delivery=t)
                continue
            have = states[p] if p >= 0 else (
                state(*init, "initial state") if init is not None else None)
            if have != want:
                out.add("A3-SWITCH-MISMATCH", f"request {req.id[i]!r} needs "
                        f"{_name(instance, want)} but at tick {t} the switch of {source.id!r} "
                        f"connects {_name(instance, have)}", request=req.id[i],
                        source=source.id, t_delivery=t)
                continue
            served.append(j)
        if not instance.transit_moves:
            _check_net_changes(instance, source, np.array(served, dtype=np.int64), d_req,
                               d_time, out)
    return n_single, n_double


def net_change_breaks(instance: DatacenterInstance, requests: np.ndarray,
                      sources: np.ndarray, events: np.ndarray) -> list[str]:
    """Requests whose delivery comes too soon after the same source's previous one by the
    paper's rule (what ``A4-NET-CHANGE`` reports); empty with transit moves.

    Parameters
    ----------
    instance
        The instance.
    requests, sources, events
        The deliveries: request ids, source ids and event indices.

    Returns
    -------
    list of str
        The request ids of the deliveries that break the rule.
    """
    if instance.transit_moves or len(requests) == 0:
        return []
    index = instance.requests.index()
    sidx = instance.source_index()
    req = instance.requests
    out: list[str] = []
    rows = sorted((sidx[s], instance.sources[sidx[s]].event_time(int(k)), index[r])
                  for r, s, k in zip(requests.tolist(), sources.tolist(), events.tolist(),
                                     strict=True) if r in index and s in sidx)
    prev: tuple[int, int, tuple[int, int]] | None = None
    for si, t, i in rows:
        pair = _pair_key(int(req.a[i]), int(req.b[i]))
        if prev is not None and prev[0] == si and pair != prev[2] and t > prev[1]:
            need = instance.sources[si].reconfiguration_time(prev[2], pair)
            if t < prev[1] + 1 + need:
                out.append(str(req.id[i]))
        prev = (si, t, pair)
    return out


def _check_net_changes(instance: DatacenterInstance, source: Source, mine: np.ndarray,
                       d_req: np.ndarray, d_time: np.ndarray, out: _Collector) -> None:
    """The paper's rule: consecutive deliveries of one switch are at least the net change
    apart, whatever reconfigurations the timeline makes between them."""
    req = instance.requests
    order = mine[np.argsort(d_time[mine], kind="stable")]
    prev_t, prev_pair = None, None
    for j in order.tolist():
        i = int(d_req[j])
        t = int(d_time[j])
        pair = _pair_key(int(req.a[i]), int(req.b[i]))
        if prev_pair is not None and pair != prev_pair and t > prev_t:
            need = source.reconfiguration_time(prev_pair, pair)
            if t < prev_t + 1 + need:
                out.add("A4-NET-CHANGE", f"request {req.id[i]!r} served at tick {t} by "
                        f"{source.id!r}: the net change from {_name(instance, prev_pair)} "
                        f"(delivered at tick {prev_t}) to {_name(instance, pair)} takes "
                        f"{need} ticks, so the earliest delivery is at tick "
                        f"{prev_t + 1 + need}", request=req.id[i], source=source.id,
                        t_delivery=t, previous=prev_t, required=need)
        prev_t, prev_pair = t, pair


def _name(instance: DatacenterInstance, pair: tuple[int, int] | None) -> str:
    return "nothing" if pair is None else instance.pair_name(*pair)


def _check_memory(instance: DatacenterInstance, d_req: np.ndarray, d_time: np.ndarray,
                  t_need: np.ndarray, out: _Collector) -> np.ndarray:
    """Rule 6 by a sweep over interval ends; returns the peak stored pairs per QPU."""
    req = instance.requests
    n_q = instance.n_qpus
    peak = np.zeros(n_q, dtype=np.int64)
    if len(d_req) == 0:
        return peak
    ends = t_need[d_req]
    qpu = np.concatenate([req.a[d_req], req.b[d_req]]).astype(np.int64)
    start = np.concatenate([d_time, d_time])
    stop = np.concatenate([ends, ends])
    # events: +1 at start, -1 just after stop (closed interval), arrivals first at a tie
    times = np.concatenate([start, stop])
    delta = np.concatenate([np.ones(len(start), np.int64), -np.ones(len(stop), np.int64)])
    q = np.concatenate([qpu, qpu])
    order = np.lexsort((-delta, times, q))
    q, times, delta = q[order], times[order], delta[order]
    level = running_sum_by_group(delta, q)  # stored pairs per QPU after each event
    np.maximum.at(peak, q, level)
    cap = instance.comm_capacity()
    for k in np.flatnonzero(peak > cap).tolist():
        sel = np.flatnonzero((q == k) & (level > cap[k]))
        t0 = int(times[sel[0]])
        out.add("A6-MEMORY", f"QPU {instance.qpus[k].id!r} holds {int(peak[k])} stored pairs "
                f"(first over capacity at tick {t0}), more than its {int(cap[k])} "
                "communication qubits", qpu=instance.qpus[k].id, peak=int(peak[k]),
                capacity=int(cap[k]), t=t0)
    return peak


def _runtime_estimate(instance: DatacenterInstance, t_need: np.ndarray) -> float:
    """Makespan in seconds: last need time, or each job's runtime plus its delay."""
    req = instance.requests
    if len(req) == 0:
        return 0.0
    end = int(t_need.max())
    if instance.job_runtime:
        shift: dict[str, int] = {}
        for job, d in zip(req.job.tolist(), (t_need - req.t_need).tolist(), strict=True):
            shift[job] = max(shift.get(job, 0), d)
        end = max(end, *(rt + shift.get(j, 0) for j, rt in instance.job_runtime.items()))
    return end / TICKS_PER_SECOND


def _fidelity_metrics(instance: DatacenterInstance, d_req: np.ndarray,
                      storage: np.ndarray) -> dict[str, float]:
    qpus = instance.qpus
    if len(d_req) == 0 or any(q.t1 is None or q.t2 is None for q in qpus):
        return {}
    t1 = np.array([q.t1 for q in qpus], dtype=float)
    t2 = np.array([q.t2 for q in qpus], dtype=float)
    a, b = instance.requests.a[d_req], instance.requests.b[d_req]
    f = fidelity_at_use(storage, t1[a], t2[a], t1[b], t2[b])
    return {"fidelity_mean": float(f.mean()), "fidelity_min": float(f.min())}
