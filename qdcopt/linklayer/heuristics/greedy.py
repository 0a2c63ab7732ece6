"""Greedy maximal-matching list scheduling of a realised trace, and serial repair.

:func:`greedy_matching` is an idealised central controller with zero message delay that
knows only the past: whenever a request arrives or a generation ends, it scans the
waiting requests in arrival order and starts every one whose two end nodes are free —
the set it starts extends the running generations to a maximal matching of the waiting
requests' edges.  It is a method of its own and the MILP's warm start.

:func:`serial_schedule` turns an order of the requests into a feasible schedule: each
request, in that order, starts at the earliest time at or after its arrival when both
end nodes have finished everything placed before it.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import Any

from qdcopt.linklayer.trace import Trace


def greedy_matching(trace: Trace, n_nodes: int, edges: Sequence[tuple[int, int]] = (),
                    priority: str = "fifo", rank: Mapping[int, Any] | None = None,
                    ) -> dict[int, float]:
    """Start times of the greedy list scheduler (request id → start, seconds).

    Parameters
    ----------
    trace
        The realised trace.
    n_nodes
        Number of nodes.
    edges
        The instance's edges (unused: each request carries its end nodes).
    priority
        Order in which waiting requests are offered the free nodes: ``"fifo"`` (arrival
        order; needs no knowledge of the future) or ``"spt"`` (shortest service first;
        clairvoyant about service times, used to warm-start the MILP) or ``"rank"``
        (by ``rank[request id]``, e.g. a MILP's start slots).
    rank
        Sort keys for ``priority="rank"``.
    """
    del edges
    if priority not in ("fifo", "spt", "rank"):
        raise ValueError(f"priority must be 'fifo', 'spt' or 'rank', got {priority!r}")
    if priority == "rank" and rank is None:
        raise ValueError("priority 'rank' needs a rank for every request")
    key = None
    if priority == "spt":
        def key(r):
            return (trace.duration(r), r.created, r.id)
    elif priority == "rank":
        def key(r):
            return (rank[r.id], r.created, r.id)
    reqs = sorted(trace.requests, key=lambda r: (r.created, r.id))
    free = [True] * n_nodes
    waiting: list = []
    running: list[tuple[float, int, int, int]] = []
    start: dict[int, float] = {}
    i = 0
    while i < len(reqs) or waiting:
        t_arr = reqs[i].created if i < len(reqs) else float("inf")
        t_fin = running[0][0] if running else float("inf")
        now = min(t_arr, t_fin)
        # Completions at `now` first (a node freed at t can start again at t), then arrivals.
        while running and running[0][0] <= now:
            _, _, a, b = heapq.heappop(running)
            free[a] = free[b] = True
        while i < len(reqs) and reqs[i].created <= now:
            waiting.append(reqs[i])
            i += 1
        if key is not None:
            waiting.sort(key=key)
        keep = []
        for r in waiting:
            a, b = r.initiator, r.remote
            if free[a] and free[b]:
                free[a] = free[b] = False
                start[r.id] = now
                heapq.heappush(running, (now + trace.duration(r), r.id, a, b))
            else:
                keep.append(r)
        waiting = keep
    return start


def serial_schedule(trace: Trace, n_nodes: int, order: Sequence[int]) -> dict[int, float]:
    """Start times placing requests one by one in ``order`` (request ids).

    Each starts at max(arrival, end of everything already placed on either end node),
    so the schedule is feasible whatever the order.
    """
    by_id = {r.id: r for r in trace.requests}
    free = [0.0] * n_nodes
    start = {}
    for rid in order:
        r = by_id[rid]
        s = max(r.created, free[r.initiator], free[r.remote])
        start[rid] = s
        free[r.initiator] = free[r.remote] = s + trace.duration(r)
    return start
