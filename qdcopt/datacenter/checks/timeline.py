"""Rules 3 and 4 as compiled passes: one switch's timeline, and the deliveries it serves.

A switch state is the pair code ``a · n_qpus + b`` with ``a < b`` (−1: unset, or a state
that names no valid pair).  A switch's timeline is sequential (each reconfiguration starts
from the state the previous one left), so it is one compiled loop over the switch's
reconfigurations sorted by start; the deliveries are then placed on it by bisection, and
the deliveries it serves are checked against the paper's net-change rule in time order.
Each pass returns flags (and the figures the messages quote); the validator words them.
"""

from __future__ import annotations

import numba
import numpy as np

SERVED, RECONFIGURING, MISMATCH = 0, 1, 2
"""What :func:`replay` says of a delivery."""


@numba.njit(cache=True)
def pair_code(qa, qb, reach_a, reach_b, n_q):  # pragma: no cover - compiled
    """The state joining QPU positions ``qa`` and ``qb``, or −1 when they are not two
    distinct QPUs the switch reaches (``reach_a``, ``reach_b``: whether it reaches each;
    scalars, so that the call costs no reference counting)."""
    if qa < 0 or qb < 0 or qa == qb or not reach_a or not reach_b:
        return -1
    if qa < qb:
        return qa * n_q + qb
    return qb * n_q + qa


@numba.njit(cache=True)
def move_time(oa, ob, a, b, t_single, t_double):  # pragma: no cover - compiled
    """``Source.reconfiguration_time`` from the state joining ``oa`` and ``ob`` (``oa``
    −1: unset) to the one joining ``a`` and ``b``."""
    if oa < 0:
        return t_double
    shared = (1 if a in (oa, ob) else 0) + (1 if b in (oa, ob) else 0)
    if shared == 2:
        return 0
    return t_single if shared == 1 else t_double


@numba.njit(cache=True)
def timeline(start, end, from_set, from_a, from_b, to_a, to_b, ports, init,
             t_single, t_double):  # pragma: no cover - compiled
    """One switch's reconfigurations, sorted by start, checked in order.

    Parameters
    ----------
    start, end
        Ticks of each reconfiguration.
    from_set
        Whether the reconfiguration names a start state.
    from_a, from_b, to_a, to_b
        QPU positions of its ends (−1: not a QPU of the instance).
    ports
        Per QPU, whether the switch reaches it.
    init
        The initial state.
    t_single, t_double
        The switch's move durations.

    Returns
    -------
    tuple
        ``state`` (after each move), ``current`` (before it), ``flags`` (bit 0: its start
        state is not a valid pair, 1: its target is not, 2 ``A4-FROM-STATE``, 3
        ``A4-OVERLAP``, 4 ``A4-NO-CHANGE``, 5 ``A4-DURATION``), ``required`` (the move's
        duration), and the numbers of single- and double-line moves.
    """
    m = len(start)
    n_q = len(ports)
    state = np.empty(m, dtype=np.int64)
    current = np.empty(m, dtype=np.int64)
    flags = np.zeros(m, dtype=np.int64)
    required = np.zeros(m, dtype=np.int64)
    n_single = 0
    n_double = 0
    now = init
    # the ends of the current state, kept beside its code (dividing costs more)
    now_a = init // n_q if init >= 0 else -1
    now_b = init % n_q if init >= 0 else -1
    for r in range(m):
        old = -1
        if from_set[r]:
            fa = from_a[r]
            fb = from_b[r]
            old = pair_code(fa, fb, fa >= 0 and ports[fa], fb >= 0 and ports[fb], n_q)
            if old < 0:
                flags[r] |= 1
        ta = to_a[r]
        tb = to_b[r]
        new = pair_code(ta, tb, ta >= 0 and ports[ta], tb >= 0 and ports[tb], n_q)
        if new < 0:
            flags[r] |= 2
        if old != now:
            flags[r] |= 4
        if r > 0 and start[r] < end[r - 1]:
            flags[r] |= 8
        new_a = min(ta, tb)
        new_b = max(ta, tb)
        if new >= 0:
            if new == now:
                flags[r] |= 16
            dur = move_time(now_a, now_b, new_a, new_b, t_single, t_double)
            required[r] = dur
            # a move that shares one QPU moves one line; any other counts as double
            # (the reference counts a move that keeps its pair as double too)
            if now >= 0 and move_time(now_a, now_b, new_a, new_b, 1, 2) == 1:
                n_single += 1
            else:
                n_double += 1
            if end[r] - start[r] != dur and new != now:
                flags[r] |= 32
        current[r] = now
        state[r] = new
        now = new
        now_a = new_a if new >= 0 else -1
        now_b = new_b if new >= 0 else -1
    return state, current, flags, required, n_single, n_double


@numba.njit(cache=True)
def replay(mine, d_time, d_req, req_a, req_b, start, end, state, init,
           n_q):  # pragma: no cover - compiled
    """Place each delivery of one switch on its timeline.

    Parameters
    ----------
    mine
        The switch's deliveries (plan rows), in plan order.
    d_time, d_req
        Per plan row, the delivery's tick and its request's position.
    req_a, req_b
        Per request, the QPU positions of its pair (``a < b``).
    start, end, state
        The timeline from :func:`timeline` (reconfigurations sorted by start).
    init
        The initial state.
    n_q
        Number of QPUs (states are ``a · n_q + b``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Per delivery: :data:`SERVED`, :data:`RECONFIGURING` or :data:`MISMATCH`; the
        last reconfiguration started at or before it (−1: none); the state it found.
    """
    n = len(mine)
    m = len(start)
    status = np.zeros(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    have = np.empty(n, dtype=np.int64)
    p = -1  # last reconfiguration with start <= t (deliveries mostly come in time order)
    prev = np.iinfo(np.int64).min
    for k in range(n):
        t = d_time[mine[k]]
        if t < prev:  # out of order: bisect again from the beginning
            lo = 0
            hi = m
            while lo < hi:
                mid = (lo + hi) >> 1
                if start[mid] <= t:
                    lo = mid + 1
                else:
                    hi = mid
            p = lo - 1
        else:
            while p + 1 < m and start[p + 1] <= t:
                p += 1
        prev = t
        last[k] = p
        if p >= 0 and t < end[p]:
            status[k] = RECONFIGURING
            have[k] = -1
            continue
        h = state[p] if p >= 0 else init
        have[k] = h
        i = d_req[mine[k]]
        if h != req_a[i] * n_q + req_b[i]:
            status[k] = MISMATCH
    return status, last, have


@numba.njit(cache=True)
def net_change_flags(served, d_time, d_req, req_a, req_b, t_single,
                     t_double):  # pragma: no cover - compiled
    """The paper's rule on one switch's deliveries ``served`` (plan rows in time order):
    a delivery to another pair, later than the previous one, must come at least the net
    change after it.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Per delivery, whether it breaks the rule, and the net change's duration.
    """
    n = len(served)
    broken = np.zeros(n, dtype=np.bool_)
    need = np.zeros(n, dtype=np.int64)
    for k in range(1, n):
        i = d_req[served[k]]
        h = d_req[served[k - 1]]
        t = d_time[served[k]]
        t0 = d_time[served[k - 1]]
        if (req_a[i] != req_a[h] or req_b[i] != req_b[h]) and t > t0:
            d = move_time(req_a[h], req_b[h], req_a[i], req_b[i], t_single, t_double)
            need[k] = d
            broken[k] = t < t0 + 1 + d
    return broken, need
