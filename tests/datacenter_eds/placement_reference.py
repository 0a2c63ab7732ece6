"""The graph placement's partitioner as it was, on networkx: the reference the tests hold
the compiled partitioner (:mod:`qdcopt.datacenter.demand.partition`) to, part for part."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
from networkx.algorithms.community import kernighan_lin_bisection

from qdcopt.datacenter.demand.placement import balanced_sizes


def graph_part(graph: nx.Graph, capacities: Sequence[int], *, seed: int = 0,
               max_iter: int = 4) -> np.ndarray:
    """Recursive Kernighan–Lin bisection by networkx, then single-node moves."""
    n = graph.number_of_nodes()
    part = np.zeros(n, dtype=np.int64)
    sizes = balanced_sizes(n, capacities)
    _bisect(graph, list(range(n)), list(range(len(capacities))), sizes, part, seed, max_iter)
    _refine_moves(graph, part, list(capacities))
    return part


def _bisect(graph, nodes, parts, sizes, out, seed, max_iter):
    if len(parts) == 1:
        out[nodes] = parts[0]
        return
    half = len(parts) // 2
    left, right = parts[:half], parts[half:]
    n_left = sum(sizes[p] for p in left)
    sub = graph.subgraph(nodes)
    if 0 < n_left < len(nodes) and sub.number_of_edges():
        first = _grow(sub, n_left)
        a, b = kernighan_lin_bisection(sub, partition=(first, set(nodes) - first),
                                       max_iter=max_iter, weight="weight", seed=seed)
        if len(a) != n_left or (len(a) == len(b) and len(a & first) < len(b & first)):
            a, b = b, a
        a_nodes, b_nodes = sorted(a), sorted(b)
    else:
        a_nodes, b_nodes = sorted(nodes)[:n_left], sorted(nodes)[n_left:]
    _bisect(graph, a_nodes, left, sizes, out, seed, max_iter)
    _bisect(graph, b_nodes, right, sizes, out, seed, max_iter)


def _grow(graph, size):
    chosen: set[int] = set()
    for comp in sorted(nx.connected_components(graph), key=min):
        if len(chosen) + len(comp) <= size:
            chosen |= comp
            if len(chosen) == size:
                return chosen
            continue
        for node in nx.bfs_tree(graph.subgraph(comp), min(comp)):
            chosen.add(node)
            if len(chosen) == size:
                return chosen
    return chosen


def _refine_moves(graph, part, capacities, max_passes=5):
    k = len(capacities)
    if k < 2:
        return
    load = np.bincount(part, minlength=k).tolist()
    if all(load[i] >= capacities[i] for i in range(k)):
        return
    for _ in range(max_passes):
        moved = False
        for node in range(len(part)):
            own = int(part[node])
            weight_to = [0] * k
            for nb, data in graph[node].items():
                weight_to[int(part[nb])] += data.get("weight", 1)
            best, gain = own, 0
            for p in range(k):
                if p != own and load[p] < capacities[p]:
                    g = weight_to[p] - weight_to[own]
                    if g > gain:
                        best, gain = p, g
            if best != own:
                part[node] = best
                load[own] -= 1
                load[best] += 1
                moved = True
        if not moved:
            return
