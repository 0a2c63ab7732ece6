"""How many parallel attempts: the optimal split of a shared budget, and the smallest K(N).

**Split of a budget.**  In one round the hub can make ``B`` attempts in all, shared by
concurrent requests ``i`` whose attempts succeed with ``p_i`` (and which weigh ``w_i``).
Giving ``K_i`` attempts to request ``i`` serves it with probability
``h_i(K_i) = 1 − (1 − p_i)^{K_i}``; we maximise ``Σ w_i h_i(K_i)`` subject to
``Σ K_i ≤ B``, ``K_i`` non-negative integers (optionally ``K_i ≤ cap_i``).

Each ``h_i`` is concave in ``K``: its increments ``Δ_i(k) = h_i(k) − h_i(k−1) =
p_i (1 − p_i)^{k−1}`` never increase with ``k``.  Hence the greedy rule — give the next
attempt to the request with the largest next increment ``w_i Δ_i(K_i + 1)`` while it is
positive — is exact.  Proof: the objective of any allocation ``K`` is the sum of the
first ``K_i`` increments of each request.  Because the increments of a request are
non-increasing, the first ``K_i`` of them are its ``K_i`` largest, so the objective of
``K`` is the sum of some ``Σ K_i ≤ B`` increments taken from the multiset of all
increments, each request contributing a prefix.  The greedy allocation takes the ``B``
largest positive increments of the whole multiset (ties broken arbitrarily), which is
also a prefix of every request; no choice of at most ``B`` elements can sum to more.
With a heap the greedy takes ``O((n + B) log n)``.

**Smallest K(N).**  Without a cache the success of a request is
``1 − (1 − p)^{K R}`` (the ``K R`` attempts are independent), so the smallest ``K``
reaching a target ``s`` is ``⌈ln(1 − s) / (R ln(1 − p))⌉``.  With a cache, success only
grows with ``K`` (each round succeeds more often and leaves spares more often) and is at
least the success without cache, so the closed-form ``K`` is an upper bound and the
smallest ``K`` is found by evaluating the exact Markov chain downward from it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

from qdcopt.service.hub.exact import exact_hub
from qdcopt.service.hub.montecarlo import HubModel


def allocate_attempts(p: Sequence[float], budget: int, weights: Sequence[float] | None = None,
                      caps: Sequence[int] | None = None) -> list[int]:
    """Optimal integer split of ``budget`` attempts among concurrent requests.

    Parameters
    ----------
    p
        Per-attempt success of each request, in ``[0, 1]``.
    budget
        Attempts available in the round (≥ 0).
    weights
        Value of serving each request (default 1).
    caps
        Most attempts a request may take (default: no limit).

    Returns
    -------
    list of int
        Attempts per request; maximises ``Σ w_i (1 − (1 − p_i)^{K_i})`` (see module text).
    """
    n = len(p)
    if budget < 0:
        raise ValueError(f"budget must be ≥ 0, got {budget}")
    w = [1.0] * n if weights is None else list(weights)
    cap = [budget] * n if caps is None else list(caps)
    if len(w) != n or len(cap) != n:
        raise ValueError("p, weights and caps must have the same length")
    for pi in p:
        if not 0.0 <= pi <= 1.0:
            raise ValueError(f"every p must be in [0, 1], got {pi}")
    alloc = [0] * n
    heap = [(-w[i] * p[i], i) for i in range(n) if cap[i] > 0 and w[i] * p[i] > 0]
    heapq.heapify(heap)
    left = budget
    while left > 0 and heap:
        gain, i = heapq.heappop(heap)
        alloc[i] += 1
        left -= 1
        nxt = -gain * (1.0 - p[i])  # next increment w p (1 − p)^k
        if alloc[i] < cap[i] and nxt > 0:
            heapq.heappush(heap, (-nxt, i))
    return alloc


def expected_served(p: Sequence[float], alloc: Sequence[int],
                    weights: Sequence[float] | None = None) -> float:
    """``Σ w_i (1 − (1 − p_i)^{K_i})``: expected (weighted) requests served in the round."""
    w = [1.0] * len(p) if weights is None else weights
    return float(sum(wi * (1.0 - (1.0 - pi) ** k) for pi, k, wi in zip(p, alloc, w,
                                                                        strict=True)))


def smallest_k(model: HubModel, target: float, *, cached: bool = True,
               k_max: int = 10_000) -> int | None:
    """Smallest attempts per round whose success rate reaches ``target``.

    Parameters
    ----------
    model
        The point (its ``n_qpus``, ``p0``, ``beta``, ``rounds``, ``cache`` ...).
    target
        Success rate to reach, in ``(0, 1)``.
    cached
        Count cache hits (the exact expected mean over ``model.requests`` requests of
        the orchestrated strategy); ``False``: the closed form without cache.
    k_max
        Give up above this (returns ``None``).
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target}")
    p = model.p_eff
    if p >= 1.0:
        return 1
    closed = math.ceil(math.log(1.0 - target) / (model.rounds * math.log(1.0 - p)) - 1e-12)
    closed = max(1, closed)
    if not cached or model.cache == 0:
        return closed if closed <= k_max else None
    # the cache only helps, so the answer is at most the closed form; search downward
    k = min(closed, k_max)
    while k > 1 and _rate(model, k - 1) >= target:
        k -= 1
    return k if _rate(model, k) >= target else None


def _rate(model: HubModel, k: int) -> float:
    return float(exact_hub(model.with_(k_override=k), "orchestrated").success_rate)
