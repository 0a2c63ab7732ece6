"""The minimum-latency swapping tree between two nodes over all trees of a network.

Because a tree's latency is monotone in both children and at least the larger of them
(swap success ``q ≤ 1``), Knuth's generalisation of Dijkstra's algorithm finds it exactly:
pairs are settled in increasing latency, each settled pair combined with every settled
pair that shares an end.  The tree methods (:mod:`qdcopt.network.trees.builders`) and the
reserved-memory model (:mod:`qdcopt.network.resources`) both use it, each with its own
leaf rates and wait rule.
"""

from __future__ import annotations

import heapq
import math

import numba
import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, NO_SWAP, LinkModel, TreeNode

assert MAX_OF_TWO_EXPONENTIALS == 1.5  # the compiled settling loop writes eq. 1's factor


def build_tree(via: np.ndarray, u: int, v: int, nodes: list[TreeNode]) -> int:
    """Append the tree of ``{u, v}`` encoded by ``via`` to ``nodes``; return its index."""
    i = len(nodes)
    w = int(via[u, v])
    nodes.append(TreeNode(u=u, v=v))
    if w == NO_SWAP:
        return i
    left = build_tree(via, u, w, nodes)
    right = build_tree(via, w, v, nodes)
    nodes[i] = TreeNode(u=u, v=v, swap_at=w, left=left, right=right)
    return i



EQ1 = "eq1"
"""Wait for both children by paper 003's eq. 1: ``3/2 · max(a, b)``."""
EXACT_MAX = "exact_max"
"""Wait for both children as the exact expected maximum of two exponential waits,
``M + m²/(M + m)`` (:func:`qdcopt.network.resources.both_ready`)."""


def min_latency_tree(instance: NetworkInstance, model: LinkModel, s: int, d: int,
                     leaf_latency: np.ndarray, can_swap: np.ndarray | None = None,
                     wait: str = EQ1) -> list[TreeNode] | None:
    """The nodes of the minimum-latency tree for ``{s, d}`` (Knuth's Dijkstra).

    Parameters
    ----------
    instance, model
        The network and its link model.
    s, d
        End nodes.
    leaf_latency
        ``1 / rate`` of a leaf on each link (``inf``: the link cannot be a leaf).
    can_swap
        Nodes allowed to swap (default: all).
    wait
        :data:`EQ1` (default) or :data:`EXACT_MAX`: the expected wait for both children.
        Both are monotone and at least the larger latency, which keeps the settling
        order exact.

    Returns
    -------
    list of TreeNode or None
        Root first, leaves without rates; ``None`` when no tree exists.
    """
    T, via = _settled(instance, model, leaf_latency, can_swap, wait, int(s), int(d))
    if not math.isfinite(T[s, d]):
        return None
    nodes: list[TreeNode] = []
    build_tree(via, s, d, nodes)
    return nodes


def all_pairs_latency(instance: NetworkInstance, model: LinkModel, leaf_latency: np.ndarray,
                      can_swap: np.ndarray | None = None, wait: str = EQ1,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The minimum latency of every pair and the swap node of its fastest tree.

    The settling of :func:`min_latency_tree` run to the end (no target pair), so one call
    prices every pair; the GHZ planner (:mod:`qdcopt.network.ghz.planner`) scores fusion
    centres with it.

    Returns
    -------
    (T, via)
        ``n × n`` latencies (``inf``: no tree) and swap nodes (``-1``: a leaf); build a
        tree with :func:`build_tree`.
    """
    return _settled(instance, model, leaf_latency, can_swap, wait, -1, -1)


def _settled(instance: NetworkInstance, model: LinkModel, leaf_latency: np.ndarray,
             can_swap: np.ndarray | None, wait: str, s: int, d: int,
             ) -> tuple[np.ndarray, np.ndarray]:
    """Latencies and swap nodes settled from the links' latencies, until ``{s, d}``
    settles (``s = d = -1``: every pair)."""
    if wait not in (EQ1, EXACT_MAX):
        raise ValueError(f"wait must be {EQ1!r} or {EXACT_MAX!r}, got {wait!r}")
    n = instance.n
    T = np.full((n, n), np.inf)
    lu, lv = model.link_u, model.link_v
    ok = np.isfinite(leaf_latency)
    T[lu[ok], lv[ok]] = leaf_latency[ok]
    T[lv[ok], lu[ok]] = leaf_latency[ok]
    swap_ok = np.ones(n, dtype=bool) if can_swap is None else np.asarray(can_swap, dtype=bool)
    via = np.full((n, n), NO_SWAP, dtype=np.int64)
    _settle(T, via, swap_ok, np.ascontiguousarray(model.classical_distance, dtype=float),
            float(instance.physics.swap_latency), 1.0 / float(instance.physics.classical_speed),
            1.0 / np.asarray(model.swap_success, dtype=float),
            lu[ok].astype(np.int64), lv[ok].astype(np.int64), s, d, wait == EXACT_MAX)
    return T, via


@numba.njit(cache=True)
def _settle(T: np.ndarray, via: np.ndarray, swap_ok: np.ndarray, dist: np.ndarray,
            ts: float, inv_speed: float, inv_q: np.ndarray, lu: np.ndarray, lv: np.ndarray,
            s: int, d: int, exact: bool) -> None:  # pragma: no cover - compiled
    """Settle pairs in increasing latency until ``{s, d}`` (fills ``T`` and ``via``).

    Compiled because it runs once per pair settled (10⁵ at 300 nodes); the order of the
    heap and of the candidates is that of the array form it replaced, so trees are equal.
    """
    n = T.shape[0]
    done = np.zeros((n, n), dtype=np.bool_)
    heap = [(T[lu[i], lv[i]], lu[i], lv[i]) for i in range(len(lu))]
    heapq.heapify(heap)
    while len(heap) > 0:
        t, a, b = heapq.heappop(heap)
        if done[a, b] or t > T[a, b]:
            continue
        done[a, b] = True
        done[b, a] = True
        if (a == s and b == d) or (a == d and b == s):
            break
        # swap at b: {a, b} + {b, x} -> {a, x}; swap at a: {b, a} + {a, x} -> {b, x}
        for side in range(2):
            end, mid = (a, b) if side == 0 else (b, a)
            if not swap_ok[mid]:
                continue
            for x in range(n):
                if not done[mid, x] or x == end or done[end, x]:
                    continue
                other = T[mid, x]
                if exact:
                    big = max(t, other)
                    small = min(t, other)
                    both = big + small * small / (big + small)
                else:
                    both = 1.5 * max(t, other)
                extra = ts + max(dist[mid, end], dist[mid, x]) * inv_speed
                c = (both + extra) * inv_q[mid]
                if c < T[end, x]:
                    T[end, x] = c
                    T[x, end] = c
                    via[end, x] = mid
                    via[x, end] = mid
                    heapq.heappush(heap, (c, end, x))
