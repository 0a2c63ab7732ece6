"""Combinatorial upper bounds for switch assignment that need no solver.

These bounds hold for every valid plan; they are what the switch MILP reports for blocks
it has no time (or memory) to model, and they cap the bound of blocks it does model.
"""

from __future__ import annotations

import heapq
from dataclasses import replace

import numpy as np

from qdcopt.datacenter.switch.data import BlockData, SwitchCosts

STRETCH_LENGTHS = (5, 10, 20, 40, 80, 160)
"""Stretch lengths (events) tried by :func:`stretch_bound`."""


def event_bound(block: BlockData) -> int:
    """Most requests of ``block`` that any plan can serve if switching were free.

    Each EPR event delivers at most one pair (validator rule 2) and a request can only
    use an event inside its window (rule 5); switch reconfigurations and memory are
    ignored, and every source's events count for every request (reach ignored), so the
    result bounds every valid plan.  The relaxation is a bipartite matching of requests
    to events on a convex bipartite graph (each request's events are consecutive
    slots); serving, slot after slot, the open requests with the earliest last slot is
    optimal for it (Glover's rule).  Inside one slot all events serve the same requests,
    so the sweep runs over slots with their event counts, not over events.

    Parameters
    ----------
    block
        One independent block (from :func:`~qdcopt.datacenter.switch.data.preprocess`).

    Returns
    -------
    int
        The bound, at most ``len(block.requests)``.
    """
    capacity = block.n_events.sum(axis=0)
    sizes = block.group_size()
    order = np.argsort(block.group_first, kind="stable")
    first = block.group_first[order].tolist()
    last = block.group_last[order].tolist()
    left = sizes[order].tolist()
    heap: list[tuple[int, int]] = []  # (last slot, group) of groups with requests open
    served = 0
    nxt = 0
    n_groups = len(first)
    if n_groups == 0:
        return 0
    j0 = first[0]
    for j, cap in enumerate(capacity[j0:max(last) + 1].tolist(), start=j0):
        while nxt < n_groups and first[nxt] <= j:
            heapq.heappush(heap, (last[nxt], nxt))
            nxt += 1
        while cap > 0 and heap:
            end, g = heap[0]
            if end < j:  # window closed before this slot
                heapq.heappop(heap)
                continue
            take = min(cap, left[g])
            left[g] -= take
            cap -= take
            served += take
            if left[g] == 0:
                heapq.heappop(heap)
        if nxt >= n_groups and not heap:
            break
    return int(served)


def pair_bound(block: BlockData, costs: tuple[SwitchCosts, ...]) -> int:
    """Event bound strengthened by the dead events of switching, for one-source blocks.

    A plan that serves ``k`` distinct QPU pairs of the block with one source changes the
    switch at least ``k − 1`` times between deliveries of the block, and each change
    leaves at least ``c_min`` events unused (``SwitchCosts``: the cheaper of a change
    between pairs that share a QPU and between disjoint pairs).  With ``E`` the events
    from the first window's start to the last window's end and ``d_p`` the most
    requests of pair ``p`` any plan can serve (its own event bound), the plan serves at
    most ``max_k min(d_(1) + … + d_(k), E − c_min (k − 1))`` requests, the ``d`` sorted
    in decreasing order.  Tight when the requests share one window (a circuit layer
    with a storage window shorter than the layer spacing); with several sources the
    event bound is returned.

    Parameters
    ----------
    block
        One independent block.
    costs
        Switching costs per source, true or relaxed (a smaller cost only loosens).

    Returns
    -------
    int
        A bound no larger than :func:`event_bound`.
    """
    base = event_bound(block)
    if block.n_events.shape[0] != 1 or len(block.pairs) < 2 or block.n_groups == 0:
        return base
    # every change lies between two deliveries, so inside the span of the windows
    events = int(block.n_events[0][int(block.group_first.min()):
                                   int(block.group_last.max()) + 1].sum())
    per_pair = []
    for p in np.unique(block.group_pair).tolist():
        mine = np.flatnonzero(block.group_pair == p)
        per_pair.append(event_bound(_subset(block, mine)))
    demand = np.sort(np.array(per_pair, dtype=np.int64))[::-1]
    c_min = min(costs[0].c_shared, costs[0].c_disjoint)
    k = np.arange(1, len(demand) + 1)
    best = np.minimum(np.cumsum(demand), events - c_min * (k - 1)).max()
    return int(min(base, max(0, best)))


def _subset(block: BlockData, groups: np.ndarray) -> BlockData:
    """The block restricted to ``groups`` (same slots and sources)."""
    return replace(block, group_pair=block.group_pair[groups],
                   group_first=block.group_first[groups], group_last=block.group_last[groups],
                   group_members=tuple(block.group_members[g] for g in groups.tolist()))


def interval_bound(block: BlockData, costs: tuple[SwitchCosts, ...],
                   lengths: tuple[int, ...] = (2, 4, 8, 16)) -> int:
    """Pair bound applied to consecutive time intervals of a long one-source block.

    Cut the block's slots into consecutive intervals.  The requests whose whole window
    lies inside one interval are served inside it, so the pair bound of those requests
    over that interval holds for them, whatever else the plan does there (other
    deliveries only take more events, and the changes it counts lie between two of the
    interval's deliveries).  The requests whose window crosses a cut are counted as
    served.  Intervals are built greedily to hold about ``m · t_w`` events, ``t_w`` the
    longest window in events, for each ``m`` in ``lengths``; the least total wins.  On a
    long block over many pairs this sees that every interval pays for visiting its
    pairs, which the pair bound of the whole block spreads over the whole span.

    Parameters
    ----------
    block
        One independent block.
    costs
        Switching costs per source (true or relaxed).
    lengths
        Interval lengths in multiples of the longest window.

    Returns
    -------
    int
        A bound no larger than :func:`pair_bound` of the block.
    """
    best = pair_bound(block, costs)
    if block.n_events.shape[0] != 1 or block.n_groups == 0:
        return best
    events = block.n_events[0]
    cum = np.r_[0, np.cumsum(events)]
    span = cum[block.group_last + 1] - cum[block.group_first]
    window = int(span.max())
    sizes = block.group_size()
    for m in lengths:
        target = max(1, m * window)
        # cut points: slot indices where an interval starts
        cuts = [int(block.group_first.min())]
        end = int(block.group_last.max()) + 1
        while True:
            nxt = int(np.searchsorted(cum, cum[cuts[-1]] + target, side="left"))
            nxt = max(nxt, cuts[-1] + 1)
            if nxt >= end:
                break
            cuts.append(nxt)
        if len(cuts) < 2:
            continue
        edges = np.array([*cuts, end])
        i_first = np.searchsorted(edges, block.group_first, side="right") - 1
        i_last = np.searchsorted(edges, block.group_last, side="right") - 1
        inside = i_first == i_last
        total = int(sizes[~inside].sum())
        for i in np.unique(i_first[inside]).tolist():
            mine = np.flatnonzero(inside & (i_first == i))
            total += pair_bound(_subset(block, mine), costs)
            if total >= best:
                break
        best = min(best, total)
    return min(best, stretch_bound(block, costs))


def stretch_bound(block: BlockData, costs: tuple[SwitchCosts, ...],
                  lengths: tuple[int, ...] = STRETCH_LENGTHS) -> int:
    """Pair bound of the deliveries inside short stretches of events (one source).

    Cut the block's events into consecutive stretches of ``L`` events.  Every delivery
    lies in one stretch.  Inside a stretch ``I`` a plan delivers to pair ``p`` at most
    ``d_p = min(|I|, requests of p whose window meets I)``, and if it delivers to ``k``
    distinct pairs there, its ``k − 1`` changes between them lie inside ``I`` and leave
    ``c_min`` events each unused.  So the stretch holds at most ``max_k min(d_(1) + … +
    d_(k), |I| − c_min (k − 1))`` deliveries, and the sum over the stretches bounds the
    plan.  Unlike :func:`interval_bound` the stretches may be much shorter than a
    window: on long windows over many pairs (Fig. 4 with 10 or 20 QPUs and t_max of
    100 ns or more) each short stretch pays for the pairs it serves, which no bound
    over whole windows sees.  Each ``L`` in ``lengths`` is tried at offsets 0 and
    ``L / 2``; the least total wins.

    Parameters
    ----------
    block
        One independent block.
    costs
        Switching costs per source (true or relaxed).
    lengths
        Stretch lengths in events.

    Returns
    -------
    int
        A bound on the requests any plan serves in the block (the request count when
        the block has several sources or one pair, or spans at most two windows).
    """
    n_req = int(block.group_size().sum()) if block.n_groups else 0
    if block.n_events.shape[0] != 1 or len(block.pairs) < 2 or block.n_groups == 0:
        return n_req
    cum = np.r_[0, np.cumsum(block.n_events[0])].astype(np.int64)
    ev_first = cum[block.group_first]
    ev_last = cum[block.group_last + 1] - 1
    sizes = block.group_size().astype(np.int64)
    first, last = int(ev_first.min()), int(ev_last.max())
    if last - first + 1 <= 2 * int((ev_last - ev_first).max() + 1):
        # a block of one or two windows: the pair bound over the whole sees as much,
        # and the many blocks of short-window instances would cost time for nothing
        return n_req
    c_min = min(costs[0].c_shared, costs[0].c_disjoint)
    pairs = np.unique(block.group_pair)
    # per pair: sizes cumulated over groups sorted by first event, and by last event
    by_first, by_last = [], []
    for p in pairs.tolist():
        mine = block.group_pair == p
        o1 = np.argsort(ev_first[mine], kind="stable")
        o2 = np.argsort(ev_last[mine], kind="stable")
        by_first.append((ev_first[mine][o1], np.r_[0, np.cumsum(sizes[mine][o1])]))
        by_last.append((ev_last[mine][o2], np.r_[0, np.cumsum(sizes[mine][o2])]))
    k = np.arange(1, len(pairs) + 1, dtype=np.int64)[:, None]
    best = n_req
    for length in lengths:
        for shift in sorted({0, length // 2}):
            a = np.arange(first - shift, last + 1, length, dtype=np.int64)
            b = np.minimum(a + length - 1, last)
            a = np.maximum(a, first)
            width = b - a + 1
            # requests of p whose window meets [a, b]: first event ≤ b, less last < a
            d = np.stack([fc[np.searchsorted(f, b, side="right")]
                          - lc[np.searchsorted(lv, a, side="left")]
                          for (f, fc), (lv, lc) in zip(by_first, by_last, strict=True)])
            d = -np.sort(-np.minimum(d, width[None, :]), axis=0)
            held = np.minimum(np.cumsum(d, axis=0), width[None, :] - c_min * (k - 1))
            best = min(best, int(np.maximum(held.max(axis=0), 0).sum()))
    return best
