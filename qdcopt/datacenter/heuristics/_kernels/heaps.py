"""The binary min-heaps of the compiled loops, on preallocated integer arrays.

Two kinds, both running :mod:`heapq`'s algorithm (``_siftdown`` / ``_siftup``, which
CPython's C module runs as well):

* a heap of single integer keys living in a region ``key[base : base + n]`` of a flat
  array (the dispatcher's per-pair pending heaps and per-QPU held heaps);
* a heap ordered by two integer keys, with an integer payload carried along, in three
  parallel arrays (the greedy's job queue ordered by need time then rank, with the job).

They are inlined where they are called (``inline="always"``): the loops call them per
request, and a call costs more than the few comparisons a small heap takes.

The caller keeps the length: the functions take it and return the new one (or the caller
adds or takes one itself, as their docstrings say).
"""

from __future__ import annotations

import numba


@numba.njit(cache=True, inline="always")
def sift_down(key, base, startpos, pos):  # pragma: no cover - compiled
    """``heapq._siftdown`` on the region of ``key`` starting at ``base``."""
    newitem = key[base + pos]
    while pos > startpos:
        parentpos = (pos - 1) >> 1
        parent = key[base + parentpos]
        if newitem < parent:
            key[base + pos] = parent
            pos = parentpos
            continue
        break
    key[base + pos] = newitem


@numba.njit(cache=True, inline="always")
def sift_up(key, base, n, pos):  # pragma: no cover - compiled
    """``heapq._siftup`` on the region of ``key`` starting at ``base`` (length ``n``)."""
    startpos = pos
    newitem = key[base + pos]
    childpos = 2 * pos + 1
    while childpos < n:
        rightpos = childpos + 1
        if rightpos < n and not key[base + childpos] < key[base + rightpos]:
            childpos = rightpos
        key[base + pos] = key[base + childpos]
        pos = childpos
        childpos = 2 * pos + 1
    key[base + pos] = newitem
    sift_down(key, base, startpos, pos)


@numba.njit(cache=True, inline="always")
def heap_push(key, base, n, item):  # pragma: no cover - compiled
    """heapq.heappush onto the heap of length ``n`` (the caller adds one to it)."""
    key[base + n] = item
    sift_down(key, base, 0, n)


@numba.njit(cache=True, inline="always")
def heap_pop(key, base, n):  # pragma: no cover - compiled
    """heapq.heappop from the heap of length ``n`` (the caller takes one from it)."""
    last = key[base + n - 1]
    if n - 1 > 0:
        item = key[base]
        key[base] = last
        sift_up(key, base, n - 1, 0)
        return item
    return last


@numba.njit(cache=True, inline="always")
def less2(a1, a2, b1, b2):  # pragma: no cover - compiled
    """Whether ``(a1, a2) < (b1, b2)`` as tuples."""
    return a1 < b1 or (a1 == b1 and a2 < b2)


@numba.njit(cache=True, inline="always")
def pair_push(h1, h2, hv, n, k1, k2, v):  # pragma: no cover - compiled
    """heapq.heappush of ``(k1, k2)`` with payload ``v``; returns the new length."""
    pos = n
    while pos > 0:
        parentpos = (pos - 1) >> 1
        if less2(k1, k2, h1[parentpos], h2[parentpos]):
            h1[pos] = h1[parentpos]
            h2[pos] = h2[parentpos]
            hv[pos] = hv[parentpos]
            pos = parentpos
            continue
        break
    h1[pos] = k1
    h2[pos] = k2
    hv[pos] = v
    return n + 1


@numba.njit(cache=True, inline="always")
def pair_pop(h1, h2, hv, n):  # pragma: no cover - compiled
    """heapq.heappop of the least ``(k1, k2)``; returns ``(k1, k2, payload, new length)``."""
    k1 = h1[0]
    k2 = h2[0]
    v = hv[0]
    n -= 1
    if n > 0:
        last1 = h1[n]
        last2 = h2[n]
        lastv = hv[n]
        pos = 0
        child = 1
        while child < n:
            if child + 1 < n and not less2(h1[child], h2[child], h1[child + 1], h2[child + 1]):
                child += 1
            h1[pos] = h1[child]
            h2[pos] = h2[child]
            hv[pos] = hv[child]
            pos = child
            child = 2 * pos + 1
        while pos > 0:
            parent = (pos - 1) >> 1
            if not less2(last1, last2, h1[parent], h2[parent]):
                break
            h1[pos] = h1[parent]
            h2[pos] = h2[parent]
            hv[pos] = hv[parent]
            pos = parent
        h1[pos] = last1
        h2[pos] = last2
        hv[pos] = lastv
    return k1, k2, v, n
