"""The dispatcher's queue of pairs by deadline: a sorted array holding a heap's entries.

The reference engine keeps ``(deadline, pair)`` entries in a :mod:`heapq` heap, stale
entries included (they are dropped when they come off).  What the engine sees of that heap
is the order in which entries come off, and that order depends only on the multiset of
entries it holds: a sorted array of the same entries gives them off in the same order.
At every decision the engine reads the queue from its front and puts most of what it read
back; on a sorted array that is a walk and a write per entry, where a heap pays two sifts.

The entries are ``[lo, hi)`` of two parallel arrays (deadline, pair), ascending by
(deadline, pair); ``pos[LO]`` and ``pos[HI]`` hold the ends, so that the functions can move
them.  An insertion finds its place by bisection and shifts the shorter side by one slot.
:func:`queue_reserve`, called once per decision before any insertion, leaves room on both
sides for every insertion a decision can make, so that the functions never reallocate (only
:func:`queue_reserve` returns new arrays).

The shifting loops index with unsigned integers: with signed ones the compiler must allow
for negative indices (counted from the end) and cannot turn the loop into block moves.
"""

from __future__ import annotations

import numba
import numpy as np

LO = 0
"""Slot of ``pos`` holding the first entry's index."""
HI = 1
"""Slot of ``pos`` holding the index after the last entry."""


@numba.njit(cache=True)
def queue_new(room):  # pragma: no cover - compiled
    """Empty queue arrays ``(deadlines, pairs)`` and ends ``pos``, with room for ``room``
    insertions on either side."""
    pos = np.full(2, room, dtype=np.int64)
    return (np.empty(2 * room + 16, dtype=np.int64), np.empty(2 * room + 16, dtype=np.int64),
            pos)


@numba.njit(cache=True)
def queue_reserve(qd, qp, pos, room):  # pragma: no cover - compiled
    """The queue arrays with at least ``room`` free slots on either side of the entries
    (the same arrays when they have them; otherwise the entries move to the middle, of
    larger arrays if need be)."""
    lo = pos[LO]
    hi = pos[HI]
    if lo >= room and len(qd) - hi >= room:
        return qd, qp
    size = hi - lo
    # a copy, not a move within the arrays: the old and new places may overlap
    nd = np.empty(max(len(qd), 2 * (size + 2 * room)), dtype=np.int64)
    npair = np.empty(len(nd), dtype=np.int64)
    start = (len(nd) - size) // 2
    for j in range(size):
        nd[start + j] = qd[lo + j]
        npair[start + j] = qp[lo + j]
    pos[LO] = start
    pos[HI] = start + size
    return nd, npair


@numba.njit(cache=True, inline="always")
def queue_insert(qd, qp, pos, d, p):  # pragma: no cover - compiled
    """Insert ``(d, p)`` at its place (a free slot on either side is needed)."""
    lo = pos[LO]
    hi = pos[HI]
    # first entry above (d, p); among equal entries any place gives the same queue
    a = lo
    b = hi
    while a < b:
        m = (a + b) >> 1
        if qd[m] < d or (qd[m] == d and qp[m] <= p):
            a = m + 1
        else:
            b = m
    if a - lo < hi - a:
        # shift the entries before the place one slot to the front
        src = np.uint64(lo)
        for _ in range(a - lo):
            qd[src - np.uint64(1)] = qd[src]
            qp[src - np.uint64(1)] = qp[src]
            src += np.uint64(1)
        qd[a - 1] = d
        qp[a - 1] = p
        pos[LO] = lo - 1
    else:
        dst = np.uint64(hi)
        for _ in range(hi - a):
            qd[dst] = qd[dst - np.uint64(1)]
            qp[dst] = qp[dst - np.uint64(1)]
            dst -= np.uint64(1)
        qd[a] = d
        qp[a] = p
        pos[HI] = hi + 1
