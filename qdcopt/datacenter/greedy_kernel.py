"""The paper-000 greedy without retries, as one compiled loop over integer arrays.

Same decisions as :func:`qdcopt.datacenter.greedy.greedy` with ``retries=False`` (a test
holds the two to the same plan); only faster, so that the scheduler keeps pace with
instances of millions of requests.  Without retries requests are taken strictly in need
order, so the need times of the pairs held at each QPU arrive in order and a plain
append-only array per QPU replaces the sorted lists.
"""

from __future__ import annotations

import numba
import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance

NO_CAP = -1


def greedy_arrays(instance: DatacenterInstance) -> dict[str, np.ndarray]:
    """Run the greedy on ``instance`` and return its decisions as integer arrays.

    Returns
    -------
    dict
        ``served`` (request position → source index, −1 if rejected), ``event``
        (event index), ``reason`` (0 served, 1 no-source, 2 no-event, 3 memory),
        ``rc_source, rc_start, rc_end, rc_from_a, rc_from_b, rc_to_a, rc_to_b``
        (reconfigurations in order), ``init_a, init_b`` (per source, −1 if unset).
    """
    req = instance.requests
    n_q = instance.n_qpus
    grid = source_arrays(instance)
    cap = np.array([NO_CAP if q.comm_qubits is None else q.comm_qubits for q in instance.qpus],
                   dtype=np.int64)
    qa = req.a.astype(np.int64)
    qb = req.b.astype(np.int64)
    # each QPU holds at most the pairs of the requests that touch it: one flat buffer
    touches = np.bincount(qa, minlength=n_q) + np.bincount(qb, minlength=n_q)
    offset = np.r_[0, np.cumsum(touches)[:-1]].astype(np.int64)
    out = _greedy_kernel(
        req.order().astype(np.int64), qa, qb, req.t_need.astype(np.int64),
        int(instance.t_max), cap, grid["ports"], offset, int(touches.sum()), grid["start"],
        grid["period"], grid["t_single"], grid["t_double"])
    keys = ("served", "event", "reason", "rc_source", "rc_start", "rc_end", "rc_from_a",
            "rc_from_b", "rc_to_a", "rc_to_b", "init_a", "init_b")
    return dict(zip(keys, out, strict=True))


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


@numba.njit(cache=True)
def _ceil_event(t, start, period):  # pragma: no cover - compiled
    if t <= start:
        return 0
    return -((start - t) // period)


@numba.njit(cache=True)
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
        k0 = max(s_last[si] + 1, _ceil_event(lo, st, per))
        if st_a[si] < 0 or (st_a[si] == a and st_b[si] == b):
            k_free = max(k0, _ceil_event(s_ready[si], st, per))
            change = 0
            dur = 0
        else:
            shared = (1 if (a == st_a[si] or a == st_b[si]) else 0) + \
                (1 if (b == st_a[si] or b == st_b[si]) else 0)
            dur = t_single[si] if shared == 1 else t_double[si]
            if s_last[si] >= 0:
                r_start = max(s_ready[si], st + s_last[si] * per + 1)
            else:
                r_start = s_ready[si]
            k_free = max(k0, _ceil_event(r_start + dur, st, per))
            change = 1
        if st + k_free * per > t_eff:
            continue
        feasible_without_memory = True
        k = max(k_free, _ceil_event(mem_lb, st, per))
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


@numba.njit(cache=True)
def _greedy_kernel(order, qa, qb, tneed, t_max, cap, ports, offset, n_slots, s_start,
                   s_period, t_single, t_double):  # pragma: no cover - compiled
    n = len(order)
    n_s = len(s_start)
    n_q = len(cap)
    served = np.full(n, -1, dtype=np.int64)
    event = np.full(n, -1, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int8)
    rc_source = np.empty(n, dtype=np.int64)
    rc_start = np.empty(n, dtype=np.int64)
    rc_end = np.empty(n, dtype=np.int64)
    rc_from_a = np.empty(n, dtype=np.int64)
    rc_from_b = np.empty(n, dtype=np.int64)
    rc_to_a = np.empty(n, dtype=np.int64)
    rc_to_b = np.empty(n, dtype=np.int64)
    n_rc = 0
    st_a = np.full(n_s, -1, dtype=np.int64)   # switch state per source
    st_b = np.full(n_s, -1, dtype=np.int64)
    init_a = np.full(n_s, -1, dtype=np.int64)
    init_b = np.full(n_s, -1, dtype=np.int64)
    s_last = np.full(n_s, -1, dtype=np.int64)
    s_ready = np.zeros(n_s, dtype=np.int64)
    # need times of the pairs accepted at each QPU, in order (append only), QPU q's from
    # held[offset[q]] on
    held = np.empty(max(1, n_slots), dtype=np.int64)
    n_held = np.zeros(n_q, dtype=np.int64)
    for pos in range(n):
        i = order[pos]
        a = qa[i]
        b = qb[i]
        t_eff = tneed[i]
        any_source = False
        for si in range(n_s):
            if ports[si, a] and ports[si, b]:
                any_source = True
                break
        if not any_source:
            reason[i] = 1
            continue
        lo = t_eff - t_max
        mem_lb = lo
        for q in (a, b):
            c = cap[q]
            if c != NO_CAP and n_held[q] >= c:
                t_c = held[offset[q] + n_held[q] - c]
                if t_c + 1 > mem_lb:
                    mem_lb = t_c + 1
        b_si, b_k, b_t, b_change, b_dur, feasible_without_memory = pick_source(
            a, b, lo, t_eff, mem_lb, ports, s_start, s_period, t_single, t_double,
            st_a, st_b, s_last, s_ready)
        if b_si < 0:
            reason[i] = 3 if feasible_without_memory else 2
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
        for q in (a, b):
            held[offset[q] + n_held[q]] = t_eff
            n_held[q] += 1
    return (served, event, reason.astype(np.int64), rc_source[:n_rc], rc_start[:n_rc],
            rc_end[:n_rc], rc_from_a[:n_rc], rc_from_b[:n_rc], rc_to_a[:n_rc],
            rc_to_b[:n_rc], init_a, init_b)
