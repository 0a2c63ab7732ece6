"""The memory model shared by the planner, the validator and the runtime (family B).

A quantum memory at a node is one storage slot.  While a tree runs it **reserves one
memory per link end of its route**: one at each end node, two at every node where it
swaps (one for the pair on each side).  A reserved memory is either *attempting* (one
generation attempt per ``t_gen``, both ends of a link together) or *storing* a pair until
the swap that uses it, the delivery, or a cut-off frees it.  Attempt time and storage
time are thus both spent inside the reservation, and the rule a plan must keep is

    Σ_trees  link ends of the tree at u  ≤  memories(u)          for every node u.

A link of success ``p_l`` between two reserved memories yields pairs at
``g_l = p_l / max(t_gen(u), t_gen(v))`` while both attempt (:func:`slot_link_rate`).  A
tree's expected latency is eq. 1 over those leaf rates with the expected maximum of the
two children's waits taken exactly for exponential waits of means ``a`` and ``b``,

    E[max] = a + b − a·b / (a + b)               (= 3/2 · a when a = b, eq. 1's factor),

and its rate is ``1 / T`` (:func:`reserved_latency`).  Eq. 1's ``3/2 · max(a, b)``
over-states the wait when the children differ (``a ≫ b`` waits about ``a``, not
``1.5 a``), and under this model a tree's pairs really do wait for each other and restart
together after a failed swap, so the exact maximum is what a run delivers.  A
tree that needs more rate runs as several copies, each with its own memories.  Because
a swap holds the pairs of both sides at once, a node with one memory can end a tree but
never swap inside one.  The rule is ``B8-MEMORY`` in the validator; the runtime enforces
it per tree (``slots`` in :mod:`qdcopt.network.runtime.config`); ``models/runtime.md``
and ``models/hyperflow.md`` derive it.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import (
    LINK_SUCCESS_FLOOR,
    NO_SWAP,
    LinkModel,
    SwapTree,
    TreeNode,
    link_model,
    purify_latency_term,
    swap_latency_term,
    tree_werner,
    weak_links,
)

RESERVED = "reserved"
"""Rate model of plans under this memory model (tree rate = copies / eq.-1 latency)."""


def memories(instance: NetworkInstance) -> np.ndarray:
    """Memories of every node."""
    return np.array([node.memories for node in instance.nodes], dtype=np.int64)


def slot_link_rate(instance: NetworkInstance, model: LinkModel) -> np.ndarray:
    """Pairs/s of each link while one reserved memory at each end attempts.

    One attempt per generation time at each end (the slower end paces the link), each
    succeeding with ``p_l``: ``g_l = p_l · min(C_u / m_u, C_v / m_v)`` with
    ``C / m = 1 / t_gen``.
    """
    per_memory = model.node_capacity / memories(instance)
    if not len(model.link_u):
        return np.zeros(0)
    rate = model.success * np.minimum(per_memory[model.link_u], per_memory[model.link_v])
    rate[weak_links(model)] = 0.0  # below the floor: never planned
    return rate


def tree_slots(tree: SwapTree, n: int) -> np.ndarray:
    """Memories a tree reserves at each node: one per link end of its leaves."""
    out = np.zeros(n, dtype=np.int64)
    for node in tree.nodes:
        if node.is_leaf:
            out[node.u] += 1
            out[node.v] += 1
    return out


def both_ready(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    """Expected time until both of two exponential waits of means ``a`` and ``b`` end:
    ``a + b − a·b/(a + b)``, computed as ``M + m²/(M + m)`` with ``M``, ``m`` the larger
    and smaller mean (``inf`` when either is)."""
    if np.isscalar(a) and np.isscalar(b):
        big, small = (a, b) if a >= b else (b, a)
        if math.isinf(big):
            return math.inf
        return float(big + small * small / (big + small))
    big = np.maximum(a, b)
    small = np.minimum(a, b)
    # an infinite smaller mean means both are infinite: count it as 0 so that no
    # inf/inf is formed; the larger one makes the result infinite anyway
    small = np.where(np.isfinite(small), small, 0.0)
    return big + small * small / (big + small)


def reserved_latency(instance: NetworkInstance, model: LinkModel,
                     nodes: list[TreeNode] | tuple[TreeNode, ...]) -> float:
    """Expected latency of one tree copy under the reserved-memory model, seconds.

    ``T(leaf) = 1 / g``; ``T = (E[max(T_left, T_right)] + t_swap + t_classical) / q_w``
    with :func:`both_ready` for the expected maximum (see the module docstring); a
    purification divides by its success ``p`` instead, after the ends' exchange.
    """
    q = model.swap_success
    p = (tree_werner(nodes, instance)[1] if any(nd.is_purification for nd in nodes)
         else None)

    def rec(i: int) -> float:
        node = nodes[i]
        if node.is_leaf:
            return math.inf if node.link_rate <= 0 else 1.0 / node.link_rate
        wait = both_ready(rec(node.left), rec(node.right))
        if node.is_purification:
            assert p is not None
            return (wait + purify_latency_term(model, instance, node.u, node.v)) / p[i]
        extra = swap_latency_term(model, instance, node.swap_at, node.u, node.v)
        return (wait + extra) / q[node.swap_at]

    return rec(0)


def with_slot_rates(instance: NetworkInstance, model: LinkModel, request: int,
                    nodes: list[TreeNode], rates: np.ndarray) -> SwapTree | None:
    """The tree over ``nodes`` with every leaf at its link's reserved-memory rate and the
    tree's rate ``1 / T`` by eq. 1 (``None`` when ``T`` is infinite)."""
    out = []
    for node in nodes:
        if node.is_leaf:
            link = instance.find_link(node.u, node.v)
            node = TreeNode(u=node.u, v=node.v, link_rate=float(rates[link]))
        out.append(node)
    latency = reserved_latency(instance, model, out)
    if not math.isfinite(latency) or latency <= 0:
        return None
    return SwapTree(request=request, rate=1.0 / latency, nodes=tuple(out))


def path_tree(instance: NetworkInstance, model: LinkModel, request: int, route: list[int],
              rates: np.ndarray) -> SwapTree | None:
    """The minimum-latency swapping tree over a fixed route (interval DP, ``O(H³)``).

    Parameters
    ----------
    instance, model
        The network and its link model.
    request
        Request index recorded in the tree.
    route
        Node indices ``v_0 … v_H`` (consecutive nodes joined by links).
    rates
        Leaf rate of every link (:func:`slot_link_rate`).

    Returns
    -------
    SwapTree or None
        One copy of the tree, rate ``1 / T``.
    """
    h = len(route) - 1
    dist = model.classical_distance
    ph = instance.physics
    inv_q = 1.0 / model.swap_success
    best = np.full((h + 1, h + 1), np.inf)
    via = np.full((h + 1, h + 1), -1, dtype=np.int64)
    for i in range(h):
        link = instance.find_link(route[i], route[i + 1])
        g = rates[link] if link is not None else 0.0
        best[i, i + 1] = 1.0 / g if g > 0 else np.inf
    r = np.asarray(route)
    extra_of = ph.swap_latency + np.zeros(1)
    for span in range(2, h + 1):
        # every segment [i, i + span] at once: rows i, columns the swap position i + k
        i = np.arange(h - span + 1)[:, None]
        m = i + np.arange(1, span)[None, :]
        j = i + span
        wait = both_ready(best[i, m], best[m, j])
        extra = extra_of + np.maximum(dist[r[m], r[i]], dist[r[m], r[j]]) / ph.classical_speed
        cand = (wait + extra) * inv_q[r[m]]
        k = np.argmin(cand, axis=1)
        rows = np.arange(len(k))
        best[rows, rows + span] = cand[rows, k]
        via[rows, rows + span] = m[rows, k]
    if not math.isfinite(best[0, h]):
        return None
    nodes: list[TreeNode] = []

    def build(i: int, j: int) -> int:
        idx = len(nodes)
        nodes.append(TreeNode(u=route[i], v=route[j]))
        if j == i + 1:
            return idx
        m = int(via[i, j])
        left = build(i, m)
        right = build(m, j)
        nodes[idx] = TreeNode(u=route[i], v=route[j], swap_at=route[m], left=left,
                              right=right)
        return idx

    build(0, h)
    return with_slot_rates(instance, model, request, nodes, rates)


def usable_graph(instance: NetworkInstance, free: np.ndarray, s: int, d: int,
                 rates: np.ndarray | None = None) -> nx.Graph:
    """Links a new tree copy for ``{s, d}`` may use: the ends need one free memory, every
    other node two (it must hold the pairs on both its sides to swap them); with
    ``rates``, only links that make pairs."""
    graph = nx.Graph()
    need = np.full(instance.n, 2)
    need[[s, d]] = 1
    ok = free >= need
    graph.add_nodes_from(int(u) for u in np.flatnonzero(ok))
    for li, link in enumerate(instance.links):
        if ok[link.u] and ok[link.v] and (rates is None or rates[li] > 0):
            graph.add_edge(link.u, link.v, link=li)
    return graph


def zero_reason(instance: NetworkInstance, request: int) -> str | None:
    """Why no tree can ever serve ``request`` under this memory model (``None`` if one can).

    Returns
    -------
    str or None
        ``"no path"`` (the ends are not connected), ``"no swap node"`` (every path passes
        through a node with a single memory, which cannot hold the two pairs of a swap).
    """
    req = instance.requests[request]
    s, d = req.source, req.destination
    full = nx.Graph()
    full.add_nodes_from(range(instance.n))
    full.add_edges_from((link.u, link.v) for link in instance.links)
    if not nx.has_path(full, s, d):
        return (f"no path: {instance.nodes[s].id} and {instance.nodes[d].id} are not connected")
    model = link_model(instance)
    weak = set(weak_links(model).tolist())
    strong = nx.Graph()
    strong.add_nodes_from(range(instance.n))
    strong.add_edges_from((link.u, link.v) for li, link in enumerate(instance.links)
                          if li not in weak)
    if not nx.has_path(strong, s, d):
        shown = sorted(weak, key=lambda li: -model.success[li])[:5]
        names = ", ".join(
            f"{instance.nodes[instance.links[li].u].id}–{instance.nodes[instance.links[li].v].id}"
            f" ({instance.links[li].length:g} km, {model.success[li]:.1e} per attempt)"
            for li in shown) + (f" and {len(weak) - 5} more" if len(weak) > 5 else "")
        return (f"no usable path: every path from {instance.nodes[s].id} to "
                f"{instance.nodes[d].id} needs a link whose success per attempt is below "
                f"{LINK_SUCCESS_FLOOR:g}: {names}; insert repeaters (--repeater-spacing KM, "
                "or repeater_spacing in [physics])")
    usable = usable_graph(instance, memories(instance), s, d)
    for li in weak:
        link = instance.links[li]
        if usable.has_edge(link.u, link.v):
            usable.remove_edge(link.u, link.v)
    if s not in usable or d not in usable or not nx.has_path(usable, s, d):
        degree = np.zeros(instance.n, dtype=np.int64)
        for link in instance.links:
            degree[link.u] += 1
            degree[link.v] += 1
        # a node of degree one ends paths but lies inside none
        ones = sorted({instance.nodes[u].id for u in range(instance.n)
                       if instance.nodes[u].memories < 2 and u not in (s, d)
                       and degree[u] >= 2})
        return ("no swap node: every path from {a} to {b} passes a node with one memory "
                "({ones}), which cannot hold the two pairs of a swap").format(
                    a=instance.nodes[s].id, b=instance.nodes[d].id, ones=", ".join(ones))
    return None


def fidelity_reason(instance: NetworkInstance, request: int, purification: bool) -> str:
    """Why ``request`` gets no tree when trees exist but none meets its ``min_fidelity``."""
    req = instance.requests[request]
    how = "with purification" if purification else "without purification (purification=false)"
    return f"no tree reaches min_fidelity {req.min_fidelity:g} {how}"


def memory_use(trees: list[SwapTree] | tuple[SwapTree, ...], n: int) -> np.ndarray:
    """Memories all ``trees`` (one copy each) reserve at each node."""
    out = np.zeros(n, dtype=np.int64)
    for tree in trees:
        out += tree_slots(tree, n)
    return out


__all__ = [
    "NO_SWAP",
    "RESERVED",
    "both_ready",
    "fidelity_reason",
    "memories",
    "memory_use",
    "path_tree",
    "reserved_latency",
    "slot_link_rate",
    "tree_slots",
    "usable_graph",
    "with_slot_rates",
    "zero_reason",
]
