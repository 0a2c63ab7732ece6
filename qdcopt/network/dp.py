"""The minimum-latency swapping tree between two nodes over all trees of a network.

Because a tree's latency is monotone in both children and at least the larger of them
(swap success ``q ≤ 1``), Knuth's generalisation of Dijkstra's algorithm finds it exactly:
pairs are settled in increasing latency, each settled pair combined with every settled
pair that shares an end.  The tree methods (:mod:`qdcopt.network.trees`) and the
reserved-memory model (:mod:`qdcopt.network.resources`) both use it, each with its own
leaf rates and wait rule.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, NO_SWAP, LinkModel, TreeNode


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



def min_latency_tree(instance: NetworkInstance, model: LinkModel, s: int, d: int,
                     leaf_latency: np.ndarray, can_swap: np.ndarray | None = None,
                     wait: Any = None) -> list[TreeNode] | None:
    """The nodes of the minimum eq.-1 latency tree for ``{s, d}`` (Knuth's Dijkstra).

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
        Expected wait for both children from their latencies (arrays in, array out);
        default eq. 1's ``3/2 · max``.  It must be monotone and at least the larger
        latency, which keeps the settling order exact.

    Returns
    -------
    list of TreeNode or None
        Root first, leaves without rates; ``None`` when no tree exists.
    """
    n = instance.n
    T = np.full((n, n), np.inf)
    lu, lv = model.link_u, model.link_v
    ok = np.isfinite(leaf_latency)
    T[lu[ok], lv[ok]] = leaf_latency[ok]
    T[lv[ok], lu[ok]] = leaf_latency[ok]
    swap_ok = np.ones(n, dtype=bool) if can_swap is None else np.asarray(can_swap, dtype=bool)
    via = np.full((n, n), NO_SWAP, dtype=np.int64)
    done = np.zeros((n, n), dtype=bool)
    ts = instance.physics.swap_latency
    inv_speed = 1.0 / instance.physics.classical_speed
    dist = model.classical_distance
    inv_q = 1.0 / model.swap_success
    heap = [(float(T[a, b]), int(a), int(b)) for a, b in zip(lu[ok], lv[ok], strict=True)]
    heapq.heapify(heap)
    while heap:
        t, a, b = heapq.heappop(heap)
        if done[a, b] or t > T[a, b]:
            continue
        done[a, b] = done[b, a] = True
        if {a, b} == {s, d}:
            break
        # Swap at b: {a, b} + {b, x} -> {a, x};  swap at a: {b, a} + {a, x} -> {b, x}.
        for end, mid in ((a, b), (b, a)):
            if not swap_ok[mid]:
                continue
            xs = np.flatnonzero(done[mid])
            xs = xs[(xs != end) & ~done[end, xs]]
            if len(xs) == 0:
                continue
            both = (MAX_OF_TWO_EXPONENTIALS * np.maximum(t, T[mid, xs]) if wait is None
                    else wait(np.full(len(xs), t), T[mid, xs]))
            extra = ts + np.maximum(dist[mid, end], dist[mid, xs]) * inv_speed
            cand = (both + extra) * inv_q[mid]
            better = cand < T[end, xs]
            for x, c in zip(xs[better].tolist(), cand[better].tolist(), strict=True):
                T[end, x] = T[x, end] = c
                via[end, x] = via[x, end] = mid
                heapq.heappush(heap, (c, end, x))
    if not math.isfinite(T[s, d]):
        return None
    nodes: list[TreeNode] = []
    build_tree(via, s, d, nodes)
    return nodes
