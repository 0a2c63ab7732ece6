"""The event-window arithmetic against a walk over the grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qdcopt.datacenter.events import (
    first_event_index,
    last_event_index,
    window_events,
)


def _walk(lo: int, hi: int, start: int, period: int) -> list[int]:
    """Event indices in [lo, hi] found by listing the grid."""
    return [k for k in range(0, hi // period + 2) if lo <= start + k * period <= hi]


@given(st.lists(st.integers(0, 200), min_size=1, max_size=20), st.integers(0, 60),
       st.integers(0, 50), st.integers(1, 17))
def test_window_events_match_a_walk(t_need, t_max, start, period):
    first, last = window_events(np.array(t_need), t_max, start, period)
    for i, t in enumerate(t_need):
        ks = _walk(t - t_max, t, start, period)
        if ks:
            assert (first[i], last[i]) == (ks[0], ks[-1])
        else:
            assert first[i] > last[i]
        assert first[i] == first_event_index(t - t_max, start, period)
        assert last[i] == last_event_index(t, start, period)


def test_hand_computed_window():
    # grid 3, 8, 13, 18, …; window [5, 14] holds events 1 and 2
    assert window_events(np.array([14]), 9, 3, 5) == (np.array([1]), np.array([2]))
    assert last_event_index(2, 3, 5) == -1
    assert first_event_index(-4, 3, 5) == 0
