"""The family-C validator: replay a schedule of the realised trace, rule by rule.

Rules (stable codes):

* ``C1-UNKNOWN`` — an execution names a request the trace does not hold;
* ``C1-DUPLICATE`` — a request is executed more than once;
* ``C2-MISSING`` — a request of the trace is never executed;
* ``C3-ENDS`` — an execution's nodes are not the request's two end nodes;
* ``C4-RELEASE`` — a generation starts before its request was created;
* ``C5-SERVICE`` — a generation does not last the request's attempts × its link's period;
* ``C6-MATCHING`` — a node takes part in two generations at once (Σ_j x_ij ≤ 1 broken).

Times are float seconds from the simulation; two times closer than ``TOL`` (1 ns, well
below the 20 ns detection window) are equal.  The objective is the mean request latency
in milliseconds (creation → last pair), recomputed here from the trace's creation times.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from qdcopt.errors import InstanceError
from qdcopt.linklayer.instance import MAX_TRACE_REQUESTS, LinkInstance, trace_requests
from qdcopt.linklayer.plan import Generation, LinkPlan
from qdcopt.linklayer.trace import Trace, realise_trace
from qdcopt.report import Report, Violation

TOL = 1e-9


def matching_violations(intervals: Iterable[tuple[int, int, float, float, int]],
                        names: tuple[str, ...] | None = None) -> list[Violation]:
    """``C6-MATCHING`` breaks among generations ``(u, v, start, finish, request)``."""
    per_node: dict[int, list[tuple[float, float, int]]] = {}
    for u, v, s, f, rid in intervals:
        per_node.setdefault(u, []).append((s, f, rid))
        per_node.setdefault(v, []).append((s, f, rid))
    out = []
    for node, ivs in sorted(per_node.items()):
        ivs.sort()
        end, owner = -math.inf, -1
        for s, f, rid in ivs:
            if s < end - TOL:
                label = names[node] if names else str(node)
                out.append(Violation("C6-MATCHING",
                                     f"node {label} generates for requests {owner} and {rid} "
                                     f"at once ({owner} ends at {end!r} s, {rid} starts at "
                                     f"{s!r} s)",
                                     {"node": label, "requests": [owner, rid], "start": s,
                                      "busy_until": end}))
            if f > end:
                end, owner = f, rid
    return out


def check_schedule(instance: LinkInstance, trace: Trace, executions: Iterable[Generation],
                   ) -> tuple[list[Violation], dict[int, Generation]]:
    """Every rule but the objective: violations and the executions kept per request."""
    names = instance.nodes
    by_id = {r.id: r for r in trace.requests}
    seen: dict[int, Generation] = {}
    out: list[Violation] = []
    intervals = []
    for x in executions:
        r = by_id.get(x.request)
        if r is None:
            out.append(Violation("C1-UNKNOWN", f"request {x.request} is not in the trace",
                                 {"request": x.request}))
            continue
        if x.request in seen:
            out.append(Violation("C1-DUPLICATE", f"request {x.request} is executed twice",
                                 {"request": x.request}))
            continue
        seen[x.request] = x
        ends = {names[r.initiator], names[r.remote]}
        if {x.u, x.v} != ends or x.u == x.v:
            out.append(Violation("C3-ENDS", f"request {x.request} joins {sorted(ends)}, the "
                                            f"execution names {x.u}–{x.v}",
                                 {"request": x.request, "u": x.u, "v": x.v}))
        if x.start < r.created - TOL:
            out.append(Violation("C4-RELEASE", f"request {x.request} starts at {x.start!r} s, "
                                               f"before its creation at {r.created!r} s",
                                 {"request": x.request, "start": x.start,
                                  "created": r.created}))
        need = trace.duration(r)
        if abs((x.finish - x.start) - need) > TOL:
            out.append(Violation("C5-SERVICE", f"request {x.request} lasts "
                                               f"{x.finish - x.start!r} s, its {r.attempts} "
                                               f"attempts need {need!r} s",
                                 {"request": x.request, "lasts": x.finish - x.start,
                                  "needs": need}))
        intervals.append((r.initiator, r.remote, x.start, x.finish, x.request))
    for rid in sorted(set(by_id) - set(seen)):
        out.append(Violation("C2-MISSING", f"request {rid} of the trace is never executed",
                             {"request": rid}))
    out.extend(matching_violations(intervals, names))
    return out, seen


def validate(instance: LinkInstance, plan: LinkPlan) -> Report:
    """Replay ``plan`` against the trace it names.

    Parameters
    ----------
    instance
        The instance the trace is realised from.
    plan
        The schedule.

    Returns
    -------
    Report
        Violations, the mean latency (ms) as objective, and the paper's metrics.
    """
    expected = trace_requests(instance, plan.trace_duration)
    if expected > MAX_TRACE_REQUESTS:
        # the plan names a trace too long to realise: refuse before drawing it
        raise InstanceError("plan.json", "trace_duration",
                            f"{plan.trace_duration:g} s gives up to {expected:.3g} requests on "
                            f"this instance; a trace holds at most {MAX_TRACE_REQUESTS:.0e}")
    trace = realise_trace(instance, plan.trace_duration, plan.trace_seed, plan.trace_arrivals)
    violations, seen = check_schedule(instance, trace, plan.executions)
    by_id = {r.id: r for r in trace.requests}
    lat, wait, busy, size = [], [], [], []
    for rid, x in seen.items():
        r = by_id[rid]
        lat.append(x.finish - r.created)
        wait.append(x.start - r.created)
        busy.append(x.finish - x.start)
        size.append(r.size)
    lat_a = np.array(lat) if lat else np.zeros(0)
    objective = float(lat_a.mean() * 1e3) if len(lat_a) else math.nan
    metrics = {
        "requests": len(trace.requests),
        "served": len(seen),
        "mean_latency_ms": objective,
        "jitter_ms": float(lat_a.std() * 1e3) if len(lat_a) else math.nan,
        "queue_time_ms": float(np.mean(wait) * 1e3) if wait else math.nan,
        "busy_time_ms": float(np.mean(busy) * 1e3) if busy else math.nan,
        "total_latency_s": float(lat_a.sum()),
        "makespan_s": max((x.finish for x in seen.values()), default=0.0),
        "pairs": int(sum(size)),
    }
    return Report(family="linklayer", objective=objective, violations=tuple(violations),
                  metrics=metrics)
