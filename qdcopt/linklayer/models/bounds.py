"""Solver-free lower bounds on the total latency of a trace, from single nodes.

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

**Node groups, non-preemptive** (:func:`group_bound`).  Give every request to one of its
two end nodes; the requests given to node v (its *group* G_v) all hold v, so in any
schedule they run one at a time: restricted to G_v the schedule is a feasible
non-preemptive single-machine schedule with release dates, and its total completion time
is at least the exact optimum ``OPT(G_v)`` of 1 | r_j | ΣC_j.  The groups partition the
requests (each counted once), so, dropping every conflict between groups::

    Σ_k C_k  ≥  Σ_v OPT(G_v).

No independence of the chosen nodes is needed (two groups at adjacent nodes are two
disjoint sets of requests).  ``OPT`` is computed exactly by dynamic programming over
subsets (:func:`single_machine_total`) for groups of up to ``EXACT_JOBS`` requests, and
replaced by SRPT's preemptive optimum (a lower bound on it) above.  The assignment is
improved by a deterministic first-improvement search over single reassignments.  Removing
request k from its group leaves a partition of the other requests, so
``Σ_{l≠k} (C_l − a_l) ≥ GB − OPT(G_v) + OPT(G_v ∖ k) − Σ_{l≠k} a_l`` in every schedule of
the whole trace (its restriction to the other requests is a schedule of them): the
precedence MILP reads its latest starts from these (:attr:`GroupBound.others`).

Durations are deterministic on a realised trace (``attempts × period``, drawn once per
request), which is what makes a request a fixed single-machine job.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from qdcopt.linklayer.trace import Trace

EXACT_JOBS = 16
"""Largest group solved exactly (2^16 subsets); larger groups take SRPT's bound."""

REASSIGN_ROUNDS = 20
"""Most sweeps of the assignment search (each tries every request at its other end)."""


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


def single_machine_total(releases: Sequence[float], durations: Sequence[float]) -> float:
    """Least Σ C_j on one machine with release dates, **without** preemption (exact).

    Dynamic programming over the sets of jobs served first: for each set it keeps the
    Pareto front of (makespan, Σ C) over the orders of the set (one order of a set is
    worth extending only if no other ends sooner with a smaller sum), and appends each
    remaining job at ``max(makespan, r_j)``.  Exponential in the number of jobs: meant for
    at most :data:`EXACT_JOBS` jobs.

    Parameters
    ----------
    releases, durations
        Per job, in any one time unit.

    Returns
    -------
    float
        The optimal total completion time (0 for no job).
    """
    n = len(releases)
    if n != len(durations):
        raise ValueError("releases and durations differ in length")
    if n == 0:
        return 0.0
    r, d = [float(x) for x in releases], [float(x) for x in durations]
    full = (1 << n) - 1
    fronts: dict[int, list[tuple[float, float]]] = {0: [(0.0, 0.0)]}
    # every predecessor of a set is numerically smaller: increasing order visits a set
    # after all the sets it extends
    for m in range(full):
        cand = fronts.pop(m, None)
        if cand is None:
            continue
        cand.sort()
        front: list[tuple[float, float]] = []
        for c, total in cand:
            if not front or total < front[-1][1]:
                front.append((c, total))
        for j in range(n):
            if m >> j & 1:
                continue
            nxt = fronts.setdefault(m | 1 << j, [])
            for c, total in front:
                end = max(c, r[j]) + d[j]
                nxt.append((end, total + end))
    return min(total for _, total in fronts[full])


def _group_total(releases: Sequence[float], durations: Sequence[float]) -> float:
    if len(releases) <= EXACT_JOBS:
        return single_machine_total(releases, durations)
    return srpt_total_completion(releases, durations)


@dataclass(frozen=True)
class GroupBound:
    """The node-group bound of a trace (see the module docstring).

    Attributes
    ----------
    total
        Lower bound on Σ_k (C_k − a_k), seconds.
    groups
        Node → request ids given to it (non-empty groups only).
    least
        Node → least total latency Σ (C_k − a_k) of its group alone, seconds.
    others
        Request id → lower bound on Σ_{l≠k} (C_l − a_l), seconds, in any schedule.
    exact
        Whether every group was solved exactly (no SRPT fallback).
    """

    total: float
    groups: dict[int, tuple[int, ...]]
    least: dict[int, float]
    others: dict[int, float]
    exact: bool


def group_bound(trace: Trace, prefer: Sequence[int] = ()) -> GroupBound:
    """The non-preemptive node-group lower bound on the total latency of ``trace``.

    Parameters
    ----------
    trace
        The realised trace (each request's service time is fixed by it).
    prefer
        Nodes that take every request they end, to start with (pairwise non-adjacent,
        e.g. the independent set of :func:`independent_set_bound`: then the start, and
        so the result, is at least that bound); the other requests start at their
        busier end.

    Returns
    -------
    GroupBound
    """
    reqs = trace.requests
    if not reqs:
        return GroupBound(0.0, {}, {}, {}, True)
    rel = {r.id: r.created for r in reqs}
    dur = {r.id: trace.duration(r) for r in reqs}
    degree: dict[int, int] = {}
    for r in reqs:
        degree[r.initiator] = degree.get(r.initiator, 0) + 1
        degree[r.remote] = degree.get(r.remote, 0) + 1
    cache: dict[tuple[int, ...], float] = {}

    def latency(ids: tuple[int, ...]) -> float:
        # OPT(G) − Σ_{k∈G} a_k: the least total latency of the group alone
        if ids not in cache:
            cache[ids] = _group_total([rel[i] for i in ids], [dur[i] for i in ids]) - sum(
                rel[i] for i in ids)
        return cache[ids]

    # start: every request at its busier end (ties: the initiator), so a hub takes its
    # requests, as the independent-set bound's best node would
    first = set(prefer)
    node = {r.id: (r.initiator if (r.initiator in first) > (r.remote in first) or (
        (r.initiator in first) == (r.remote in first)
        and degree[r.initiator] >= degree[r.remote]) else r.remote) for r in reqs}
    groups: dict[int, set[int]] = {}
    for i, v in node.items():
        groups.setdefault(v, set()).add(i)

    def value(v: int) -> float:
        return latency(tuple(sorted(groups.get(v, ())))) if groups.get(v) else 0.0

    for _ in range(REASSIGN_ROUNDS):
        moved = False
        for r in reqs:
            v = node[r.id]
            w = r.remote if v == r.initiator else r.initiator
            before = value(v) + value(w)
            groups[v].discard(r.id)
            groups.setdefault(w, set()).add(r.id)
            after = value(v) + value(w)
            # a relative margin, so that rounding noise never counts as a gain
            if after > before + 1e-12 * max(1.0, abs(before)):
                node[r.id], moved = w, True
            else:
                groups[w].discard(r.id)
                groups[v].add(r.id)
        if not moved:
            break
    final = {v: tuple(sorted(ids)) for v, ids in groups.items() if ids}
    per = {v: latency(ids) for v, ids in final.items()}
    total = sum(per.values())
    others = {}
    for v, ids in final.items():
        for i in ids:
            rest = tuple(j for j in ids if j != i)
            others[i] = total - per[v] + (latency(rest) if rest else 0.0)
    exact = all(len(ids) <= EXACT_JOBS for ids in final.values())
    return GroupBound(total, final, per, others, exact)


def node_groups(trace: Trace) -> list[tuple[tuple[int, ...], float]]:
    """Every node's requests with their least total latency on that node alone.

    Parameters
    ----------
    trace
        The realised trace.

    Returns
    -------
    list
        Per node with at least two requests: (request ids, lower bound on their
        Σ (C_k − a_k) in any schedule, seconds) — exact non-preemptive up to
        :data:`EXACT_JOBS` requests, SRPT above.
    """
    at: dict[int, list] = {}
    for r in trace.requests:
        at.setdefault(r.initiator, []).append(r)
        at.setdefault(r.remote, []).append(r)
    out = []
    for v in sorted(at):
        rs = at[v]
        if len(rs) < 2:
            continue
        rel = [r.created for r in rs]
        least = _group_total(rel, [trace.duration(r) for r in rs]) - sum(rel)
        out.append((tuple(r.id for r in rs), least))
    return out
