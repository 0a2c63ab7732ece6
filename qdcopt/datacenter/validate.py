"""The family-A validator: one deterministic replay of a plan against its instance.

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

Every rule is checked over whole columns: ids become instance positions by one look-up
(:mod:`qdcopt.datacenter.checks.lookup`), each rule is a few array operations, and the
sequential ones (a switch's timeline, the stored pairs over time, the job shifts) are
compiled loops over arrays sorted once (:mod:`qdcopt.datacenter.checks`); only the
violations found are worded one by one, in the order a replay of the plan meets them.

Long module, on purpose: it is the family's rule book — every rule code above is raised
here, with its wording, in the order of the table, so that a reviewer checks the codes
against the design in one file; the array machinery is in :mod:`qdcopt.datacenter.checks`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from qdcopt.datacenter.checks.lookup import factorize, positions
from qdcopt.datacenter.checks.sweeps import (
    ascending,
    ascending_at,
    events_rise,
    group_max,
    order_by_position,
    running_sums_by_group,
    scatter_add,
    sorted_order,
    stored_peaks,
)
from qdcopt.datacenter.checks.timeline import (
    RECONFIGURING,
    net_change_flags,
    replay,
    timeline,
)
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

_REASON_CODES = np.array(list(REASONS), dtype=object)


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
    rows = positions(plan.shift_request, req.id)
    known = rows >= 0
    delay = plan.shift_delay
    # the job of a shift, and of its request, as codes of the instance's job values
    codes, jobs = factorize(req.job)
    shift_job = positions(plan.shift_job, _objects(jobs))
    bad = known & ((codes[np.where(known, rows, 0)] != shift_job) | (delay <= 0))
    if out is not None:
        for j in np.flatnonzero(~known | bad).tolist():
            job, rid = plan.shift_job[j], plan.shift_request[j]
            if not known[j]:
                out.add("A1-UNKNOWN-REQUEST", f"shift names unknown request {rid!r}",
                        request=rid, job=job)
                continue
            i = int(rows[j])
            d = int(delay[j])
            out.add("A1-SHIFT", f"shift of job {job!r} from request {rid!r} by {d} "
                    f"ticks: the request belongs to job {req.job[i]!r} and delays must be > 0",
                    request=rid, job=job, delay=d)
    good = _where(known & ~bad)
    add = scatter_add(len(req), rows[good], delay[good])
    # a shift applies from its request to the end of the job: a running sum along each
    # job's order (need time, then position), restarted at every job
    order = sorted_order(req.t_need)
    if order is None:
        order = np.arange(len(req))
    return t + running_sums_by_group(add, codes, len(jobs), order)


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
    t_need = effective_need(instance, plan, out)

    # ---- rule 1: every request accounted for exactly once ---------------------------
    d_req = positions(plan.delivery_request, req.id)
    r_req = positions(plan.rejected_request, req.id)
    for rid in plan.delivery_request[d_req < 0].tolist():
        out.add("A1-UNKNOWN-REQUEST", f"delivery for unknown request {rid!r}", request=rid)
    for rid in plan.rejected_request[r_req < 0].tolist():
        out.add("A1-UNKNOWN-REQUEST", f"rejection of unknown request {rid!r}", request=rid)
    d_count = np.bincount(d_req[_where(d_req >= 0)], minlength=n)
    r_count = np.bincount(r_req[_where(r_req >= 0)], minlength=n)
    if n and np.any(d_count + r_count != 1):  # else every request is accounted for once
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
            out.add("A1-UNACCOUNTED", f"request {req.id[i]!r} is neither delivered nor "
                    "rejected", request=req.id[i])
    reason_codes, reasons = factorize(plan.rejected_reason)
    unknown_reason = positions(_objects(reasons), _REASON_CODES) < 0
    for j in np.flatnonzero(unknown_reason[reason_codes]).tolist():
        rid, reason = plan.rejected_request[j], plan.rejected_reason[j]
        out.add("A1-REASON", f"rejection of {rid!r} has unknown reason {reason!r} "
                f"(known: {', '.join(REASONS)})", request=rid, reason=reason)

    # ---- rule 2: deliveries on the event grid, one pair per event --------------------
    source_ids = np.array([s.id for s in instance.sources], dtype=object)
    d_src = positions(plan.delivery_source, source_ids)
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
    sel = _where(ok)
    d_time[sel] = starts[d_src[sel]] + d_evt[sel] * periods[d_src[sel]]
    _check_event_reuse(instance, plan, d_src, d_evt, ok, out)

    # ---- rules 3 and 4: switch timelines ---------------------------------------------
    n_single, n_double = _check_switches(instance, plan, d_req, d_src, d_time, ok, out)

    # ---- rule 5: storage window --------------------------------------------------------
    valid = ok & (d_req >= 0)
    storage = np.zeros(len(d_req), dtype=np.int64)
    sel = _where(valid)
    storage[sel] = t_need[d_req[sel]] - d_time[sel]
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
    use = _where(valid & (storage >= 0))
    peak = _check_memory(instance, d_req[use], d_time[use], t_need, out)

    # ---- metrics ----------------------------------------------------------------------
    accepted = int(np.count_nonzero(d_count > 0))
    st = storage[use] / TICKS_PER_SECOND
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
        "rejection_reasons": dict(zip(reasons, np.bincount(
            reason_codes, minlength=len(reasons)).tolist(), strict=True)),
    }
    metrics.update(_fidelity_metrics(instance, d_req[use], storage[use]))
    if derived is not None:
        metrics.update(_check_jobs(instance, plan, derived, d_count, t_need, out))
    violations = tuple(out.items)
    if any(c > MAX_LISTED for c in out.counts.values()):
        metrics["violations_by_code"] = dict(out.counts)
    return Report(family="datacenter", objective=float(accepted), violations=violations,
                  metrics=metrics)


def _check_event_reuse(instance: DatacenterInstance, plan: DatacenterPlan, d_src: np.ndarray,
                       d_evt: np.ndarray, ok: np.ndarray, out: _Collector) -> None:
    """Rule 2's one pair per EPR event, by source then event."""
    rows = np.flatnonzero(ok)
    if events_rise(d_src[rows], d_evt[rows], len(instance.sources)):
        return  # each source's events rise in plan order: none is used twice
    order = rows[np.lexsort((d_evt[rows], d_src[rows]))]  # stable: plan order in a group
    src, evt = d_src[order], d_evt[order]
    new = np.r_[True, (src[1:] != src[:-1]) | (evt[1:] != evt[:-1])]
    first = np.flatnonzero(new)
    counts = np.diff(np.r_[first, len(order)])
    for g in np.flatnonzero(counts > 1).tolist():
        group = order[first[g]:first[g] + counts[g]]
        source = instance.sources[int(src[first[g]])].id
        event = int(evt[first[g]])
        out.add("A2-EVENT-REUSED", f"event {event} of source {source!r} delivers "
                f"{counts[g]} pairs ({', '.join(map(str, plan.delivery_request[group][:5]))})",
                source=source, event=event,
                requests=[str(x) for x in plan.delivery_request[group]])


def _check_jobs(instance: DatacenterInstance, plan: DatacenterPlan, derived: Derived,
                d_count: np.ndarray, t_need: np.ndarray, out: _Collector) -> dict[str, object]:
    """Rule 7 on a job-level plan; returns the job metrics."""
    from qdcopt.datacenter.demand.decisions import job_qubits, job_shift

    req = instance.requests
    index = {s.id: i for i, s in enumerate(instance.job_specs)}
    shift = job_shift(instance, t_need)
    codes, jobs = factorize(req.job)
    total = dict(zip(jobs, np.bincount(codes, minlength=len(jobs)).tolist(), strict=True))
    delivered = dict(zip(jobs, np.bincount(codes[d_count > 0], minlength=len(jobs)).tolist(),
                         strict=True))
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
        if acc and delivered.get(job, 0) < total.get(job, 0):
            out.add("A7-PARTIAL-JOB", f"job {job!r} is accepted but only "
                    f"{delivered.get(job, 0)} of its {total.get(job, 0)} requests are "
                    "delivered", job=job)
        if not acc and delivered.get(job, 0) > 0:
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


def _where(mask: np.ndarray) -> np.ndarray | slice:
    """``mask``, or every entry when it holds them all (a view rather than a copy: the
    usual case, a plan without violations)."""
    return slice(None) if mask.all() else mask


def _objects(items: list[object]) -> np.ndarray:
    """A one-dimensional object array of ``items`` (never a nested array)."""
    arr = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        arr[k] = item
    return arr


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


def _qpu_positions(column: np.ndarray, qpu_ids: np.ndarray,
                   qidx: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """QPU position of each entry as its text names it (−1: no QPU), and whether the
    entry is set (a QPU id is; anything else by its truth value, as ``if a or b`` reads
    it)."""
    where = positions(column, qpu_ids)
    found = where >= 0
    is_set = found.copy()
    for j in np.flatnonzero(~found).tolist():
        is_set[j] = bool(column[j])
        where[j] = qidx.get(str(column[j]), -1)
    return where, is_set


def _check_switches(instance: DatacenterInstance, plan: DatacenterPlan, d_req: np.ndarray,
                    d_src: np.ndarray, d_time: np.ndarray, ok: np.ndarray, out: _Collector,
                    ) -> tuple[int, int]:
    """Rules 3 and 4; returns the counts of single- and double-line reconfigurations."""
    rc = plan.reconfigurations
    n_q = instance.n_qpus
    source_ids = np.array([s.id for s in instance.sources], dtype=object)
    qpu_ids = np.array([q.id for q in instance.qpus], dtype=object)
    qidx = instance.qpu_index()
    sidx = instance.source_index()
    rc_src = positions(rc.source, source_ids)
    for s in rc.source[rc_src < 0].tolist():
        out.add("A2-UNKNOWN-SOURCE", f"reconfiguration names unknown source {s!r}", source=s)
    for s in plan.initial:
        if s not in sidx:
            out.add("A2-UNKNOWN-SOURCE", f"initial state names unknown source {s!r}", source=s)
    ends = {}
    for name in ("from_a", "from_b", "to_a", "to_b"):
        ends[name] = _qpu_positions(getattr(rc, name), qpu_ids, qidx)
    from_set = ends["from_a"][1] | ends["from_b"][1]
    req = instance.requests
    # the deliveries each source makes, in plan order; its reconfigurations by start
    by_source, bounds = _groups(np.flatnonzero(ok & (d_req >= 0)), d_src,
                                len(instance.sources))
    rc_rows, rc_bounds = _groups(np.flatnonzero(rc_src >= 0), rc_src, len(instance.sources))
    n_single = n_double = 0
    for si, source in enumerate(instance.sources):
        ports = np.zeros(n_q, dtype=np.bool_)
        ports[list(source.ports)] = True

        def state(a: str, b: str, what: str, source: Source = source,
                  ports: np.ndarray = ports) -> tuple[int, int] | None:
            qa, qb = qidx.get(a, -1), qidx.get(b, -1)
            if qa < 0 or qb < 0 or qa == qb or not ports[qa] or not ports[qb]:
                out.add("A3-PORT", f"{what} of source {source.id!r} joins {a!r} and {b!r}, "
                        "not two distinct QPUs its switch reaches", source=source.id, a=a, b=b)
                return None
            return _pair_key(qa, qb)

        init = plan.initial.get(source.id)
        current = state(*init, "initial state") if init is not None else None
        init_code = -1 if current is None else current[0] * n_q + current[1]
        rows = rc_rows[rc_bounds[si]:rc_bounds[si + 1]]
        if not ascending_at(rc.start, rows):  # stable: ties keep the plan's order
            rows = rows[np.argsort(rc.start[rows], kind="stable")]
        # the whole table in its own order needs no copy (one switch, as usual)
        take = slice(None) if len(rows) == len(rc) and ascending(rows) else rows
        start, end = rc.start[take], rc.end[take]
        states, before, flags, required, singles, doubles = timeline(
            start, end, from_set[take], *(ends[k][0][take] for k in ends), ports, init_code,
            source.t_single, source.t_double)
        n_single += singles
        n_double += doubles
        for r in np.flatnonzero(flags).tolist():
            _word_reconfiguration(instance, source, rc, int(rows[r]), int(flags[r]),
                                  int(before[r]), int(states[r]), int(required[r]),
                                  int(end[r - 1]) if r else None, out)
        # replay deliveries of this source against the timeline
        mine = by_source[bounds[si]:bounds[si + 1]]
        if len(mine) == 0:
            continue
        status, last, have = replay(mine, d_time, d_req, req.a, req.b, start, end, states,
                                    init_code, n_q)
        for k in np.flatnonzero(status).tolist():
            i = int(d_req[mine[k]])
            t = int(d_time[mine[k]])
            p = int(last[k])
            if status[k] == RECONFIGURING:
                out.add("A3-RECONFIGURING", f"request {req.id[i]!r} served at tick {t} by "
                        f"{source.id!r} while its switch reconfigures "
                        f"[{int(start[p])}, {int(end[p])})", request=req.id[i],
                        source=source.id, t_delivery=t)
                continue
            if p < 0 and init is not None:
                state(*init, "initial state")  # worded again, as each replay reads it
            out.add("A3-SWITCH-MISMATCH", f"request {req.id[i]!r} needs "
                    f"{instance.pair_name(int(req.a[i]), int(req.b[i]))} but at tick {t} the "
                    f"switch of {source.id!r} connects "
                    f"{_name(instance, _pair(int(have[k]), n_q))}",
                    request=req.id[i], source=source.id, t_delivery=t)
        if not instance.transit_moves:
            served = mine[status == 0]
            _check_net_changes(instance, source, served, d_req, d_time, out)
    return n_single, n_double


def _groups(rows: np.ndarray, group: np.ndarray, n_groups: int,
            ) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` ordered by ``group[rows]`` (stable: each group keeps their order), and
    where each group starts in it (``n_groups + 1`` bounds)."""
    codes = group[rows]
    if n_groups > 1:
        # a stable sort of small integers is a radix sort
        small = np.int16 if n_groups < 2**15 else np.int64
        rows = rows[np.argsort(codes.astype(small), kind="stable")]
        codes = group[rows]
    return rows, np.searchsorted(codes, np.arange(n_groups + 1))


def _pair(code: int, n_q: int) -> tuple[int, int] | None:
    return None if code < 0 else (code // n_q, code % n_q)


def _word_reconfiguration(instance: DatacenterInstance, source: Source, rc: object, j: int,
                          flags: int, before: int, after: int, required: int,
                          previous_end: int | None, out: _Collector) -> None:
    """The violations :func:`~qdcopt.datacenter.checks.timeline.timeline` flagged on
    reconfiguration ``j``, in the order a replay meets them."""
    n_q = instance.n_qpus
    start, end = int(rc.start[j]), int(rc.end[j])
    if flags & 1:
        out.add("A3-PORT", f"reconfiguration start of source {source.id!r} joins "
                f"{str(rc.from_a[j])!r} and {str(rc.from_b[j])!r}, not two distinct QPUs "
                "its switch reaches", source=source.id, a=str(rc.from_a[j]),
                b=str(rc.from_b[j]))
    if flags & 2:
        out.add("A3-PORT", f"reconfiguration target of source {source.id!r} joins "
                f"{str(rc.to_a[j])!r} and {str(rc.to_b[j])!r}, not two distinct QPUs its "
                "switch reaches", source=source.id, a=str(rc.to_a[j]), b=str(rc.to_b[j]))
    current = _pair(before, n_q)
    if flags & 4:
        out.add("A4-FROM-STATE", f"reconfiguration of {source.id!r} at tick {start} "
                f"starts from {rc.from_a[j]}-{rc.from_b[j]} but the switch connects "
                f"{_name(instance, current)}", source=source.id, start=start)
    if flags & 8:
        out.add("A4-OVERLAP", f"reconfiguration of {source.id!r} at tick {start} starts "
                f"before the previous one ends at {previous_end}", source=source.id,
                start=start, previous_end=previous_end)
    if flags & 16:
        out.add("A4-NO-CHANGE", f"reconfiguration of {source.id!r} at tick {start} "
                f"keeps {_name(instance, _pair(after, n_q))}", source=source.id, start=start)
    if flags & 32:
        out.add("A4-DURATION", f"reconfiguration of {source.id!r} at tick {start} "
                f"lasts {end - start} ticks, must last {required}", source=source.id,
                start=start, duration=end - start, required=required)


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
    req = instance.requests
    rows = positions(np.asarray(requests, dtype=object), req.id)
    src = positions(np.asarray(sources, dtype=object),
                    np.array([s.id for s in instance.sources], dtype=object))
    events = np.asarray(events, dtype=np.int64)
    keep = np.flatnonzero((rows >= 0) & (src >= 0))
    rows, src, events = rows[keep], src[keep], events[keep]
    period = np.array([s.period for s in instance.sources], dtype=np.int64)
    start = np.array([s.start for s in instance.sources], dtype=np.int64)
    times = start[src] + events * period[src]
    # by source, time and request position, as the reference sorts them
    order = np.lexsort((rows, times, src))
    rows, src, times = rows[order], src[order], times[order]
    out: list[str] = []
    bounds = np.searchsorted(src, np.arange(len(instance.sources) + 1))
    for si, source in enumerate(instance.sources):
        lo, hi = bounds[si], bounds[si + 1]
        broken, _ = net_change_flags(np.arange(hi - lo), times[lo:hi], rows[lo:hi], req.a,
                                     req.b, source.t_single, source.t_double)
        out.extend(str(req.id[i]) for i in rows[lo:hi][broken].tolist())
    return out


def _check_net_changes(instance: DatacenterInstance, source: Source, mine: np.ndarray,
                       d_req: np.ndarray, d_time: np.ndarray, out: _Collector) -> None:
    """The paper's rule: consecutive deliveries of one switch are at least the net change
    apart, whatever reconfigurations the timeline makes between them."""
    req = instance.requests
    if not ascending_at(d_time, mine):  # a plan mostly lists a switch's deliveries in time
        mine = mine[np.argsort(d_time[mine], kind="stable")]
    broken, need = net_change_flags(mine, d_time, d_req, req.a, req.b, source.t_single,
                                    source.t_double)
    for k in np.flatnonzero(broken).tolist():
        i, h = int(d_req[mine[k]]), int(d_req[mine[k - 1]])
        t, prev_t, d = int(d_time[mine[k]]), int(d_time[mine[k - 1]]), int(need[k])
        out.add("A4-NET-CHANGE", f"request {req.id[i]!r} served at tick {t} by "
                f"{source.id!r}: the net change from "
                f"{instance.pair_name(int(req.a[h]), int(req.b[h]))} (delivered at tick "
                f"{prev_t}) to {instance.pair_name(int(req.a[i]), int(req.b[i]))} takes {d} "
                f"ticks, so the earliest delivery is at tick {prev_t + 1 + d}",
                request=req.id[i], source=source.id, t_delivery=t, previous=prev_t,
                required=d)


def _name(instance: DatacenterInstance, pair: tuple[int, int] | None) -> str:
    return "nothing" if pair is None else instance.pair_name(*pair)


def _check_memory(instance: DatacenterInstance, d_req: np.ndarray, d_time: np.ndarray,
                  t_need: np.ndarray, out: _Collector) -> np.ndarray:
    """Rule 6 by a sweep over interval ends; returns the peak stored pairs per QPU."""
    req = instance.requests
    n_q = instance.n_qpus
    if len(d_req) == 0:
        return np.zeros(n_q, dtype=np.int64)
    stops = t_need[d_req]
    start_order = sorted_order(d_time)
    # need times mostly rise with the request's position: then ordering the pairs by
    # request orders their ends, by counting rather than sorting
    stop_order = None
    if not ascending(stops):
        stop_order = (order_by_position(d_req, len(t_need)) if ascending(t_need)
                      else np.argsort(stops, kind="stable"))
    everything = np.arange(len(d_req))
    cap = instance.comm_capacity()
    peak, first_over = stored_peaks(
        d_time, stops, req.a[d_req].astype(np.int64), req.b[d_req].astype(np.int64), n_q, cap,
        everything if start_order is None else start_order,
        everything if stop_order is None else stop_order)
    for k in np.flatnonzero(peak > cap).tolist():
        out.add("A6-MEMORY", f"QPU {instance.qpus[k].id!r} holds {int(peak[k])} stored pairs "
                f"(first over capacity at tick {int(first_over[k])}), more than its "
                f"{int(cap[k])} communication qubits", qpu=instance.qpus[k].id,
                peak=int(peak[k]), capacity=int(cap[k]), t=int(first_over[k]))
    return peak


def _runtime_estimate(instance: DatacenterInstance, t_need: np.ndarray) -> float:
    """Makespan in seconds: last need time, or each job's runtime plus its delay."""
    req = instance.requests
    if len(req) == 0:
        return 0.0
    end = int(t_need.max())
    if instance.job_runtime:
        delay = t_need - req.t_need
        shift: dict[object, int] = {}
        if delay.any():
            codes, jobs = factorize(req.job)
            shift = dict(zip(jobs, group_max(delay, codes, len(jobs)).tolist(), strict=True))
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
