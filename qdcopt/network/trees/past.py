"""Purification-augmented swapping trees (PASTs): the fastest tree that meets a fidelity.

A PAST is a swapping tree with *purification nodes*: a unary step that takes two pairs
between the same two nodes and, with some probability, returns one pair of higher
fidelity (``models/purification.md``).  Pairs are Werner pairs described by their Werner
parameter ``w`` (a perfect swap multiplies parameters; purification outputs are twirled
back to Werner, which keeps their fidelity).  The latency model is paper 003's eq. 1, as
in :func:`qdcopt.network.dp.min_latency_tree`:

    swap at m        T = (3/2 · max(T₁, T₂) + t_s + max(d_mu, d_mv)/c) / q_m
    purification     T = (3/2 · max(T₁, T₂) + t_s + d_uv/c) / p(w₁, w₂)

(``t_s`` the local operation, the classical messages travel at ``c``; a purification needs
both ends to compare outcomes).

**Fidelity as a second label.**  ``L = −ln w`` adds under swaps and falls under
purification, so each pair ``{u, v}`` keeps a set of labels ``(T, L)`` — latency and
fidelity loss — none of which another label of the pair beats in both.  A swap also
adds the constant ``−ln`` of its measured qubits' dephasing
(:func:`qdcopt.network.instance.swap_noise`), as the runtime applies it.  Labels are
settled in increasing ``T`` (Knuth's generalisation of Dijkstra: every rule gives at
least the larger input latency), each settled label is combined with every settled
label that shares an end (a swap) or the same pair (a purification), and the first
settled label of ``{s, d}`` with ``L ≤ −ln w_target`` is the answer.  Kept exactly
(``resolution = 0``) this is the optimum over all PASTs of the model; with
``resolution = k`` two labels of a pair within ``L_target / k`` of each other in ``L``
count as equal, which bounds the label sets (the answer still meets the target: its
fidelity is recomputed exactly through the tree).  Labels below fidelity 1/2 are
dropped: Werner pairs there can neither be purified nor help meet a target.  Without a
target every label has ``L = 0`` and this is today's swapping-tree DP.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from qdcopt.network.dp import EQ1, EXACT_MAX
from qdcopt.network.instance import NetworkInstance, swap_noise
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, LinkModel, TreeNode
from qdcopt.network.physics import PURIFY as TREE_PURIFY
from qdcopt.network.purification import (
    DEJMPS,
    PROTOCOLS,
    check_fidelity,
    purify_werner,
    werner_fidelity,
    werner_parameter,
)

LINK, SWAP, PURIFY = "link", "swap", "purify"


@dataclass(frozen=True)
class PastNode:
    """One node of a PAST.

    Attributes
    ----------
    kind
        ``"link"``, ``"swap"`` or ``"purify"``.
    u, v
        End nodes of the pair it makes.
    latency
        Expected latency of its pair (eq. 1), seconds.
    fidelity
        Fidelity of its pair (exact, recomputed through the tree).
    left, right
        Indices of its two inputs (``-1`` for a link).
    swap_at
        Swap node (``-1`` unless ``kind == "swap"``).
    """

    kind: str
    u: int
    v: int
    latency: float
    fidelity: float
    left: int = -1
    right: int = -1
    swap_at: int = -1


@dataclass(frozen=True)
class Past:
    """The fastest PAST found for one node pair.

    Attributes
    ----------
    nodes
        Root first.
    latency
        Expected latency of the root pair (the DP's value), seconds.
    fidelity
        Exact fidelity of the root pair.
    """

    nodes: tuple[PastNode, ...]
    latency: float
    fidelity: float

    @property
    def rate(self) -> float:
        """Pairs per second, ``1 / latency``."""
        return 1.0 / self.latency

    @property
    def purifications(self) -> int:
        """Number of purification steps."""
        return sum(n.kind == PURIFY for n in self.nodes)


def fastest_past(instance: NetworkInstance, model: LinkModel, s: int, d: int,
                 leaf_latency: np.ndarray, link_fidelity: float | np.ndarray,
                 min_fidelity: float | None, *, protocol: str = DEJMPS,
                 resolution: int = 64, purification: bool = True,
                 can_swap: np.ndarray | None = None, wait: str = EQ1) -> Past | None:
    """The least-latency PAST for ``{s, d}`` whose root meets ``min_fidelity``.

    Parameters
    ----------
    instance, model
        The network and its link model (swap success, classical distances).
    s, d
        End nodes.
    leaf_latency
        ``1 / rate`` of a leaf on each link (``inf``: unusable).
    link_fidelity
        Werner fidelity of a fresh pair, one number or one per link (in [1/4, 1]).
    min_fidelity
        Fidelity the root must meet (``None``: none; then this is the plain tree DP).
    protocol
        ``"dejmps"`` or ``"bbpssw"`` (outputs are twirled to Werner either way).
    resolution
        Labels of one pair closer than ``L_target / resolution`` in ``−ln w`` count as
        equally good (0: keep every label, exact).
    purification
        Whether purification nodes may be used.
    can_swap
        Nodes allowed to swap (default: all); purification needs no such node.
    wait
        :data:`~qdcopt.network.dp.EQ1` (``3/2 · max``, default) or
        :data:`~qdcopt.network.dp.EXACT_MAX` (the exact expected maximum of two
        exponential waits, the reserved-memory model): the wait for both inputs of a swap
        or a purification.

    Returns
    -------
    Past or None
        ``None`` when no tree meets the target.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if resolution < 0:
        raise ValueError(f"resolution must be >= 0, got {resolution!r}")
    if wait not in (EQ1, EXACT_MAX):
        raise ValueError(f"wait must be {EQ1!r} or {EXACT_MAX!r}, got {wait!r}")
    exact = wait == EXACT_MAX

    def both(a: float, b: float) -> float:
        """Expected wait for two independent inputs of mean waits ``a`` and ``b``."""
        big, small = (a, b) if a >= b else (b, a)
        if exact:
            return big + small * small / (big + small) if big > 0 else 0.0
        return MAX_OF_TWO_EXPONENTIALS * big

    nl = len(model.link_u)
    fid = np.broadcast_to(np.asarray(link_fidelity, dtype=float), (nl,))
    for f in fid:
        check_fidelity(float(f))
    track = min_fidelity is not None
    l_target = 0.0
    if track:
        check_fidelity(float(min_fidelity))
        w_target = werner_parameter(float(min_fidelity))
        if w_target <= 1.0 / 3.0 + 1e-12:
            raise ValueError(f"min_fidelity must exceed 1/2 (got {min_fidelity!r}): Werner "
                             "pairs at or below it cannot be purified and need no target")
        l_target = -math.log(w_target)
    purification = purification and track
    slack = l_target / resolution if (track and resolution) else 0.0
    l_cap = math.log(3.0)  # below fidelity 1/2 a pair can neither be purified nor help
    t_s = float(instance.physics.swap_latency)
    # a swap's measured qubits dephase (instance.swap_noise): a constant loss per swap
    l_swap = -math.log(swap_noise(instance)) if track else 0.0
    inv_c = 1.0 / float(instance.physics.classical_speed)
    dist = np.asarray(model.classical_distance, dtype=float)
    q = np.asarray(model.swap_success, dtype=float)
    swap_ok = (np.ones(instance.n, dtype=bool) if can_swap is None
               else np.asarray(can_swap, dtype=bool))

    key = (min(s, d), max(s, d))
    # labels: (T, L, u, v, kind, a, b, m); kind 0 link (a = link), 1 swap at m, 2 purify
    labels: list[tuple[float, float, int, int, int, int, int, int]] = []
    heap: list[tuple[float, float, int]] = []
    settled: dict[tuple[int, int], list[int]] = {}
    # Labels settle in increasing T and every new label is at least as slow as the one
    # being settled, so every settled label of a pair is as fast as any label pushed or
    # popped later: dominance reduces to the smallest L settled for the pair.
    best_l: dict[tuple[int, int], float] = {}
    at_node: dict[int, list[int]] = {}

    def push(t: float, lv: float, u: int, v: int, kind: int, a: int, b: int, m: int) -> None:
        if not math.isfinite(t) or lv > l_cap + 1e-12:
            return
        if u > v:
            u, v = v, u
        # the requested pair is pruned exactly: a label within the slack but above the
        # target must never hide one that meets it
        sl = 0.0 if (u, v) == key else slack
        if best_l.get((u, v), math.inf) <= lv + sl:
            return  # a settled label is as fast and (nearly) as good
        labels.append((t, lv, u, v, kind, a, b, m))
        heapq.heappush(heap, (t, lv, len(labels) - 1))

    for i in range(nl):
        if math.isfinite(leaf_latency[i]):
            lv = -math.log(werner_parameter(float(fid[i]))) if track else 0.0
            if not track or werner_parameter(float(fid[i])) > 0:
                push(float(leaf_latency[i]), lv, int(model.link_u[i]), int(model.link_v[i]),
                     0, i, -1, -1)
    found = -1
    while heap:
        t, lv, i = heapq.heappop(heap)
        _, _, u, v, _, _, _, _ = labels[i]
        sl = 0.0 if (u, v) == key else slack
        if best_l.get((u, v), math.inf) <= lv + sl:
            continue
        settled.setdefault((u, v), []).append(i)
        best_l[(u, v)] = lv  # below every earlier one, or it would have been skipped
        if (u, v) == key and lv <= l_target + 1e-12 if track else (u, v) == key:
            found = i
            break
        at_node.setdefault(u, []).append(i)
        at_node.setdefault(v, []).append(i)
        # swaps with every settled label sharing an end (the later of two settles it)
        for mid, end in ((u, v), (v, u)):
            if not swap_ok[mid]:
                continue
            for j in list(at_node.get(mid, ())):
                if j == i:
                    continue
                t2, l2, a2, b2 = labels[j][0], labels[j][1], labels[j][2], labels[j][3]
                other = b2 if a2 == mid else a2
                if other == end:
                    continue
                extra = t_s + max(dist[mid, end], dist[mid, other]) * inv_c
                push((both(t, t2) + extra) / q[mid], lv + l2 + l_swap,
                     end, other, 1, i, j, mid)
        if purification:
            for j in settled[(u, v)]:
                t2, l2 = labels[j][0], labels[j][1]
                p, w_out = purify_werner(math.exp(-lv), math.exp(-l2), protocol)
                if w_out <= 0 or -math.log(w_out) >= min(lv, l2) - 1e-15:
                    continue  # no gain over the better input
                push((both(t, t2) + t_s + dist[u, v] * inv_c) / p,
                     -math.log(w_out), u, v, 2, i, j, -1)
    if found < 0:
        return None
    nodes: list[PastNode] = []
    _build(nodes, labels, fid, found, s, d, protocol, swap_noise(instance) if track else 1.0)
    return Past(nodes=tuple(nodes), latency=float(labels[found][0]),
                fidelity=nodes[0].fidelity)


def _build(nodes: list[PastNode], labels: list[tuple], fid: np.ndarray, i: int, u: int,
           v: int, protocol: str, noise: float) -> int:
    """Append the tree of label ``i`` oriented ``u → v``; return its index (fidelities
    recomputed exactly through the tree)."""
    t, _, _, _, kind, a, b, m = labels[i]
    k = len(nodes)
    nodes.append(PastNode(LINK, u, v, float(t), 0.0))
    if kind == 0:
        nodes[k] = PastNode(LINK, u, v, float(t), float(fid[a]))
        return k
    if kind == 1:
        left = _build(nodes, labels, fid, a if u in labels[a][2:4] else b, u, m, protocol,
                      noise)
        right = _build(nodes, labels, fid, b if u in labels[a][2:4] else a, m, v, protocol,
                       noise)
        w = (werner_parameter(nodes[left].fidelity) * werner_parameter(nodes[right].fidelity)
             * noise)
        nodes[k] = PastNode(SWAP, u, v, float(t), werner_fidelity(w), left, right, m)
        return k
    left = _build(nodes, labels, fid, a, u, v, protocol, noise)
    right = _build(nodes, labels, fid, b, u, v, protocol, noise)
    _, w = purify_werner(werner_parameter(nodes[left].fidelity),
                         werner_parameter(nodes[right].fidelity), protocol)
    nodes[k] = PastNode(PURIFY, u, v, float(t), werner_fidelity(w), left, right)
    return k


def past_tree_nodes(past: Past) -> list[TreeNode]:
    """The PAST as swapping-tree nodes (root first, leaves without rates): a purification
    node has ``swap_at =`` :data:`~qdcopt.network.physics.PURIFY`."""
    out = []
    for nd in past.nodes:
        if nd.kind == LINK:
            out.append(TreeNode(u=nd.u, v=nd.v))
        elif nd.kind == SWAP:
            out.append(TreeNode(u=nd.u, v=nd.v, swap_at=nd.swap_at, left=nd.left,
                                right=nd.right))
        else:
            out.append(TreeNode(u=nd.u, v=nd.v, swap_at=TREE_PURIFY, left=nd.left,
                                right=nd.right))
    return out


__all__ = ["LINK", "PURIFY", "SWAP", "Past", "PastNode", "fastest_past", "past_tree_nodes"]
