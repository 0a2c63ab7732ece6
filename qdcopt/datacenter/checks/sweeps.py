"""The validator's other sequential passes: job shifts, EPR-event reuse, stored pairs.

Each is one compiled loop over arrays the validator prepares; where a pass needs its
input in time order it is given an order, and :func:`sorted_order` saves the sort when the
plan already comes in that order (every method's plan does, source by source).
"""

from __future__ import annotations

import numba
import numpy as np


def sorted_order(values: np.ndarray) -> np.ndarray | None:
    """The stable ascending order of ``values``, or ``None`` when they are already in it.

    Parameters
    ----------
    values
        A one-dimensional integer array.

    Returns
    -------
    numpy.ndarray or None
    """
    if _ascending(values):
        return None
    return np.argsort(values, kind="stable")


def ascending(values: np.ndarray) -> bool:
    """Whether ``values`` never decrease."""
    return bool(_ascending(values))


@numba.njit(cache=True)
def order_by_position(keys, n):  # pragma: no cover - compiled
    """The stable ascending order of ``keys``, integers in ``[0, n)``, by counting: a
    sort in linear time, for keys that are request positions."""
    count = np.zeros(n + 1, dtype=np.int64)
    for k in keys:
        count[k + 1] += 1
    for j in range(n):
        count[j + 1] += count[j]
    order = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        order[count[keys[i]]] = i
        count[keys[i]] += 1
    return order


@numba.njit(cache=True)
def ascending_at(values, index):  # pragma: no cover - compiled
    """Whether ``values[index]`` never decrease (without making ``values[index]``)."""
    for k in range(1, len(index)):  # noqa: SIM110 - numba compiles no all(generator)
        if values[index[k]] < values[index[k - 1]]:
            return False
    return True


@numba.njit(cache=True)
def _ascending(values):  # pragma: no cover - compiled
    for i in range(1, len(values)):  # noqa: SIM110 - numba compiles no all(generator)
        if values[i] < values[i - 1]:
            return False
    return True


@numba.njit(cache=True)
def scatter_add(n, where, amounts):  # pragma: no cover - compiled
    """``out[where[i]] += amounts[i]`` over ``n`` slots, in integers."""
    out = np.zeros(n, dtype=np.int64)
    for i in range(len(where)):
        out[where[i]] += amounts[i]
    return out


@numba.njit(cache=True)
def running_sums_by_group(values, groups, n_groups, order):  # pragma: no cover - compiled
    """Per entry, the sum of its group's values up to it along ``order`` (all entries,
    ``order`` −1-free), restarting in each group: a job shift delays every later request
    of its job."""
    acc = np.zeros(n_groups, dtype=np.int64)
    out = np.empty(len(values), dtype=np.int64)
    for k in range(len(order)):
        i = order[k]
        acc[groups[i]] += values[i]
        out[i] = acc[groups[i]]
    return out


@numba.njit(cache=True)
def group_max(values, groups, n_groups):  # pragma: no cover - compiled
    """The largest value of each group, 0 for a group without a positive one."""
    out = np.zeros(n_groups, dtype=np.int64)
    for i in range(len(values)):
        if values[i] > out[groups[i]]:
            out[groups[i]] = values[i]
    return out


@numba.njit(cache=True)
def events_rise(sources, events, n_sources):  # pragma: no cover - compiled
    """Whether every source's event indices rise strictly in plan order (then no EPR
    event serves two pairs, and the validator needs no sort to know it)."""
    last = np.full(n_sources, -1, dtype=np.int64)
    for i in range(len(sources)):
        s = sources[i]
        if events[i] <= last[s]:
            return False
        last[s] = events[i]
    return True


@numba.njit(cache=True)
def stored_peaks(starts, stops, qa, qb, n_q, cap, start_order, stop_order
                 ):  # pragma: no cover - compiled
    """Peak stored pairs per QPU, a pair holding a qubit at both its QPUs over the closed
    interval ``[start, stop]``.

    Intervals are taken by ``start_order`` and ``stop_order`` (ascending starts and
    stops); a start at tick t comes before a stop at t, since both pairs hold a qubit at t.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Per QPU, the peak, and the first tick at which it holds more than ``cap`` (−1:
        never).
    """
    level = np.zeros(n_q, dtype=np.int64)
    peak = np.zeros(n_q, dtype=np.int64)
    first_over = np.full(n_q, -1, dtype=np.int64)
    n = len(starts)
    j = 0
    for k in range(n):
        i = start_order[k]
        t = starts[i]
        while j < n and stops[stop_order[j]] < t:
            e = stop_order[j]
            level[qa[e]] -= 1
            level[qb[e]] -= 1
            j += 1
        for q in (qa[i], qb[i]):
            level[q] += 1
            if level[q] > peak[q]:
                peak[q] = level[q]
            if level[q] > cap[q] and first_over[q] < 0:
                first_over[q] = t
    return peak, first_over
