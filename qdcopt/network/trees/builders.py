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

import math
from typing import Any

import numpy as np

from qdcopt.network.dp import EXACT_MAX, min_latency_tree
from qdcopt.network.instance import NetworkInstance, link_fidelities
from qdcopt.network.physics import (
    FIDELITY_TOL,
    LinkModel,
    SwapTree,
    TreeNode,
    link_model,
    tree_fidelity,
    tree_latency,
)
from qdcopt.network.resources import tree_slots, with_slot_rates
from qdcopt.network.trees.past import fastest_past, past_tree_nodes


# --------------------------------------------------------------------------------------
# Building trees
# --------------------------------------------------------------------------------------
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


def optimal_tree(instance: NetworkInstance, request: int, residual: np.ndarray | None = None,
                 model: LinkModel | None = None, purification: bool = True,
                 ) -> SwapTree | None:
    """The minimum-latency swapping tree for one request (dynamic programming).

    A request with a ``min_fidelity`` gets the fastest tree that meets it: a
    purification-augmented tree (:func:`qdcopt.network.trees.past.fastest_past`) unless
    ``purification`` is off, then the fastest plain tree that meets it.

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
    purification
        Whether a ``min_fidelity`` may be met by purifying.

    Returns
    -------
    SwapTree or None
        The tree with its leaf rates and eq.-1 rate; ``None`` when no tree has a positive
        rate (or meets the request's fidelity).
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
    if req.min_fidelity is not None:
        past = fastest_past(instance, model, s, d, latency, link_fidelities(instance),
                            req.min_fidelity, purification=purification)
        nodes = past_tree_nodes(past) if past is not None else None
    else:
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
                    order: list[int] | None = None, purification: bool = True,
                    ) -> list[SwapTree]:
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
    purification
        Whether a request's ``min_fidelity`` may be met by purifying.

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
        tree = optimal_tree(instance, r, residual, model, purification)
        if tree is None:
            continue
        out.append(tree)
        residual = consume(residual, tree, instance, model)
    return out


def greedy_trees(instance: NetworkInstance, model: LinkModel | None = None,
                 purification: bool = True) -> list[SwapTree]:
    """Shortest-path balanced trees, one request at a time (a simple baseline).

    Each request takes the shortest fibre path through nodes with capacity left, swaps
    it as a balanced tree and uses its leaves' share of the residual capacity.  It never
    purifies (``purification`` is accepted for a common signature): a request whose
    ``min_fidelity`` its tree misses is not served.

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
        if tree is None or not meets_fidelity(tree, instance):
            continue
        out.append(tree)
        residual = consume(residual, tree, instance, model)
    return out


def best_copy(instance: NetworkInstance, model: LinkModel, request: int, free: np.ndarray,
              rates: np.ndarray, purification: bool = True, *,
              ignore_fidelity: bool = False, memo: dict | None = None) -> SwapTree | None:
    """The fastest single tree copy for ``request`` within the ``free`` memories.

    Knuth's Dijkstra over every swapping tree (:func:`qdcopt.network.dp.min_latency_tree`)
    with leaves at their reserved-memory rates, links only between nodes with a free
    memory and swaps only at nodes with two; a tree that revisits a node and would
    reserve more than its free memories there is refused.  A request with a
    ``min_fidelity`` gets the fastest tree that meets it, purification-augmented unless
    ``purification`` is off (:func:`qdcopt.network.trees.past.fastest_past` at its default
    fidelity resolution: exact labels grow without bound on a chain); ``None`` when none
    does.  ``ignore_fidelity``: the fastest tree whatever
    its fidelity.

    ``memo`` (a dict the caller keeps across calls with shrinking ``free``, e.g. one
    copy after another) holds the last purification-augmented tree per request: the
    allowed links and swap nodes only shrink as memories are taken, so a tree found
    before whose links and swap nodes are all still allowed is still the fastest, and
    the label search (seconds on a 50-node network) is not repeated.
    """
    req = instance.requests[request]
    s, d = req.source, req.destination
    need_one = free >= 1
    ok = need_one[model.link_u] & need_one[model.link_v] & (rates > 0)
    with np.errstate(divide="ignore"):
        latency = np.where(ok, 1.0 / np.where(rates > 0, rates, 1.0), np.inf)
    can_swap = free >= 2
    if req.min_fidelity is not None and not ignore_fidelity:
        key = (request, purification)
        nodes = memo.get(key) if memo is not None else None
        if nodes == []:
            return None  # none found before, with more allowed: none now
        if nodes is not None and not _still_allowed(instance, nodes, ok, can_swap):
            nodes = None
        if nodes is None:
            past = fastest_past(instance, model, s, d, latency, link_fidelities(instance),
                                req.min_fidelity, purification=purification,
                                can_swap=can_swap, wait=EXACT_MAX)
            nodes = past_tree_nodes(past) if past is not None else None
            if memo is not None:
                memo[key] = nodes if nodes is not None else []
    else:
        nodes = min_latency_tree(instance, model, s, d, latency, can_swap, wait=EXACT_MAX)
    if nodes is None:
        return None
    tree = with_slot_rates(instance, model, request, nodes, rates)
    if tree is None or np.any(tree_slots(tree, instance.n) > free):
        return None
    return tree


def _still_allowed(instance: NetworkInstance, nodes: list[TreeNode], ok: np.ndarray,
                   can_swap: np.ndarray) -> bool:
    """Whether every leaf of ``nodes`` is on an allowed link and every swap at an allowed
    node."""
    for nd in nodes:
        if nd.is_leaf:
            link = instance.find_link(nd.u, nd.v)
            if link is None or not ok[link]:
                return False
        elif nd.swap_at >= 0 and not can_swap[nd.swap_at]:
            return False
    return True


def meets_fidelity(tree: SwapTree, instance: NetworkInstance) -> bool:
    """Whether ``tree`` delivers its request's ``min_fidelity`` (always, without one)."""
    want = instance.requests[tree.request].min_fidelity
    return want is None or tree_fidelity(tree, instance) >= want - FIDELITY_TOL


def _copies_in_rounds(instance: NetworkInstance, model: LinkModel, pick: Any,
                      ) -> list[SwapTree]:
    """Requests in turn (heaviest first) each add one tree copy that ``pick`` finds within
    the memories left; rounds repeat until no request can add one."""
    from qdcopt.network.resources import memories, slot_link_rate, tree_slots

    free = memories(instance)
    rates = slot_link_rate(instance, model)
    order = sorted(range(len(instance.requests)), key=lambda r: -instance.requests[r].weight)
    out: list[SwapTree] = []
    active = list(order)
    while active:
        still = []
        for r in active:
            tree = pick(r, free, rates)
            if tree is None:
                continue
            out.append(tree)
            free = free - tree_slots(tree, instance.n)
            still.append(r)
        active = still
    return out


def iterative_copies(instance: NetworkInstance, model: LinkModel | None = None,
                     purification: bool = True) -> list[SwapTree]:
    """The iterative method under reserved memories (``models/hyperflow.md``).

    Each request in turn takes the fastest tree copy (Knuth's Dijkstra over all trees,
    :func:`best_copy`) that fits the memories left; unlike the
    attempt-only version, one copy leaves memories that a request can use for another,
    so the turns repeat until no request can add a copy.
    """
    model = model if model is not None else link_model(instance)
    memo: dict = {}  # purification-augmented trees found so far (see best_copy)
    return _copies_in_rounds(
        instance, model,
        lambda r, free, rates: best_copy(instance, model, r, free, rates, purification,
                                         memo=memo))


def greedy_copies(instance: NetworkInstance, model: LinkModel | None = None,
                  purification: bool = True) -> list[SwapTree]:
    """Shortest-fibre-path balanced tree copies within the memories left, in turns (never
    purifying: a copy that misses its request's ``min_fidelity`` is not made)."""
    import networkx as nx

    from qdcopt.network.resources import usable_graph, with_slot_rates

    model = model if model is not None else link_model(instance)

    def pick(r: int, free: np.ndarray, rates: np.ndarray) -> SwapTree | None:
        req = instance.requests[r]
        graph = usable_graph(instance, free, req.source, req.destination, rates)
        if req.source not in graph or req.destination not in graph:
            return None
        for u, v in graph.edges:
            graph.edges[u, v]["km"] = instance.links[graph.edges[u, v]["link"]].length
        try:
            path = nx.shortest_path(graph, req.source, req.destination, weight="km")
        except nx.NetworkXNoPath:
            return None
        tree = with_slot_rates(instance, model, r, balanced_tree(path), rates)
        return tree if tree is not None and meets_fidelity(tree, instance) else None

    return _copies_in_rounds(instance, model, pick)


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
