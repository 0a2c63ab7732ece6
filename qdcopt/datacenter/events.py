"""Which EPR events of a source fall in a tick interval: the event-window arithmetic.

A source emits at ``start + k·period`` for ``k = 0, 1, …``.  A request needed at ``t_need``
can use the events in its storage window ``[t_need − t_max, t_need]``; every method, the
switch model's slots and the job selection count events the same way, from here.

The scalar functions use only integer arithmetic, so the compiled loops wrap them with
``numba.njit`` as they are; the array functions take numpy arrays (or scalars) of ticks.
"""

from __future__ import annotations

import numpy as np


def first_event_index(t, start, period):
    """Index of a grid's first event at or after tick ``t`` (never negative).

    Parameters
    ----------
    t, start, period
        The tick, and the grid's event 0 and spacing (integers).

    Returns
    -------
    int
    """
    if t <= start:
        return 0
    return -((start - t) // period)


def last_event_index(t, start, period):
    """Index of a grid's last event at or before tick ``t`` (−1 if none); the arguments
    are those of :func:`first_event_index`."""
    if t < start:
        return -1
    return (t - start) // period


def first_events(t: np.ndarray, start: int, period: int) -> np.ndarray:
    """:func:`first_event_index` of every tick of ``t``."""
    t = np.asarray(t)
    return np.where(t <= start, 0, -((start - t) // period))


def last_events(t: np.ndarray, start: int, period: int) -> np.ndarray:
    """:func:`last_event_index` of every tick of ``t``."""
    t = np.asarray(t)
    return np.where(t < start, -1, (t - start) // period)


def events_between(lo: np.ndarray, hi: np.ndarray, start: int, period: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """First and last event index in each closed interval ``[lo, hi]``.

    Parameters
    ----------
    lo, hi
        Interval ends in ticks (arrays of one shape, or scalars).
    start, period
        The grid.

    Returns
    -------
    (first, last)
        Event indices; the interval holds no event where ``first > last``.
    """
    return first_events(lo, start, period), last_events(hi, start, period)


def window_events(t_need: np.ndarray, t_max: int, start: int, period: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """First and last event index in each request's window ``[t_need − t_max, t_need]``.

    Parameters
    ----------
    t_need
        Need times in ticks.
    t_max
        Longest storage time in ticks.
    start, period
        The source's grid.

    Returns
    -------
    (first, last)
        Event indices; a request has no event in its window where ``first > last``.
    """
    t_need = np.asarray(t_need)
    return events_between(t_need - t_max, t_need, start, period)
