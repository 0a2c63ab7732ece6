"""The swapping hypergraph: node-pair states and swap hyperedges.

A *state* is an unordered node pair ``{u, v}``: Bell pairs shared by ``u`` and ``v``.  A
*swap* ``(w, u, v)`` (``u < v``, ``w ∉ {u, v}``) takes one pair of state ``{u, w}`` and
one of ``{w, v}`` and makes one of ``{u, v}`` at node ``w`` (with probability/gain ``γ_w``).
The full hypergraph has ``n(n-1)/2`` states and ``n · C(n-1, 2)`` swaps: 58 800 at 50 nodes,
485 100 at 100 and 3 940 200 at 200.  Swaps are held as three int arrays ``(w, u, v)`` and
named by the integer key ``(w · n + u) · n + v``.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import networkx as nx
import numpy as np

from qdcopt.network.instance import NetworkInstance


def state_count(n: int) -> int:
    """Number of node-pair states of an ``n``-node network."""
    return n * (n - 1) // 2


def full_swap_count(n: int) -> int:
    """Number of swap hyperedges of the full hypergraph: ``n · C(n-1, 2)``."""
    return n * (n - 1) * (n - 2) // 2


def pair_ids(n: int) -> np.ndarray:
    """Dense ``n × n`` map from a node pair to its state index (``-1`` on the diagonal).

    The index of ``{u, v}`` (``u < v``) is its rank in row-major upper-triangular order.
    """
    ids = np.full((n, n), -1, dtype=np.int64)
    iu, iv = np.triu_indices(n, k=1)
    ids[iu, iv] = np.arange(len(iu))
    ids[iv, iu] = ids[iu, iv]
    return ids


def swap_keys(n: int, w: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Integer key of each swap ``(w, u, v)`` with ``u < v``."""
    return (np.asarray(w, dtype=np.int64) * n + u) * n + v


def split_keys(n: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`swap_keys`."""
    keys = np.asarray(keys, dtype=np.int64)
    return keys // (n * n), (keys // n) % n, keys % n


def full_swaps(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every swap ``(w, u, v)`` of the full hypergraph (``u < v``, ``w ∉ {u, v}``)."""
    iu, iv = np.triu_indices(n, k=1)
    ws, us, vs = [], [], []
    for w in range(n):
        keep = (iu != w) & (iv != w)
        ws.append(np.full(int(keep.sum()), w, dtype=np.int64))
        us.append(iu[keep])
        vs.append(iv[keep])
    if not ws:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(ws), np.concatenate(us).astype(np.int64), np.concatenate(vs).astype(
        np.int64)


def path_swaps(path: list[int]) -> list[tuple[int, int, int]]:
    """Every swap that a swapping tree over ``path`` can use.

    A tree over the path ``p_0 … p_k`` only ever holds pairs ``{p_i, p_l}`` and swaps them
    at an inner ``p_j`` (``i < j < l``), so these O(k³) hyperedges hold every tree.
    """
    out = []
    k = len(path)
    for i in range(k):
        for li in range(i + 2, k):
            a, b = path[i], path[li]
            lo, hi = min(a, b), max(a, b)
            for j in range(i + 1, li):
                out.append((path[j], lo, hi))
    return out


def k_shortest_paths(instance: NetworkInstance, source: int, destination: int,
                     k: int) -> list[list[int]]:
    """Up to ``k`` loop-free paths by fibre length (Yen's algorithm via networkx)."""
    graph = network_graph(instance)
    try:
        return list(islice(nx.shortest_simple_paths(graph, source, destination,
                                                    weight="length"), k))
    except nx.NetworkXNoPath:
        return []


def network_graph(instance: NetworkInstance) -> nx.Graph:
    """The network as a networkx graph on node indices with ``length`` edge attributes."""
    graph = nx.Graph()
    graph.add_nodes_from(range(instance.n))
    for link in instance.links:
        graph.add_edge(link.u, link.v, length=link.length)
    return graph


def pruned_swaps(instance: NetworkInstance, k: int = 10,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Swaps of every tree over the ``k`` shortest paths of every request (a restriction).

    Parameters
    ----------
    instance
        The network.
    k
        Paths per request.

    Returns
    -------
    (w, u, v)
        Distinct swaps, sorted by key.
    """
    found: set[tuple[int, int, int]] = set()
    for r in instance.requests:
        for path in k_shortest_paths(instance, r.source, r.destination, k):
            found.update(path_swaps(path))
    return swaps_from(instance.n, found)


def swaps_from(n: int, triples: Iterable[tuple[int, int, int]],
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct swaps from ``(w, a, b)`` triples (``a``/``b`` in any order), sorted by key."""
    arr = np.array(sorted(set(triples)), dtype=np.int64).reshape(-1, 3)
    w, a, b = arr[:, 0], arr[:, 1], arr[:, 2]
    keys = np.unique(swap_keys(n, w, np.minimum(a, b), np.maximum(a, b)))
    return split_keys(n, keys)
