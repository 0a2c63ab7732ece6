"""The greedy scheduler of paper 000 (Vista et al., §III-C), with the retries of Phase E.

Requests are taken in need-time order.  A source whose switch already connects the
request's pair tries *AcceptWithMatchSwitch*: the first EPR event in the window
``[t_need − t_max, t_need]`` after the last event it used.  Otherwise
*AcceptWithChangeSwitch*: the switch is reconfigured right after its last used event
(``t_single`` if the new pair shares a QPU with the old one, ``t_double`` otherwise) and
the first event after the reconfiguration ends must fall in the window.  Events are found
by arithmetic on the event grid (``ceil((t − start) / period)``), never by walking
events, so a 1 GHz source with a 1 ms window costs the same as a slow one.

Two details the paper leaves open are fixed here to match the validator's semantics:

* Communication qubits.  A pair occupies a communication qubit at both QPUs from its
  delivery until its need time.  Requests are processed in need order, so every pair
  accepted earlier is consumed no later than the current one; at most ``c`` of those
  may still be held when the new pair arrives, which gives a lower bound on the
  delivery time by one look-up in a sorted list.  (With one source this count is exact;
  with several it is conservative.)
* Several sources.  Each source whose switch reaches both QPUs is tried; a source
  already in the right state wins, then the earliest usable event.

Phase E retries: when a request is rejected, it and every later request of its job are
delayed by ``delta`` and it is tried again, up to ``max_attempts`` times.  The delays are
recorded in the plan as job shifts, and the validator replays them.
"""

from __future__ import annotations

import bisect
import heapq
import time

import numpy as np

from qdcopt.datacenter.heuristics._kernels.greedy import (
    greedy_arrays,
    pick_source,
    plan_from_arrays,
    source_arrays,
)
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import GreedyParams, GreedyRetryParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.solvers.highs import SolveInfo, Status
from qdcopt.timebase import parse_duration

COMPILED_FROM = 5_000
"""Instances with at least this many requests use a compiled loop, with or without
retries (below it, loading the compiled code costs more than it saves)."""


def greedy(instance: DatacenterInstance, params: GreedyParams | None = None,
           ) -> tuple[DatacenterPlan, SolveInfo]:
    """Schedule with the paper-000 greedy.

    Parameters
    ----------
    instance
        The instance.
    params
        The options (:class:`~qdcopt.datacenter.options.GreedyParams`; its defaults when
        ``None``): ``retries`` (Phase E: delay a rejected request and the rest of its job
        and retry), ``delta`` (delay per retry), ``max_attempts`` (retries per request)
        and ``compiled`` (run the compiled loop, the one with retries when ``retries`` is
        set; ``None``: from :data:`COMPILED_FROM` requests on — compiled and Python loops
        make the same plan).

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    started = time.perf_counter()
    p = params if params is not None else GreedyParams()
    retries, max_attempts, compiled = p.retries, p.max_attempts, p.compiled
    step = parse_duration(p.delta, allow_zero=False)
    if compiled or (compiled is None and len(instance.requests) >= COMPILED_FROM):
        if retries:
            return _greedy_compiled(instance, "greedy-retry", step, max_attempts, started)
        return _greedy_compiled(instance, "greedy", step, 0, started)
    req = instance.requests
    n = len(req)
    ids = req.id.tolist()
    jobs = req.job.tolist()
    qa = req.a.tolist()
    qb = req.b.tolist()
    tneed = req.t_need.tolist()
    t_max = instance.t_max
    cap = [q.comm_qubits for q in instance.qpus]
    held: list[list[int]] = [[] for _ in instance.qpus]  # sorted need times of accepted pairs

    srcs = instance.sources
    grid = source_arrays(instance)
    n_s = len(srcs)
    st_a = np.full(n_s, -1, dtype=np.int64)     # switch state per source (−1: unset)
    st_b = np.full(n_s, -1, dtype=np.int64)
    s_last = np.full(n_s, -1, dtype=np.int64)   # last event index used
    s_ready = np.zeros(n_s, dtype=np.int64)     # end of the last reconfiguration
    s_ports = [set(s.ports) for s in srcs]
    initial: dict[str, tuple[str, str] | None] = {s.id: None for s in srcs}
    rc: dict[str, list] = {k: [] for k in ("source", "start", "end", "from_a", "from_b",
                                           "to_a", "to_b")}
    d_req: list[str] = []
    d_src: list[str] = []
    d_evt: list[int] = []
    rej_req: list[str] = []
    rej_reason: list[str] = []
    sh_job: list[str] = []
    sh_req: list[str] = []
    sh_delay: list[int] = []
    qname = [q.id for q in instance.qpus]
    reach_of = {(x, y): [si for si in range(len(srcs)) if x in s_ports[si] and y in s_ports[si]]
                for x, y in set(zip(qa, qb, strict=True))}

    order = req.order().tolist()
    job_delay: dict[str, int] = {}
    attempts = [0] * n if retries else None
    # With retries, a delay moves the rest of a job together, so each job is a queue in
    # need order and one heap holds each job's next request: no entry ever goes stale.
    heap: list[tuple[int, int, str]] | None = None
    queue: dict[str, list[int]] = {}
    head: dict[str, int] = {}
    rank_of: dict[int, int] = {}
    if retries:
        for rank, i in enumerate(order):
            queue.setdefault(jobs[i], []).append(i)
            rank_of[i] = rank
        heap = [(tneed[q[0]], rank_of[q[0]], job) for job, q in queue.items()]
        heapq.heapify(heap)
        head = dict.fromkeys(queue, 0)
    pos = 0
    current_job: str | None = None
    retried = False
    while True:
        if heap is None:
            if pos == n:
                break
            i = order[pos]
            pos += 1
            t_eff = tneed[i]
        else:
            if current_job is not None and not retried:
                head[current_job] += 1
                q = queue[current_job]
                if head[current_job] < len(q):
                    nxt = q[head[current_job]]
                    heapq.heappush(heap, (tneed[nxt] + job_delay.get(current_job, 0),
                                          rank_of[nxt], current_job))
            retried = False
            if not heap:
                break
            t_eff, rank, current_job = heapq.heappop(heap)
            i = queue[current_job][head[current_job]]
        a, b = qa[i], qb[i]
        sources = reach_of[(a, b)]
        if not sources:
            rej_req.append(ids[i])
            rej_reason.append("no-source")
            continue
        lo = t_eff - t_max
        mem_lb = lo
        for q in (a, b):
            c = cap[q]
            h = held[q]
            if c is not None and len(h) >= c and h[-c] + 1 > mem_lb:
                mem_lb = h[-c] + 1
        si, k, t_k, change, dur, feasible_without_memory = pick_source(
            a, b, lo, t_eff, mem_lb, grid["ports"], grid["start"], grid["period"],
            grid["t_single"], grid["t_double"], st_a, st_b, s_last, s_ready)
        if si < 0:
            reason = "memory" if feasible_without_memory else "no-event"
            if attempts is not None and attempts[i] < max_attempts:
                attempts[i] += 1
                job = jobs[i]
                job_delay[job] = job_delay.get(job, 0) + step
                if sh_req and sh_req[-1] == ids[i] and sh_job[-1] == job:
                    sh_delay[-1] += step
                else:
                    sh_job.append(job)
                    sh_req.append(ids[i])
                    sh_delay.append(step)
                heapq.heappush(heap, (tneed[i] + job_delay[job], rank, job))
                retried = True
                continue
            rej_req.append(ids[i])
            rej_reason.append(reason)
            continue
        sid = srcs[si].id
        if st_a[si] < 0:
            initial[sid] = (qname[a], qname[b])
        elif change:
            # switch just in time: the reconfiguration ends at the event it serves
            rc["source"].append(sid)
            rc["start"].append(int(t_k - dur))
            rc["end"].append(int(t_k))
            rc["from_a"].append(qname[st_a[si]])
            rc["from_b"].append(qname[st_b[si]])
            rc["to_a"].append(qname[a])
            rc["to_b"].append(qname[b])
            s_ready[si] = t_k
        st_a[si], st_b[si] = a, b
        s_last[si] = k
        k = int(k)
        d_req.append(ids[i])
        d_src.append(sid)
        d_evt.append(k)
        for q in (a, b):
            h = held[q]
            if not h or h[-1] <= t_eff:
                h.append(t_eff)
            else:  # not reached (need times are taken in non-decreasing order); kept safe
                bisect.insort(h, t_eff)
    name = "greedy-retry" if retries else "greedy"
    plan = DatacenterPlan.build(name, initial=initial, reconf=rc,
                                deliveries=(d_req, d_src, d_evt),
                                rejected=(rej_req, rej_reason),
                                shifts=(sh_job, sh_req, sh_delay))
    info = SolveInfo(method=name, status=Status.HEURISTIC, objective=float(len(d_req)),
                     time_s=time.perf_counter() - started,
                     extra={"reconfigurations": len(rc["source"]),
                            "retries": sum(attempts) if attempts else 0})
    return plan, info


def _greedy_compiled(instance: DatacenterInstance, name: str, step: int, max_attempts: int,
                     started: float) -> tuple[DatacenterPlan, SolveInfo]:
    """The greedy through the compiled loop, as the same plan as the Python loop."""
    out = greedy_arrays(instance, step, max_attempts)
    # retries take requests out of need order: the tables follow the order of decision
    decided = out["decided"]
    served = out["served"][decided]
    ok = served >= 0
    rejected = decided[~ok]
    plan = plan_from_arrays(
        instance, name, init=(out["init_a"], out["init_b"]),
        reconf={k: out[f"rc_{k}"] for k in ("source", "start", "end", "from_a", "from_b",
                                            "to_a", "to_b")},
        deliveries=(decided[ok], served[ok], out["event"][decided[ok]]),
        rejected=(rejected, out["reason"][rejected]),
        shifts=(out["jobs"][out["sh_job"]], out["sh_request"], out["sh_delay"]))
    info = SolveInfo(method=name, status=Status.HEURISTIC, objective=float(ok.sum()),
                     time_s=time.perf_counter() - started,
                     extra={"reconfigurations": len(out["rc_source"]),
                            "retries": int(out["attempts"].sum())})
    return plan, info


def greedy_retry(instance: DatacenterInstance, params: GreedyRetryParams | None = None,
                 ) -> tuple[DatacenterPlan, SolveInfo]:
    """:func:`greedy` with Phase E retries
    (:class:`~qdcopt.datacenter.options.GreedyRetryParams`)."""
    p = params if params is not None else GreedyRetryParams()
    return greedy(instance, GreedyParams(retries=True, delta=p.delta,
                                         max_attempts=p.max_attempts, compiled=p.compiled))
