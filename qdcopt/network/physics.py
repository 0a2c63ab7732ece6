"""The physics of a network plan: link-level Bell-pair rates and node capacities from
physical parameters, and the latency of a swapping tree (paper 003, eq. 1).

A link pair is heralded by an optical Bell-state measurement (BSM) at the middle of the
fibre: each end node excites an atom (time ``t_gen``, success ``p_gen``), the photon
travels half the link (transmission ``p_ch = exp(-d / (2 L0))``) and the optical BSM
succeeds with ``p_obsm``.  One attempt therefore succeeds with

    p_link = p_gen(u) · p_gen(v) · p_ch² · p_obsm,      p_ch² = exp(-d / L0),

and holds one memory at each end for the generation time.  A node with ``m`` memories and
generation time ``t_gen`` can thus make at most ``C = m / t_gen`` attempts per second,
shared by all its links; a link generating ``r`` pairs/s makes ``r / p_link`` attempts/s
at each of its ends.  Both rules are in ``models/hyperflow.md``.

A link with an explicit ``rate`` (pairs/s when both ends give it all their memories)
gets the success probability that reproduces that rate: ``p_link = rate / min(C_u, C_v)``.

A swapping tree (:class:`SwapTree`) is a leaf (a link pair) or a swap of two subtrees;
:func:`tree_latency` gives its expected latency by eq. 1 and :func:`tree_need` the pairs each
node supplies per unit of its rate.  Plans and the validator use them; the methods that
build trees are in :mod:`qdcopt.network.trees.builders` and :mod:`qdcopt.network.lp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from qdcopt.network.instance import (  # data-level physics lives with the data
    NetworkInstance,
    link_fidelities,
    link_success,
    node_capacity,
    swap_noise,
)
from qdcopt.network.purification import purify_werner, werner_fidelity, werner_parameter

LINK_SUCCESS_FLOOR = 1e-9
"""Least success probability per attempt of a link a planner uses.  Below it a link makes
fewer than one pair in 14 hours at 20 000 attempts/s, and its cost ``1 / p`` would put
coefficients beyond 1e9 before the solvers; such links are left out of every plan, and a
request they cut off gets rate 0 with a reason that names them."""

PUBLISHED = "published"
STEADY_STATE = "steady_state"
VARIANTS = (PUBLISHED, STEADY_STATE)
# Expected maximum of two i.i.d. exponential waits is 3/2 of one mean (paper 003 eq. 1).
MAX_OF_TWO_EXPONENTIALS = 1.5


def check_variant(variant: str) -> str:
    """Return ``variant`` if known, else raise ``ValueError`` naming the known ones."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown hyperflow variant {variant!r} (use {', '.join(VARIANTS)})")
    return variant


def swap_gain(swap_success: np.ndarray | float, variant: str) -> np.ndarray:
    """Output pairs per consumed input pair of a swap: ``γ_w``.

    Parameters
    ----------
    swap_success
        Swap success probability ``q_w`` of each node.
    variant
        ``"published"``: ``γ = q · 2/3`` (Ghaderibaneh et al. 2022: the two inputs wait
        for each other, and the expected maximum of two exponential waits is 3/2 of one);
        ``"steady_state"``: ``γ = q`` (inputs are buffered, every pair is swapped once).

    Returns
    -------
    numpy.ndarray
        ``γ_w`` per node.
    """
    q = np.asarray(swap_success, dtype=float)
    if check_variant(variant) == PUBLISHED:
        return q / MAX_OF_TWO_EXPONENTIALS
    return q.copy()


@dataclass(frozen=True)
class LinkModel:
    """Rates and capacities of one instance, as arrays.

    Attributes
    ----------
    link_u, link_v
        End nodes of each link (``u < v``).
    success
        ``p_link`` per link: probability that one generation attempt yields a pair.
    capacity
        Largest rate of each link, pairs/s: ``p_link · min(C_u, C_v)``.
    node_capacity
        ``C_u = memories / generation_time``, attempts/s.
    swap_success
        ``q_w`` per node.
    classical_distance
        Fibre distance between every two nodes (km), ``inf`` when disconnected.
    """

    link_u: np.ndarray
    link_v: np.ndarray
    success: np.ndarray
    capacity: np.ndarray
    node_capacity: np.ndarray
    swap_success: np.ndarray
    classical_distance: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.node_capacity)


def fibre_distances(instance: NetworkInstance) -> np.ndarray:
    """Shortest fibre distance (km) between every two nodes; classical messages follow fibre."""
    n = instance.n
    if not instance.links:
        dist = np.full((n, n), np.inf)
        np.fill_diagonal(dist, 0.0)
        return dist
    u = np.array([link.u for link in instance.links])
    v = np.array([link.v for link in instance.links])
    w = np.array([link.length for link in instance.links], dtype=float)
    # Zero-length links would vanish from a sparse matrix; a tiny length keeps them.
    w = np.maximum(w, 1e-12)
    graph = coo_matrix((w, (u, v)), shape=(n, n)).tocsr()
    return dijkstra(graph, directed=False)


def link_model(instance: NetworkInstance) -> LinkModel:
    """All rates and capacities of ``instance``.

    Parameters
    ----------
    instance
        The network.

    Returns
    -------
    LinkModel
    """
    cap = node_capacity(instance)
    success = link_success(instance, cap)
    lu = np.array([link.u for link in instance.links], dtype=np.int64)
    lv = np.array([link.v for link in instance.links], dtype=np.int64)
    link_cap = success * np.minimum(cap[lu], cap[lv]) if len(lu) else np.zeros(0)
    q = np.array([n.swap_success for n in instance.nodes], dtype=float)
    return LinkModel(link_u=lu, link_v=lv, success=success, capacity=link_cap,
                     node_capacity=cap, swap_success=q,
                     classical_distance=fibre_distances(instance))


def weak_links(model: LinkModel) -> np.ndarray:
    """Indices of the links whose success per attempt is below :data:`LINK_SUCCESS_FLOOR`."""
    return np.flatnonzero(model.success < LINK_SUCCESS_FLOOR)


def classical_latency(model: LinkModel, speed_km_s: float, w: int, u: int, v: int) -> float:
    """Time for swap node ``w`` to tell both ends ``u`` and ``v`` its outcome, seconds."""
    d = model.classical_distance
    return max(d[w, u], d[w, v]) / speed_km_s


# -- swapping trees and their latency (paper 003, eq. 1) ---------------------------------
NO_SWAP = -1
PURIFY = -2
FIDELITY_TOL = 1e-9
"""Slack of every fidelity comparison (a tree's fidelity against its request's target)."""
"""``swap_at`` of a purification node: it takes one pair from each of its two children,
which both make its own pair ``{u, v}``, and keeps one of higher fidelity when the round
succeeds (``models/purification.md``)."""


@dataclass(frozen=True)
class TreeNode:
    """One node of a swapping tree.

    Attributes
    ----------
    u, v
        The pair this subtree makes (node indices).
    swap_at
        Node that swaps the children's pairs, ``-1`` for a leaf (a link pair), or
        :data:`PURIFY` for a purification node.
    left, right
        Indices (in the tree's node tuple) of the children making ``{u, swap_at}`` and
        ``{swap_at, v}`` (both ``{u, v}`` for a purification); ``-1`` for a leaf.
    link_rate
        For a leaf: link pairs/s this tree draws from the link; 0 for a swap.
    """

    u: int
    v: int
    swap_at: int = NO_SWAP
    left: int = -1
    right: int = -1
    link_rate: float = 0.0

    @property
    def is_leaf(self) -> bool:
        """Whether this node is a link pair."""
        return self.swap_at == NO_SWAP

    @property
    def is_purification(self) -> bool:
        """Whether this node purifies its children's pairs."""
        return self.swap_at == PURIFY


@dataclass(frozen=True)
class SwapTree:
    """A swapping tree serving one request at a rate.

    Attributes
    ----------
    request
        Index of the request.
    rate
        Pairs/s it delivers.
    nodes
        Its nodes; ``nodes[0]`` is the root.
    """

    request: int
    rate: float
    nodes: tuple[TreeNode, ...]

    def leaves(self) -> list[TreeNode]:
        """The leaf nodes."""
        return [node for node in self.nodes if node.is_leaf]

    def swaps(self) -> list[TreeNode]:
        """The swap nodes."""
        return [node for node in self.nodes if node.swap_at >= 0]

    @property
    def purifies(self) -> bool:
        """Whether the tree holds a purification node."""
        return any(node.is_purification for node in self.nodes)

    def depth(self) -> int:
        """Number of swap levels on the longest root-to-leaf path."""
        def rec(i: int) -> int:
            node = self.nodes[i]
            return 0 if node.is_leaf else 1 + max(rec(node.left), rec(node.right))
        return rec(0)


def swap_latency_term(model: LinkModel, instance: NetworkInstance, w: int, u: int,
                      v: int) -> float:
    """``t_swap + t_classical`` of a swap at ``w`` making ``{u, v}``, seconds."""
    d = model.classical_distance
    return instance.physics.swap_latency + max(d[w, u], d[w, v]) / instance.physics.classical_speed


def purify_latency_term(model: LinkModel, instance: NetworkInstance, u: int, v: int,
                        ) -> float:
    """``t_op + t_classical`` of a purification of ``{u, v}``: both ends operate, then
    compare their outcomes over the fibre between them, seconds."""
    return (instance.physics.swap_latency
            + model.classical_distance[u, v] / instance.physics.classical_speed)


def tree_werner(nodes: tuple[TreeNode, ...] | list[TreeNode], instance: NetworkInstance,
                ) -> tuple[list[float], list[float]]:
    """Werner parameter of the pair each tree node makes, and each node's success factor
    from purification.

    Leaves make fresh link pairs (:func:`qdcopt.network.instance.link_fidelities`); a
    swap multiplies its children's parameters and the dephasing of its two measured
    qubits (:func:`qdcopt.network.instance.swap_noise`, as the runtime applies it); a
    purification applies :func:`qdcopt.network.purification.purify_werner` (DEJMPS,
    output twirled to Werner) and succeeds with its probability ``p``.

    Returns
    -------
    (w, success)
        Per node: its pair's Werner parameter, and ``p`` of a purification node (1 for
        leaves and swaps, whose success is ``q`` of the swapping node).
    """
    fid = link_fidelities(instance)
    noise = swap_noise(instance)
    w = [1.0] * len(nodes)
    p = [1.0] * len(nodes)

    def rec(i: int) -> float:
        node = nodes[i]
        if node.is_leaf:
            link = instance.find_link(node.u, node.v)
            w[i] = werner_parameter(float(fid[link])) if link is not None else 0.0
        elif node.is_purification:
            p[i], w[i] = purify_werner(rec(node.left), rec(node.right))
        else:
            w[i] = rec(node.left) * rec(node.right) * noise
        return w[i]

    rec(0)
    return w, p


def tree_fidelity(tree: SwapTree, instance: NetworkInstance) -> float:
    """Fidelity of the pairs ``tree`` delivers (:func:`tree_werner` at its root)."""
    w, _ = tree_werner(tree.nodes, instance)
    return werner_fidelity(w[0])


def tree_latency(tree: SwapTree, instance: NetworkInstance, model: LinkModel | None = None,
                 ) -> float:
    """Expected latency of ``tree`` by paper 003's eq. 1 from its leaves' ``link_rate``.

    A purification node waits for both children as a swap does, then for its own
    operation and the ends' exchange of outcomes, and succeeds with ``p`` (the same rule
    as :func:`qdcopt.network.trees.past.fastest_past`).

    Parameters
    ----------
    tree
        The tree (leaves with their link rates).
    instance
        The network.
    model
        Its link model (computed when not given).

    Returns
    -------
    float
        Seconds; ``inf`` when a leaf has no rate.
    """
    model = model if model is not None else link_model(instance)
    q = model.swap_success
    p = tree_werner(tree.nodes, instance)[1] if tree.purifies else None

    def rec(i: int) -> float:
        node = tree.nodes[i]
        if node.is_leaf:
            return math.inf if node.link_rate <= 0 else 1.0 / node.link_rate
        worst = max(rec(node.left), rec(node.right))
        if node.is_purification:
            assert p is not None
            return ((MAX_OF_TWO_EXPONENTIALS * worst
                     + purify_latency_term(model, instance, node.u, node.v)) / p[i])
        extra = swap_latency_term(model, instance, node.swap_at, node.u, node.v)
        return (MAX_OF_TWO_EXPONENTIALS * worst + extra) / q[node.swap_at]

    return rec(0)


def tree_need(tree: SwapTree, gamma: np.ndarray, success: list[float] | None = None,
              ) -> tuple[list[float], list[float]]:
    """Pairs each tree node must supply per unit of the tree's rate, in the hyperflow view.

    The root supplies 1; a swap at ``w`` supplying ``N`` consumes ``N / γ_w`` of each child;
    a purification supplying ``N`` makes ``N / p`` attempts, each taking one pair of each
    child (``success``: ``p`` per node from :func:`tree_werner`, required when the tree
    purifies).

    Returns
    -------
    (supply, consumption)
        Per node: pairs supplied per unit rate, and for swaps the swap flow per unit rate
        (0 for leaves).
    """
    supply = [0.0] * len(tree.nodes)
    flow = [0.0] * len(tree.nodes)
    supply[0] = 1.0
    order = [0]
    for i in order:  # parents precede children: breadth-first over the tuple
        node = tree.nodes[i]
        if node.is_leaf:
            continue
        if node.is_purification:
            if success is None:
                raise ValueError("tree_need: a purifying tree needs its nodes' success")
            flow[i] = supply[i] / success[i]
        else:
            flow[i] = supply[i] / gamma[node.swap_at]
        for c in (node.left, node.right):
            supply[c] += flow[i]
            order.append(c)
    return supply, flow
