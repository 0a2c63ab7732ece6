"""Local search over request orders, each order read as a serial schedule.

Placing the requests one by one in some order, each as early as its arrival and its two
nodes allow (:func:`~qdcopt.linklayer.heuristics.greedy.serial_schedule`), reaches every
optimal schedule: in the order of an optimal schedule's starts no request starts later
than there.  So searching over orders loses nothing.  :func:`improve_order` runs an
iterated local search on that space — first-improvement moves of one request to another
position and swaps of two requests, then a seeded random kick of the best order — with a
budget counted in evaluated orders, not seconds, so the same input and seed always give
the same order.  It gives the precedence MILP its MIP start and its big-M constants.
"""

from __future__ import annotations

from collections.abc import Sequence

from qdcopt.engine.streams import Streams
from qdcopt.linklayer.trace import Trace, TraceRequest


def order_cost(trace: Trace, n_nodes: int, order: Sequence[int]) -> float:
    """Total latency Σ (C_k − a_k), seconds, of the serial schedule of ``order``.

    Parameters
    ----------
    trace
        The realised trace.
    n_nodes
        Number of nodes.
    order
        Request ids, each once.
    """
    by_id = {r.id: r for r in trace.requests}
    return _cost([_job(trace, by_id[i]) for i in order], n_nodes)


def _job(trace: Trace, r: TraceRequest) -> tuple[int, int, float, float, int]:
    return (r.initiator, r.remote, r.created, trace.duration(r), r.id)


def _cost(jobs: Sequence[tuple[int, int, float, float, int]], n_nodes: int) -> float:
    free = [0.0] * n_nodes
    total = 0.0
    for u, v, a, d, _ in jobs:
        s = max(a, free[u], free[v])
        free[u] = free[v] = s + d
        total += s + d - a
    return total


def _descend(jobs: list, n_nodes: int, cost: float, budget: list[int]) -> tuple[list, float]:
    """First-improvement descent with insertions and swaps until no move improves (or
    the budget of evaluations is spent)."""
    k = len(jobs)
    improved = True
    while improved and budget[0] > 0:
        improved = False
        for i in range(k):
            for j in range(k):
                if i == j or budget[0] <= 0:
                    continue
                cand = jobs[:i] + jobs[i + 1:]
                cand.insert(j, jobs[i])
                budget[0] -= 1
                c = _cost(cand, n_nodes)
                # a relative margin, so that rounding noise never counts as a gain
                if c < cost - 1e-12 * max(1.0, cost):
                    jobs, cost, improved = cand, c, True
        for i in range(k):
            for j in range(i + 1, k):
                if budget[0] <= 0:
                    break
                cand = list(jobs)
                cand[i], cand[j] = cand[j], cand[i]
                budget[0] -= 1
                c = _cost(cand, n_nodes)
                if c < cost - 1e-12 * max(1.0, cost):
                    jobs, cost, improved = cand, c, True
    return jobs, cost


def improve_order(trace: Trace, n_nodes: int, starts: Sequence[Sequence[int]], *,
                  evaluations: int = 60_000, kick: int = 3, patience: int = 300,
                  seed: int = 0, chains: int = 1) -> tuple[list[int], float]:
    """The best order found by iterated local search from the given orders.

    Parameters
    ----------
    trace
        The realised trace.
    n_nodes
        Number of nodes.
    starts
        Orders (request ids) to start from, e.g. the greedy schedules' start orders;
        each is improved by descent first.
    evaluations
        Orders evaluated in all (each evaluation is one serial pass over the requests).
    kick
        Random moves of one request applied to the best order before each new descent.
    patience
        Kicks in a row without a better order after which the search stops.
    seed
        Seed of the kicks.
    chains
        Independent kick chains from the best descended start, each with its own random
        stream and an equal share of the evaluations left; the best of them is returned.
        One chain stuck in a basin (W_6 of Table V: 48.96 ms against 48.21 ms found by
        other streams) is the failure this guards against.

    Returns
    -------
    tuple
        The best order and its total latency, seconds.
    """
    by_id = {r.id: r for r in trace.requests}
    streams = Streams(seed)
    budget = [int(evaluations)]
    first: list | None = None
    first_cost = float("inf")
    for order in starts:
        jobs = [_job(trace, by_id[i]) for i in order]
        js, c = _descend(jobs, n_nodes, _cost(jobs, n_nodes), budget)
        if c < first_cost:
            first, first_cost = js, c
    if first is None:
        return [], 0.0
    best, best_cost = first, first_cost
    n_chains = max(1, int(chains))
    left = budget[0]
    for chain in range(n_chains):
        # chain 0 keeps the stream a single chain always had
        rng = streams.get("local-search", *((chain,) if chain else ()))
        share = [left // n_chains + (1 if chain < left % n_chains else 0)]
        js, c = _kicks(first, first_cost, n_nodes, share, rng, kick, patience)
        if c < best_cost - 1e-12 * max(1.0, best_cost):
            best, best_cost = js, c
    return [j[4] for j in best], best_cost


def _kicks(best: list, best_cost: float, n_nodes: int, budget: list[int], rng,
           kick: int, patience: int) -> tuple[list, float]:
    """One chain of kicks and descents from ``best`` (until the budget or the patience
    is spent)."""
    idle = 0
    while budget[0] > 0 and len(best) > 1 and idle < patience:
        idle += 1
        cand = list(best)
        for _ in range(kick):
            i, j = int(rng.integers(len(cand))), int(rng.integers(len(cand)))
            cand.insert(j, cand.pop(i))
        budget[0] -= 1
        js, c = _descend(cand, n_nodes, _cost(cand, n_nodes), budget)
        if c < best_cost - 1e-12 * max(1.0, best_cost):
            best, best_cost, idle = js, c, 0
    return best, best_cost
