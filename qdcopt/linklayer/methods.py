"""The family-C methods: instance → (plan, SolveInfo), all on the instance's realised trace.

* ``dqp`` — the distributed-queue protocol replaying the trace (message delays included);
* ``esp`` — the Eventual Synchronization Protocol replaying the trace;
* ``greedy-matching`` — zero-delay greedy maximal-matching list scheduler;
* ``milp`` — the offline matching MILP (by default the exact continuous-time precedence
  model; certified lower bound; its plan is a feasible schedule built from the MILP's
  order).

Every method's objective is the mean request latency in milliseconds (minimised).  Each
takes its parameter object, ``fn(instance, params)`` (:mod:`qdcopt.linklayer.options`);
call them through ``SPECS[name](instance, **options)``, which checks the options first.
"""

from __future__ import annotations

import math
import time

import numpy as np

from qdcopt.errors import InstanceError
from qdcopt.linklayer.heuristics.greedy import greedy_matching
from qdcopt.linklayer.instance import (
    MAX_SECONDS,
    MAX_TRACE_REQUESTS,
    LinkInstance,
    trace_requests,
)
from qdcopt.linklayer.models.matching_milp import solve_matching_milp
from qdcopt.linklayer.options import MatchingMilpParams, TraceParams
from qdcopt.linklayer.plan import Generation, LinkPlan
from qdcopt.linklayer.protocols import PROTOCOLS
from qdcopt.linklayer.trace import Trace, realise_trace
from qdcopt.params import MethodSpec
from qdcopt.solvers.highs import MINIMIZE, SolveInfo, SolverOptions, Status


def _trace(instance: LinkInstance, params: TraceParams) -> tuple[Trace, float, int, str]:
    """The realised trace the options ask for (the instance's ``[trace]`` where they give
    none), with its duration, seed and pacing."""
    trace_duration = params.trace_duration
    duration = instance.trace.duration if trace_duration is None else float(trace_duration)
    seed = instance.trace.seed if params.trace_seed is None else int(params.trace_seed)
    arrivals = (instance.trace.arrivals if params.trace_arrivals is None
                else str(params.trace_arrivals))
    if not duration > 0:
        raise ValueError(f"trace_duration must be positive, got {trace_duration!r}")
    if trace_duration is not None:
        # the option bypasses the instance's own trace check: same rules
        if not duration <= MAX_SECONDS:
            raise InstanceError(instance.file, "trace_duration",
                                f"must be at most 1000 s, got {duration:g}")
        expected = trace_requests(instance, duration)
        if expected > MAX_TRACE_REQUESTS:
            raise InstanceError(instance.file, "trace_duration",
                                f"{duration:g} s gives up to {expected:.3g} requests; a trace "
                                f"holds at most {MAX_TRACE_REQUESTS:.0e}")
    return realise_trace(instance, duration, seed, arrivals), duration, seed, arrivals


MAX_SERVICE_SLOTS: int = 50
"""Most slots the mean request service may span in the matching MILP: a request's columns
hold one entry per slot of its service, and a window has about as many columns per request
as slots, so the model grows with the square of service / slot (measured: 2 · 10⁶ nonzeros
and 0.4 GB at 47 slots, 9 · 10⁶ and 1.4 GB at 100)."""


def _check_slot(instance: LinkInstance, trace: Trace, slot: float, given: bool) -> None:
    """Refuse a slot so short that the MILP would not fit in memory."""
    field = "slot" if given else "trace.slot"
    if not (math.isfinite(slot) and slot > 0):
        raise InstanceError(instance.file, field, f"must be a positive time, got {slot!r}")
    if not trace.requests:
        return
    mean = float(np.mean([trace.duration(r) for r in trace.requests]))
    if mean / slot > MAX_SERVICE_SLOTS:
        raise InstanceError(instance.file, field,
                            f"must be at least {mean / MAX_SERVICE_SLOTS:.3g} s for the MILP: "
                            f"the trace's mean request service of {mean:.3g} s spans "
                            f"{mean / slot:.0f} slots of {slot:g} s, at most "
                            f"{MAX_SERVICE_SLOTS} are allowed")


def plan_from_starts(instance: LinkInstance, trace: Trace, starts: dict[int, float],
                     method: str, duration: float, seed: int,
                     arrivals: str = "greedy") -> LinkPlan:
    """A plan from start times (finish = start + the request's service time)."""
    names = instance.nodes
    rows = tuple(Generation(r.id, names[r.initiator], names[r.remote], starts[r.id],
                           starts[r.id] + trace.duration(r))
                 for r in trace.requests if r.id in starts)
    return LinkPlan(method, duration, seed, rows, arrivals)


def _mean_ms(trace: Trace, starts: dict[int, float]) -> float:
    lat = [starts[r.id] + trace.duration(r) - r.created for r in trace.requests]
    return float(np.mean(lat) * 1e3) if lat else math.nan


def _protocol(name: str):
    def method(instance: LinkInstance, params: TraceParams) -> tuple[LinkPlan, SolveInfo]:
        t0 = time.perf_counter()
        trace, duration, seed, arrivals = _trace(instance, params)
        rec = PROTOCOLS[name](instance, seed=seed, trace=trace).run()
        names = instance.nodes
        rows = tuple(Generation(r.id, names[r.initiator], names[r.remote], r.pl_start,
                               r.pl_finish) for r in rec.requests if not math.isnan(r.pl_finish))
        plan = LinkPlan(name, duration, seed, rows, arrivals)
        lat = [r.pl_finish - r.created for r in rec.requests]
        info = SolveInfo(method=name, status=Status.SIMULATED,
                         objective=float(np.mean(lat) * 1e3) if lat else math.nan,
                         time_s=time.perf_counter() - t0, sense=MINIMIZE,
                         extra={"events": rec.events, "messages": rec.messages,
                                "requests": len(rec.requests)})
        return plan, info

    method.__name__ = f"method_{name}"
    method.__doc__ = f"{name.upper()} replaying the instance's realised trace."
    return method


def method_greedy(instance: LinkInstance, params: TraceParams) -> tuple[LinkPlan, SolveInfo]:
    """Greedy maximal-matching list scheduling of the realised trace (zero delay)."""
    t0 = time.perf_counter()
    trace, duration, seed, arrivals = _trace(instance, params)
    starts = greedy_matching(trace, instance.n, instance.edges)
    plan = plan_from_starts(instance, trace, starts, "greedy-matching", duration, seed,
                            arrivals)
    info = SolveInfo(method="greedy-matching", status=Status.HEURISTIC,
                     objective=_mean_ms(trace, starts), time_s=time.perf_counter() - t0,
                     sense=MINIMIZE)
    return plan, info


def method_milp(instance: LinkInstance, params: MatchingMilpParams,
                ) -> tuple[LinkPlan, SolveInfo]:
    """The matching MILP on the realised trace (see ``matching_milp``)."""
    t0 = time.perf_counter()
    trace, duration, tseed, arrivals = _trace(instance, params)
    given = params.slot is not None
    slot = instance.trace.slot if params.slot is None else float(params.slot)
    if params.form != "precedence":
        _check_slot(instance, trace, slot, given)
    opts = SolverOptions(time_limit=params.time_limit, threads=params.threads,
                         seed=params.seed, mip_gap=params.mip_gap, verbose=params.verbose)
    res = solve_matching_milp(trace, instance.n, slot, options=opts, window=params.window,
                              form=params.form, edges=instance.edges,
                              branch_nodes=params.branch_nodes)
    plan = plan_from_starts(instance, trace, res.starts, "milp", duration, tseed, arrivals)
    n = len(trace.requests)
    bound = res.bound / n * 1e3 if n else math.nan
    info = SolveInfo(method="milp", status=res.status, objective=_mean_ms(trace, res.starts),
                     bound=bound, time_s=time.perf_counter() - t0, sense=MINIMIZE,
                     extra={k: v for k, v in res.stats.items()})
    return plan, info


SPECS = {spec.name: spec for spec in (
    MethodSpec("dqp", _protocol("dqp"), TraceParams,
               "distributed queue protocol replaying the realised trace", typed=True),
    MethodSpec("esp", _protocol("esp"), TraceParams,
               "eventual synchronization protocol replaying the realised trace", typed=True),
    MethodSpec("greedy-matching", method_greedy, TraceParams,
               "greedy maximal-matching list schedule of the trace (zero delay)", typed=True),
    MethodSpec("milp", method_milp, MatchingMilpParams,
               "matching MILP on the trace: least mean latency, or a certified bound",
               typed=True),
)}
"""Method name → its registration (function, parameter class, summary)."""

METHODS = SPECS
"""Method name → its registration, callable as ``METHODS[name](instance, **options)``
(options checked, then the method gets its parameter object)."""
