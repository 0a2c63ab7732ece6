"""A solver-free lower bound on the total latency of a trace: single nodes, preemptive.

Any schedule of the trace, seen from one node v, is a non-preemptive single-machine
schedule of the requests incident to v (the link-layer invariant: one generation at a
time).  Its total completion time is therefore at least the optimum of the *preemptive*
single-machine problem with release dates, which shortest-remaining-processing-time
(SRPT) solves exactly (1 | r_j, pmtn | ΣC_j).  Summing over nodes would count every
request twice; summing over an **independent set** U of G_Q counts each request at most
once, and the requests with no end in U finish no earlier than ``a_k + d_k``::

    Σ_k C_k  ≥  Σ_{v ∈ U} SRPT_v  +  Σ_{k : k ∩ U = ∅} (a_k + d_k).

The best U is a maximum-weight independent set with weight ``SRPT_v − Σ_{k ∋ v}
(a_k + d_k)``; found exactly by enumeration up to 20 nodes, greedily above.  The bound
needs no solver and no slots, so it covers traces of any length (120 s and more) where
the time-indexed MILP must be cut into windows.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

from qdcopt.linklayer.trace import Trace


def srpt_total_completion(releases: Sequence[float], durations: Sequence[float]) -> float:
    """Least Σ C_j on one machine with release dates and preemption (SRPT, exact).

    Parameters
    ----------
    releases, durations
        Per job, seconds.

    Returns
    -------
    float
        The optimal total completion time.
    """
    jobs = sorted(zip(releases, durations, strict=True))
    heap: list[float] = []
    t, total, i, n = 0.0, 0.0, 0, len(jobs)
    while i < n or heap:
        if not heap and t < jobs[i][0]:
            t = jobs[i][0]
        while i < n and jobs[i][0] <= t:
            heapq.heappush(heap, jobs[i][1])
            i += 1
        rem = heapq.heappop(heap)
        nxt = jobs[i][0] if i < n else float("inf")
        if t + rem <= nxt:
            t += rem
            total += t
        else:
            heapq.heappush(heap, rem - (nxt - t))
            t = nxt
    return total


def independent_set_bound(trace: Trace, n_nodes: int,
                          edges: Sequence[tuple[int, int]]) -> tuple[float, tuple[int, ...]]:
    """Lower bound on Σ_k (C_k − a_k) of ``trace``, and the independent set that gives it.

    Parameters
    ----------
    trace
        The realised trace.
    n_nodes
        Number of nodes.
    edges
        Edges of G_Q (index pairs).
    """
    reqs = trace.requests
    base = [r.created + trace.duration(r) for r in reqs]
    own: list[list[int]] = [[] for _ in range(n_nodes)]
    for k, r in enumerate(reqs):
        own[r.initiator].append(k)
        own[r.remote].append(k)
    gain = []
    for v in range(n_nodes):
        ks = own[v]
        srpt = srpt_total_completion([reqs[k].created for k in ks],
                                     [trace.duration(reqs[k]) for k in ks])
        gain.append(srpt - sum(base[k] for k in ks))
    adj = [set() for _ in range(n_nodes)]
    for u, v in edges:
        adj[u].add(v)
        adj[v].add(u)
    best: tuple[int, ...] = ()
    best_gain = 0.0
    if n_nodes <= 20:
        cand = [v for v in range(n_nodes) if gain[v] > 0]
        for size in range(1, len(cand) + 1):
            for subset in itertools.combinations(cand, size):
                if any(b in adj[a] for a, b in itertools.combinations(subset, 2)):
                    continue
                g = sum(gain[v] for v in subset)
                if g > best_gain:
                    best_gain, best = g, subset
    else:
        chosen: list[int] = []
        for v in sorted(range(n_nodes), key=lambda x: -gain[x]):
            if gain[v] > 0 and not adj[v] & set(chosen):
                chosen.append(v)
        best, best_gain = tuple(sorted(chosen)), sum(gain[v] for v in chosen)
    total = sum(base) + best_gain - sum(r.created for r in reqs)
    return total, best
