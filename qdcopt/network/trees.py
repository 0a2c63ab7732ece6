"""Swapping trees: optimal trees by dynamic programming, the iterative batch method of §IV-C
and a shortest-path balanced-tree greedy (the tree types and their latency, paper 003 eq. 1,
are in :mod:`qdcopt.network.physics`).

A swapping tree for a pair ``{u, v}`` is a leaf (the link ``u–v``) or a swap at ``w`` of a
tree for ``{u, w}`` and a tree for ``{w, v}``.  Its expected generation latency is

    T(leaf) = 1 / r_link,
    T(swap at w) = (3/2 · max(T_left, T_right) + t_swap + t_classical(w)) / q_w,

with ``t_classical`` the time for ``w``'s outcome to reach the farther end over fibre.
Its rate is ``1 / T``.  Leaf rates come from node capacities: a tree for request
``(s, d)`` makes every node that holds ``k`` of its leaves give each of them ``1/k`` of its
remaining attempts (``k = 1`` at ``s`` and ``d``, ``k = 2`` inside a simple path), so the
link ``a–b`` yields ``p_link · min(C_a / k_a, C_b / k_b)`` pairs/s.

Because ``T`` is monotone in both children and ``T ≥ max(T_left, T_right)`` (``q ≤ 1``),
the minimum-latency tree over all pairs follows from Knuth's generalisation of Dijkstra's
algorithm: pairs are settled in increasing latency, each settled pair combined with every
settled pair that shares an end.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import (
    MAX_OF_TWO_EXPONENTIALS,
    NO_SWAP,
    LinkModel,
    SwapTree,
    TreeNode,
    link_model,
    tree_latency,
)


# --------------------------------------------------------------------------------------
# Building trees
# --------------------------------------------------------------------------------------
def _build(via: np.ndarray, u: int, v: int, nodes: list[TreeNode]) -> int:
    """Append the tree of ``{u, v}`` encoded by ``via`` to ``nodes``; return its index."""
    i = len(nodes)
    w = int(via[u, v])
    nodes.append(TreeNode(u=u, v=v))
    if w == NO_SWAP:
        return i
    left = _build(via, u, w, nodes)
    right = _build(via, w, v, nodes)
    nodes[i] = TreeNode(u=u, v=v, swap_at=w, left=left, right=right)
    return i


def balanced_tree(path: list[int]) -> list[TreeNode]:
    """Nodes of the balanced swapping tree over ``path`` (swap at the middle, recursively)."""
    nodes: list[TreeNode] = []

    def rec(i: int, j: int) -> int:
        k = len(nodes)
        nodes.append(TreeNode(u=path[i], v=path[j]))
        if j == i + 1:
            return k
        mid = (i + j) // 2
        left = rec(i, mid)
        right = rec(mid, j)
        nodes[k] = TreeNode(u=path[i], v=path[j], swap_at=path[mid], left=left, right=right)
        return k

    rec(0, len(path) - 1)
    return nodes


def assign_leaf_rates(instance: NetworkInstance, model: LinkModel, nodes: list[TreeNode],
                      residual: np.ndarray) -> list[TreeNode]:
    """Give each leaf its share of the residual capacity of its two end nodes.

    A node holding ``k`` leaves of the tree gives each ``1/k`` of its residual attempts;
    a leaf on link ``l`` then yields ``p_l · min(share_a, share_b)`` pairs/s.
    """
    count = np.zeros(instance.n, dtype=np.int64)
    for node in nodes:
        if node.is_leaf:
            count[node.u] += 1
            count[node.v] += 1
    out = []
    for node in nodes:
        if node.is_leaf:
            link = instance.find_link(node.u, node.v)
            share = min(residual[node.u] / count[node.u], residual[node.v] / count[node.v])
            rate = float(model.success[link] * max(share, 0.0)) if link is not None else 0.0
            node = TreeNode(u=node.u, v=node.v, link_rate=rate)
        out.append(node)
    return out


def _finish(instance: NetworkInstance, model: LinkModel, request: int, nodes: list[TreeNode],
            residual: np.ndarray) -> SwapTree | None:
    """Tree with leaf rates from ``residual`` and its eq.-1 rate (``None`` if rate 0)."""
    nodes = assign_leaf_rates(instance, model, nodes, residual)
    tree = SwapTree(request=request, rate=0.0, nodes=tuple(nodes))
    latency = tree_latency(tree, instance, model)
    if not math.isfinite(latency) or latency <= 0:
        return None
    return SwapTree(request=request, rate=1.0 / latency, nodes=tuple(nodes))


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
    _build(via, s, d, nodes)
    return nodes


def optimal_tree(instance: NetworkInstance, request: int, residual: np.ndarray | None = None,
                 model: LinkModel | None = None) -> SwapTree | None:
    """The minimum-latency swapping tree for one request (dynamic programming).

    Parameters
    ----------
    instance
        The network.
    request
        Index of the request.
    residual
        Attempts/s still free at each node (default: the full node capacities).
    model
        Link model (computed when not given).

    Returns
    -------
    SwapTree or None
        The tree with its leaf rates and eq.-1 rate; ``None`` when no tree has a positive
        rate.
    """
    model = model if model is not None else link_model(instance)
    cap = model.node_capacity if residual is None else np.asarray(residual, dtype=float)
    req = instance.requests[request]
    s, d = req.source, req.destination
    share = cap / 2.0
    share[s] = cap[s]
    share[d] = cap[d]
    rate = model.success * np.minimum(share[model.link_u], share[model.link_v])
    with np.errstate(divide="ignore"):
        latency = np.where(rate > 0, 1.0 / np.where(rate > 0, rate, 1.0), np.inf)
    nodes = min_latency_tree(instance, model, s, d, latency)
    if nodes is None:
        return None
    # A tree whose leaves revisit a node would over-use that node under the 1/2 share:
    # re-share by the actual leaf counts (exact for the simple paths the DP normally finds).
    return _finish(instance, model, request, nodes, cap)


def consume(residual: np.ndarray, tree: SwapTree, instance: NetworkInstance,
            model: LinkModel) -> np.ndarray:
    """Residual capacities after ``tree`` takes its leaves' attempts."""
    out = residual.copy()
    for leaf in tree.leaves():
        link = instance.find_link(leaf.u, leaf.v)
        attempts = leaf.link_rate / model.success[link]
        out[leaf.u] -= attempts
        out[leaf.v] -= attempts
    return np.maximum(out, 0.0)


def iterative_trees(instance: NetworkInstance, model: LinkModel | None = None,
                    order: list[int] | None = None) -> list[SwapTree]:
    """The iterative batch method (paper 003 §IV-C): optimal tree per request in turn.

    Each request gets its minimum-latency tree on what is left; the attempts that tree
    uses are then unavailable to the requests after it.

    Parameters
    ----------
    instance
        The network.
    model
        Link model (computed when not given).
    order
        Order in which requests are served (default: heaviest weight first, then file order).

    Returns
    -------
    list of SwapTree
        One tree per request that can still be served.
    """
    model = model if model is not None else link_model(instance)
    residual = model.node_capacity.copy()
    if order is None:
        order = sorted(range(len(instance.requests)), key=lambda r: -instance.requests[r].weight)
    out = []
    for r in order:
        tree = optimal_tree(instance, r, residual, model)
        if tree is None:
            continue
        out.append(tree)
        residual = consume(residual, tree, instance, model)
    return out


def greedy_trees(instance: NetworkInstance, model: LinkModel | None = None) -> list[SwapTree]:
    """Shortest-path balanced trees, one request at a time (a simple baseline).

    Each request takes the shortest fibre path through nodes with capacity left, swaps
    it as a balanced tree and uses its leaves' share of the residual capacity.

    Parameters
    ----------
    instance
        The network.
    model
        Link model (computed when not given).

    Returns
    -------
    list of SwapTree
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    model = model if model is not None else link_model(instance)
    residual = model.node_capacity.copy()
    n = instance.n
    out = []
    order = sorted(range(len(instance.requests)), key=lambda r: -instance.requests[r].weight)
    for r in order:
        req = instance.requests[r]
        alive = residual > 0
        keep = alive[model.link_u] & alive[model.link_v]
        lengths = np.array([link.length for link in instance.links], dtype=float)
        graph = coo_matrix((np.maximum(lengths[keep], 1e-12),
                            (model.link_u[keep], model.link_v[keep])), shape=(n, n)).tocsr()
        dist, pred = dijkstra(graph, directed=False, indices=req.source,
                              return_predecessors=True)
        if not math.isfinite(dist[req.destination]):
            continue
        path = [req.destination]
        while path[-1] != req.source:
            path.append(int(pred[path[-1]]))
        path.reverse()
        tree = _finish(instance, model, r, balanced_tree(path), residual)
        if tree is None:
            continue
        out.append(tree)
        residual = consume(residual, tree, instance, model)
    return out


def enumerate_trees(path: list[int]) -> list[list[TreeNode]]:
    """Every swapping tree over ``path`` (Catalan many; for tests on short paths)."""
    def rec(i: int, j: int) -> list[list[TreeNode]]:
        if j == i + 1:
            return [[TreeNode(u=path[i], v=path[j])]]
        out = []
        for k in range(i + 1, j):
            for left in rec(i, k):
                for right in rec(k, j):
                    nodes = [TreeNode(u=path[i], v=path[j], swap_at=path[k], left=1,
                                      right=1 + len(left))]
                    nodes += [_shift(node, 1) for node in left]
                    nodes += [_shift(node, 1 + len(left)) for node in right]
                    out.append(nodes)
        return out

    return rec(0, len(path) - 1)


def _shift(node: TreeNode, by: int) -> TreeNode:
    if node.is_leaf:
        return node
    return TreeNode(u=node.u, v=node.v, swap_at=node.swap_at, left=node.left + by,
                    right=node.right + by, link_rate=node.link_rate)


def tree_from_nodes(instance: NetworkInstance, model: LinkModel, request: int,
                    nodes: list[TreeNode], residual: np.ndarray | None = None,
                    ) -> SwapTree | None:
    """A tree over given nodes with share-rule leaf rates and its eq.-1 rate."""
    cap = model.node_capacity if residual is None else residual
    return _finish(instance, model, request, nodes, cap)
