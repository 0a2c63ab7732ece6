"""Combinatorial upper bounds for switch assignment that need no solver.

These bounds hold for every valid plan; they are what the switch MILP reports for blocks
it has no time (or memory) to model, and they cap the bound of blocks it does model.
"""

from __future__ import annotations

import heapq

import numpy as np

from qdcopt.datacenter.switch_data import BlockData


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
        One independent block (from :func:`~qdcopt.datacenter.switch_data.preprocess`).

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
    for j, cap in enumerate(capacity.tolist()):
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
