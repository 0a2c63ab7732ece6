"""The paper-000 greedy as one compiled loop over integer arrays.

Same decisions as :func:`qdcopt.datacenter.heuristics.greedy.greedy` (tests hold the compiled and
Python loops to the same plans); only faster, so that the scheduler keeps pace with
instances of millions of requests.  Requests come off a heap of per-job queues, as in
the Python loop with Phase E retries; without retries (``max_attempts=0``) that is
plain need order.  The held need times of each QPU are kept sorted by insertion (with
need order, an append)."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd

from qdcopt.datacenter import events
from qdcopt.datacenter.heuristics._kernels.heaps import pair_pop, pair_push
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan

NO_CAP = -1
NO_TICK = -(1 << 62)
"""A tick before any other (no lower bound)."""

REASONS = np.array(["", "no-source", "no-event", "memory"], dtype=object)
"""Rejection reasons by the codes of the compiled loops (0: not rejected)."""


def capacity_array(instance: DatacenterInstance) -> np.ndarray:
    """Communication qubits per QPU, :data:`NO_CAP` for unlimited."""
    return np.array([NO_CAP if q.comm_qubits is None else q.comm_qubits
                     for q in instance.qpus], dtype=np.int64)


def source_arrays(instance: DatacenterInstance) -> dict[str, np.ndarray]:
    """The sources as arrays: ``ports`` (source × QPU reach), ``start``, ``period``,
    ``t_single``, ``t_double``."""
    srcs = instance.sources
    ports = np.zeros((len(srcs), instance.n_qpus), dtype=np.bool_)
    for si, s in enumerate(srcs):
        ports[si, list(s.ports)] = True
    col = {name: np.array([getattr(s, name) for s in srcs], dtype=np.int64)
           for name in ("start", "period", "t_single", "t_double")}
    return {"ports": ports, **col}


def plan_from_arrays(instance: DatacenterInstance, method: str, *,
                     init: tuple[np.ndarray, np.ndarray],
                     reconf: dict[str, np.ndarray],
                     deliveries: tuple[np.ndarray, np.ndarray, np.ndarray],
                     rejected: tuple[np.ndarray, np.ndarray],
                     shifts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     ) -> DatacenterPlan:
    """The plan of a compiled loop's integer decisions (shared by every compiled loop).

    Parameters
    ----------
    instance, method
        The instance, and the method name recorded in the plan.
    init
        Per source, the QPU indices ``(a, b)`` of its initial state (−1: unset).
    reconf
        ``source, start, end, from_a, from_b, to_a, to_b``: source and QPU indices (−1
        for the ends of an unset switch) and ticks of each reconfiguration, in order.
    deliveries
        Request positions, source indices and event indices.
    rejected
        Request positions and reason codes (:data:`REASONS`).
    shifts
        Job ids, request positions and delays of Phase E retries, if any.

    Returns
    -------
    DatacenterPlan
    """
    req = instance.requests
    src_ids = np.array([s.id for s in instance.sources], dtype=object)
    # one extra name, "", for the ends of an unset switch (index −1)
    qname = np.array([q.id for q in instance.qpus] + [""], dtype=object)
    rc = {"source": src_ids[reconf["source"]], "start": reconf["start"],
          "end": reconf["end"]}
    for end in ("from_a", "from_b", "to_a", "to_b"):
        rc[end] = qname[reconf[end]]
    init_a, init_b = init
    initial = {s.id: (None if init_a[si] < 0 else
                      (str(qname[init_a[si]]), str(qname[init_b[si]])))
               for si, s in enumerate(instance.sources)}
    d_req, d_src, d_evt = deliveries
    r_req, r_code = rejected
    extra = {}
    if shifts is not None:
        extra["shifts"] = (shifts[0], req.id[shifts[1]], shifts[2])
    return DatacenterPlan.build(
        method, initial=initial, reconf=rc,
        deliveries=(req.id[d_req], src_ids[d_src], d_evt),
        rejected=(req.id[r_req], REASONS[r_code]), **extra)


first_event_index = numba.njit(cache=True)(events.first_event_index)
"""The compiled :func:`qdcopt.datacenter.events.first_event_index`."""


@numba.njit(cache=True)
def change_time(oa, ob, a, b, t_single, t_double):  # pragma: no cover - compiled
    """``Source.reconfiguration_time`` from state ``(oa, ob)`` (``oa < 0``: unset) to
    pair ``(a, b)``: 0 for the same pair, ``t_single`` when one QPU is shared (one line
    moves), else ``t_double``.  Shared by the greedy and the dispatch loops."""
    if oa < 0:
        return t_double
    shared = (1 if a in (oa, ob) else 0) + (1 if b in (oa, ob) else 0)
    if shared == 2:
        return 0
    return t_single if shared == 1 else t_double


@numba.njit(cache=True, inline="always")
def pick_source(a, b, lo, t_eff, mem_lb, ports, s_start, s_period, t_single, t_double,
                st_a, st_b, s_last, s_ready):  # pragma: no cover - compiled
    """The greedy's choice of source for one request of pair (a, b), window [lo, t_eff].

    A source already in state (or unset) serves at its first free event
    (AcceptWithMatchSwitch); another reconfigures right after its last used event
    (AcceptWithChangeSwitch).  The event must also respect ``mem_lb`` (a communication
    qubit free at both QPUs).  A source already in state wins, then the earliest event.
    Shared by the compiled loop and the loop with retries in ``greedy.py``.

    Returns
    -------
    (source or −1, event index, event time, change 0/1, duration, feasible without memory)
    """
    found = False
    b_change = 1
    b_t = 0
    b_si = -1
    b_k = 0
    b_dur = 0
    feasible_without_memory = False
    for si in range(len(s_start)):
        if not (ports[si, a] and ports[si, b]):
            continue
        st = s_start[si]
        per = s_period[si]
        k0 = max(s_last[si] + 1, first_event_index(lo, st, per))
        if st_a[si] < 0 or (st_a[si] == a and st_b[si] == b):
            k_free = max(k0, first_event_index(s_ready[si], st, per))
            change = 0
            dur = 0
        else:
            dur = change_time(st_a[si], st_b[si], a, b, t_single[si], t_double[si])
            if s_last[si] >= 0:
                r_start = max(s_ready[si], st + s_last[si] * per + 1)
            else:
                r_start = s_ready[si]
            k_free = max(k0, first_event_index(r_start + dur, st, per))
            change = 1
        if st + k_free * per > t_eff:
            continue
        feasible_without_memory = True
        k = max(k_free, first_event_index(mem_lb, st, per))
        t_k = st + k * per
        if t_k > t_eff:
            continue
        if (not found) or (change < b_change) or (change == b_change and t_k < b_t):
            found = True
            b_change = change
            b_t = t_k
            b_si = si
            b_k = k
            b_dur = dur
    return b_si, b_k, b_t, b_change, b_dur, feasible_without_memory


@numba.njit(cache=True, inline="always")
def _earliest_event(a, b, held_lb, ports, s_start, s_period, t_single, t_double, st_a, st_b,
                    s_last, s_ready):  # pragma: no cover - compiled
    """A lower bound on the tick of any event :func:`pick_source` may choose for pair
    (a, b), whatever the request's window: every bound it puts on the event index but
    the window's own (the source's last event, the end of a move, ``held_lb``), at the
    source that allows the earliest.  While the switches and the held pairs stay as
    they are, a request needed before this tick is rejected."""
    first = 1 << 62
    for si in range(len(s_start)):
        if not (ports[si, a] and ports[si, b]):
            continue
        st = s_start[si]
        per = s_period[si]
        k = s_last[si] + 1
        if st_a[si] < 0 or (st_a[si] == a and st_b[si] == b):
            k = max(k, first_event_index(s_ready[si], st, per))
        else:
            dur = change_time(st_a[si], st_b[si], a, b, t_single[si], t_double[si])
            if s_last[si] >= 0:
                r_start = max(s_ready[si], st + s_last[si] * per + 1)
            else:
                r_start = s_ready[si]
            k = max(k, first_event_index(r_start + dur, st, per))
        if held_lb != NO_TICK:
            k = max(k, first_event_index(held_lb, st, per))
        first = min(first, st + k * per)
    return first


@numba.njit(cache=True)
def _steps_below(t, limit, step):  # pragma: no cover - compiled
    """How many of ``t, t + step, t + 2·step, …`` lie below ``limit``."""
    if limit <= t:
        return 0
    return (limit - t + step - 1) // step


@numba.njit(cache=True)
def _lands_on(t, x, step):  # pragma: no cover - compiled
    """Whether ``x`` is one of ``t, t + step, t + 2·step, …``."""
    return x >= t and (x - t) % step == 0


def greedy_arrays(instance: DatacenterInstance, delta: int = 1,
                  max_attempts: int = 0) -> dict[str, np.ndarray]:
    """Run the greedy on ``instance``; its decisions as integer arrays.

    Parameters
    ----------
    instance
        The instance.
    delta
        Delay per retry in ticks (positive).
    max_attempts
        Phase E retries per request (0: the greedy without retries).

    Returns
    -------
    dict
        ``decided`` (request positions in the order they were served or rejected),
        ``served`` (per request position: source index, −1 if rejected), ``event``
        (event index), ``reason`` (0 served, 1 no-source, 2 no-event, 3 memory), the
        reconfigurations in order ``rc_source, rc_start, rc_end, rc_from_a, rc_from_b,
        rc_to_a, rc_to_b``, ``init_a, init_b`` (per source, −1 if unset),
        the shifts ``sh_job`` (index into ``jobs``), ``sh_request`` (request position)
        and ``sh_delay`` in the order they were made, ``attempts`` (retries per request)
        and ``jobs`` (the job ids, object array).
    """
    req = instance.requests
    n = len(req)
    n_q = instance.n_qpus
    grid = source_arrays(instance)
    cap = capacity_array(instance)
    qa = req.a.astype(np.int64)
    qb = req.b.astype(np.int64)
    touches = np.bincount(qa, minlength=n_q) + np.bincount(qb, minlength=n_q)
    offset = np.r_[0, np.cumsum(touches)[:-1]].astype(np.int64)
    order = req.order().astype(np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    # Job codes only name the queues: heap ties are broken by the (unique) rank, so the
    # numbering of the jobs does not change any decision.
    codes, jobs = pd.factorize(req.job)
    codes = codes.astype(np.int64)
    n_jobs = len(jobs)
    # each job's requests in need order, job after job (a stable sort keeps the order)
    queue = order[np.argsort(codes[order], kind="stable")]
    q_end = np.cumsum(np.bincount(codes, minlength=n_jobs)).astype(np.int64)
    out = _greedy_kernel(
        queue, q_end, codes, rank, qa, qb, req.t_need.astype(np.int64), int(instance.t_max),
        cap, grid["ports"], offset, int(touches.sum()), grid["start"], grid["period"],
        grid["t_single"], grid["t_double"], int(delta), int(max_attempts))
    keys = ("decided", "served", "event", "reason", "rc_source", "rc_start", "rc_end",
            "rc_from_a", "rc_from_b", "rc_to_a", "rc_to_b", "init_a", "init_b", "sh_job",
            "sh_request", "sh_delay", "attempts")
    result = dict(zip(keys, out, strict=True))
    result["jobs"] = np.asarray(jobs, dtype=object)
    return result


@numba.njit(cache=True)
def _greedy_kernel(queue, q_end, job_of, rank, qa, qb, tneed, t_max, cap, ports,
                         offset, n_slots, s_start, s_period, t_single, t_double, step,
                         max_attempts):  # pragma: no cover - compiled
    n = len(queue)
    n_s = len(s_start)
    n_q = len(cap)
    n_jobs = len(q_end)
    served = np.full(n, -1, dtype=np.int64)
    event = np.full(n, -1, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int64)
    decided = np.empty(n, dtype=np.int64)
    n_decided = 0
    attempts = np.zeros(n, dtype=np.int64)
    rc_source = np.empty(n, dtype=np.int64)
    rc_start = np.empty(n, dtype=np.int64)
    rc_end = np.empty(n, dtype=np.int64)
    rc_from_a = np.empty(n, dtype=np.int64)
    rc_from_b = np.empty(n, dtype=np.int64)
    rc_to_a = np.empty(n, dtype=np.int64)
    rc_to_b = np.empty(n, dtype=np.int64)
    n_rc = 0
    # shift records grow on demand: their number is only bounded by the retries
    sh_job = np.empty(16, dtype=np.int64)
    sh_req = np.empty(16, dtype=np.int64)
    sh_delay = np.empty(16, dtype=np.int64)
    n_sh = 0
    st_a = np.full(n_s, -1, dtype=np.int64)
    st_b = np.full(n_s, -1, dtype=np.int64)
    init_a = np.full(n_s, -1, dtype=np.int64)
    init_b = np.full(n_s, -1, dtype=np.int64)
    s_last = np.full(n_s, -1, dtype=np.int64)
    s_ready = np.zeros(n_s, dtype=np.int64)
    # need times of the pairs accepted at each QPU, sorted, QPU q's from held[offset[q]] on
    held = np.empty(max(1, n_slots), dtype=np.int64)
    n_held = np.zeros(n_q, dtype=np.int64)
    job_delay = np.zeros(n_jobs, dtype=np.int64)
    # head[j]: position in `queue` of job j's next request; queue[q_start:q_end[j]] is job
    # j's requests in need order
    head = np.empty(n_jobs, dtype=np.int64)
    # one heap entry per job with requests left: (effective need time, rank, job)
    h_t = np.empty(max(1, n_jobs), dtype=np.int64)
    h_r = np.empty(max(1, n_jobs), dtype=np.int64)
    h_j = np.empty(max(1, n_jobs), dtype=np.int64)
    size = 0
    for j in range(n_jobs):
        head[j] = 0 if j == 0 else q_end[j - 1]
        if head[j] < q_end[j]:
            first = queue[head[j]]
            size = pair_push(h_t, h_r, h_j, size, tneed[first], rank[first], j)
    current = -1
    retried = False
    while True:
        if current >= 0 and not retried:
            head[current] += 1
            if head[current] < q_end[current]:
                nxt = queue[head[current]]
                size = pair_push(h_t, h_r, h_j, size, tneed[nxt] + job_delay[current],
                                  rank[nxt], current)
        retried = False
        if size == 0:
            break
        t_eff, rk, current, size = pair_pop(h_t, h_r, h_j, size)
        i = queue[head[current]]
        a = qa[i]
        b = qb[i]
        any_source = False
        for si in range(n_s):
            if ports[si, a] and ports[si, b]:
                any_source = True
                break
        if not any_source:
            reason[i] = 1
            decided[n_decided] = i
            n_decided += 1
            continue
        lo = t_eff - t_max
        # the earliest tick at which both QPUs have a free communication qubit, as far
        # as the pairs held tell (NO_TICK: no bound)
        held_lb = NO_TICK
        for q in (a, b):
            c = cap[q]
            if c != NO_CAP and n_held[q] >= c:
                t_c = held[offset[q] + n_held[q] - c]
                if t_c + 1 > held_lb:
                    held_lb = t_c + 1
        mem_lb = max(lo, held_lb)
        b_si, b_k, b_t, b_change, b_dur, feasible_without_memory = pick_source(
            a, b, lo, t_eff, mem_lb, ports, s_start, s_period, t_single, t_double,
            st_a, st_b, s_last, s_ready)
        if b_si < 0:
            if attempts[i] < max_attempts:
                attempts[i] += 1
                job = job_of[i]
                job_delay[job] += step
                # consecutive retries of one request make one shift record
                if n_sh > 0 and sh_req[n_sh - 1] == i and sh_job[n_sh - 1] == job:
                    sh_delay[n_sh - 1] += step
                else:
                    if n_sh == len(sh_job):
                        sh_job = grown(sh_job)
                        sh_req = grown(sh_req)
                        sh_delay = grown(sh_delay)
                    sh_job[n_sh] = job
                    sh_req[n_sh] = i
                    sh_delay[n_sh] = step
                    n_sh += 1
                t_next = tneed[i] + job_delay[job]
                # The retries that are sure to fail, taken at once: while no other request
                # comes off the heap first, nothing changes but this request's time, and
                # before every source's earliest possible event (see _earliest_event) the
                # request fails again; the loop would delay it once per retry.
                if attempts[i] < max_attempts:
                    skip = max_attempts - attempts[i]
                    first = _earliest_event(a, b, held_lb, ports, s_start, s_period,
                                            t_single, t_double, st_a, st_b, s_last, s_ready)
                    skip = min(skip, _steps_below(t_next, first, step))
                    if size > 0 and skip > 0:
                        # the other requests' head comes off first once this one reaches it
                        skip = min(skip, _steps_below(t_next, h_t[0], step)
                                   + (1 if _lands_on(t_next, h_t[0], step) and rk < h_r[0]
                                      else 0))
                    if skip > 0:
                        attempts[i] += skip
                        job_delay[job] += skip * step
                        sh_delay[n_sh - 1] += skip * step
                        t_next += skip * step
                size = pair_push(h_t, h_r, h_j, size, t_next, rk, job)
                retried = True
                continue
            reason[i] = 3 if feasible_without_memory else 2
            decided[n_decided] = i
            n_decided += 1
            continue
        si = b_si
        if st_a[si] < 0:
            init_a[si] = a
            init_b[si] = b
        elif b_change == 1:
            # switch just in time: the reconfiguration ends at the event it serves
            rc_source[n_rc] = si
            rc_start[n_rc] = b_t - b_dur
            rc_end[n_rc] = b_t
            rc_from_a[n_rc] = st_a[si]
            rc_from_b[n_rc] = st_b[si]
            rc_to_a[n_rc] = a
            rc_to_b[n_rc] = b
            n_rc += 1
            s_ready[si] = b_t
        st_a[si] = a
        st_b[si] = b
        s_last[si] = b_k
        served[i] = si
        event[i] = b_k
        decided[n_decided] = i
        n_decided += 1
        for q in (a, b):
            _insert_sorted(held, offset[q], n_held[q], t_eff)
            n_held[q] += 1
    return (decided[:n_decided], served, event, reason, rc_source[:n_rc], rc_start[:n_rc],
            rc_end[:n_rc], rc_from_a[:n_rc], rc_from_b[:n_rc], rc_to_a[:n_rc],
            rc_to_b[:n_rc], init_a, init_b, sh_job[:n_sh].copy(), sh_req[:n_sh].copy(),
            sh_delay[:n_sh].copy(), attempts)


@numba.njit(cache=True)
def grown(arr):  # pragma: no cover - compiled
    """A copy of ``arr`` with room for as many entries again (for tables that grow)."""
    out = np.empty(2 * len(arr), dtype=arr.dtype)
    out[:len(arr)] = arr
    return out


@numba.njit(cache=True, inline="always")
def _insert_sorted(buf, start, count, t):  # pragma: no cover - compiled
    """Insert ``t`` into the sorted ``buf[start:start + count]`` after any equal values
    (as ``bisect.insort``); the slot ``buf[start + count]`` must be free."""
    end = start + count
    if count == 0 or buf[end - 1] <= t:  # the usual case: times arrive in order
        buf[end] = t
        return
    lo = start
    hi = end
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    for x in range(end, lo, -1):
        buf[x] = buf[x - 1]
    buf[lo] = t
