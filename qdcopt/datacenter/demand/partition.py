"""The graph placement's partitioner, compiled: recursive Kernighan–Lin bisection.

The interaction graph is held as compressed rows (``indptr``, ``indices``, ``weights``:
node u's neighbours are ``indices[indptr[u]:indptr[u + 1]]``, in the order networkx's
adjacency lists them).  The bisection, the breadth-first growth of each first side and the
final single-qubit moves are compiled loops over those arrays; they make the decisions
that the networkx-based partitioner made (``networkx.community.kernighan_lin_bisection``
on subgraph views), tie for tie:

* a Kernighan–Lin sweep keeps two heaps of swap costs that break ties by insertion order
  and drop stale entries lazily, as networkx's ``BinaryHeap`` does, so the heaps here
  hold the same ``(cost, insertion count, node)`` entries and give them off in the same
  order;
* a sweep inserts a subgraph's nodes in the order networkx's subgraph view iterates them:
  the filter's node set when it holds fewer than half the graph's nodes, else the graph's
  own order (:func:`view_order`);
* neighbours come in adjacency order, as the views list them.

Keeping those orders keeps the placements (and every figure made from them) what they
were, only about fifty times faster at 1000 qubits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numba
import numpy as np


@dataclass(frozen=True, eq=False)
class Adjacency:
    """A weighted undirected graph on nodes ``0 … n−1`` as compressed rows.

    Attributes
    ----------
    indptr, indices, weights
        Node u's neighbours are ``indices[indptr[u]:indptr[u + 1]]``, with the edge
        weights beside them, in adjacency order.
    rank
        Position of each node in the graph's own node order.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    rank: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.indptr) - 1


def adjacency_of_pairs(n: int, a: np.ndarray, b: np.ndarray) -> Adjacency:
    """The interaction graph of two-qubit gates on qubit pairs ``(a[i], b[i])``: edge
    weight = gates on the pair, neighbours in increasing order (the order networkx's
    adjacency takes when the edges are added by increasing ``(low, high)``)."""
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    keys, counts = np.unique(lo * n + hi, return_counts=True)
    u, v = keys // n, keys % n
    # each edge in both rows; a stable sort by row keeps each row's neighbours ascending
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Adjacency(indptr, cols[order], np.concatenate([counts, counts])[order].astype(
        np.int64), np.arange(n, dtype=np.int64))


def adjacency_of_graph(graph: nx.Graph) -> Adjacency:
    """A networkx graph on nodes ``0 … n−1`` as compressed rows, in its own orders
    (edge weight ``weight``, 1 where absent)."""
    n = graph.number_of_nodes()
    rank = np.empty(n, dtype=np.int64)
    rank[np.fromiter(graph, dtype=np.int64, count=n)] = np.arange(n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices: list[int] = []
    weights: list[float] = []
    adj = graph.adj
    for u in range(n):
        for v, data in adj[u].items():
            indices.append(v)
            weights.append(data.get("weight", 1))
        indptr[u + 1] = len(indices)
    w = np.asarray(weights, dtype=np.float64)
    whole = bool(np.all(w == np.round(w)))
    return Adjacency(indptr, np.asarray(indices, dtype=np.int64),
                     w.astype(np.int64) if whole else w, rank)


def view_order(nodes: list[int], adjacency: Adjacency) -> np.ndarray:
    """The order in which networkx's view of the subgraph on ``nodes`` iterates them.

    A view filters the graph by a set of nodes: when the set holds fewer than half the
    graph's nodes the view walks the set (in Python's set order), else the graph's nodes.
    """
    if 2 * len(nodes) < adjacency.n_nodes:
        return np.fromiter(set(nodes), dtype=np.int64, count=len(set(nodes)))
    chosen = np.asarray(nodes, dtype=np.int64)
    return chosen[np.argsort(adjacency.rank[chosen], kind="stable")]


def recursive_bisection(adjacency: Adjacency, sizes: Sequence[int], max_iter: int,
                        ) -> np.ndarray:
    """Part of each node: the QPUs split in two groups again and again, the nodes into two
    sets of the groups' total sizes, grown breadth-first and improved by Kernighan–Lin.

    Parameters
    ----------
    adjacency
        The graph.
    sizes
        Nodes each part gets (summing to the number of nodes).
    max_iter
        Kernighan–Lin passes per bisection.

    Returns
    -------
    numpy.ndarray
        Part of each node.
    """
    n = adjacency.n_nodes
    part = np.zeros(n, dtype=np.int64)
    _bisect(adjacency, list(range(n)), list(range(len(sizes))), list(sizes), part, max_iter)
    return part


def _bisect(adj: Adjacency, nodes: list[int], parts: list[int], sizes: list[int],
            out: np.ndarray, max_iter: int) -> None:
    if len(parts) == 1:
        out[nodes] = parts[0]
        return
    half = len(parts) // 2
    left, right = parts[:half], parts[half:]
    n_left = sum(sizes[p] for p in left)
    in_sub = np.zeros(adj.n_nodes, dtype=np.bool_)
    in_sub[nodes] = True
    chosen = np.asarray(sorted(nodes), dtype=np.int64)
    if 0 < n_left < len(nodes) and _has_edge(adj.indptr, adj.indices, chosen, in_sub):
        first = _grow(adj.indptr, adj.indices, chosen, in_sub, n_left)
        side = first.copy()  # True: the first set (networkx's A)
        _kernighan_lin(adj.indptr, adj.indices, adj.weights, view_order(nodes, adj), in_sub,
                       side, max_iter)
        # networkx returns the side that left the first set first; the side of size n_left
        # goes left (for an even split, the side holding more of the grown set)
        a, b = chosen[~side[chosen]], chosen[side[chosen]]
        if len(a) != n_left or (len(a) == len(b) and first[a].sum() < first[b].sum()):
            a, b = b, a
        a_nodes, b_nodes = a.tolist(), b.tolist()
    else:
        a_nodes, b_nodes = chosen[:n_left].tolist(), chosen[n_left:].tolist()
    _bisect(adj, a_nodes, left, sizes, out, max_iter)
    _bisect(adj, b_nodes, right, sizes, out, max_iter)


def refine_moves(adjacency: Adjacency, part: np.ndarray, capacities: Sequence[int],
                 max_passes: int = 5) -> None:
    """Move single nodes to a part with free room when that lowers the cut weight (in
    node order, up to ``max_passes`` passes, until a pass moves none)."""
    k = len(capacities)
    if k < 2:
        return
    cap = np.asarray(capacities, dtype=np.int64)
    load = np.bincount(part, minlength=k).astype(np.int64)
    if np.all(load >= cap):
        return
    _refine(adjacency.indptr, adjacency.indices, adjacency.weights, part, cap, load,
            max_passes)


@numba.njit(cache=True)
def _has_edge(indptr, indices, nodes, in_sub):  # pragma: no cover - compiled
    """Whether some edge joins two nodes of the subgraph."""
    for u in nodes:
        for e in range(indptr[u], indptr[u + 1]):
            if in_sub[indices[e]]:
                return True
    return False


@numba.njit(cache=True)
def _grow(indptr, indices, nodes, in_sub, size):  # pragma: no cover - compiled
    """``size`` nodes of the subgraph taken breadth-first, component by component
    (lowest node first); ``nodes`` ascending.  Returns the membership mask."""
    n = len(indptr) - 1
    chosen = np.zeros(n, dtype=np.bool_)
    seen = np.zeros(n, dtype=np.bool_)
    queue = np.empty(len(nodes), dtype=np.int64)
    count = 0
    for start in nodes:
        if seen[start]:
            continue
        # the component of `start` (its lowest node: nodes come in ascending order), in
        # breadth-first order
        head = 0
        tail = 1
        queue[0] = start
        seen[start] = True
        while head < tail:
            u = queue[head]
            head += 1
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if in_sub[v] and not seen[v]:
                    seen[v] = True
                    queue[tail] = v
                    tail += 1
        if count + tail <= size:
            for j in range(tail):
                chosen[queue[j]] = True
            count += tail
            if count == size:
                return chosen
            continue
        for j in range(size - count):  # the breadth-first start of a component too large
            chosen[queue[j]] = True
        return chosen
    return chosen


@numba.njit(cache=True)
def _push(hv, hc, hk, size, value, count, key):  # pragma: no cover - compiled
    """Push onto the binary heap of ``(value, count)`` entries (carrying ``key``)."""
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if value < hv[parent] or (value == hv[parent] and count < hc[parent]):
            hv[pos] = hv[parent]
            hc[pos] = hc[parent]
            hk[pos] = hk[parent]
            pos = parent
        else:
            break
    hv[pos] = value
    hc[pos] = count
    hk[pos] = key
    return size + 1


@numba.njit(cache=True)
def _pop(hv, hc, hk, size):  # pragma: no cover - compiled
    """Pop the least ``(value, count)`` entry; returns ``(value, key, new size)``."""
    value = hv[0]
    key = hk[0]
    size -= 1
    if size > 0:
        lv = hv[size]
        lc = hc[size]
        lk = hk[size]
        pos = 0
        while True:
            child = 2 * pos + 1
            if child >= size:
                break
            if child + 1 < size and (hv[child + 1] < hv[child] or (
                    hv[child + 1] == hv[child] and hc[child + 1] < hc[child])):
                child += 1
            if hv[child] < lv or (hv[child] == lv and hc[child] < lc):
                hv[pos] = hv[child]
                hc[pos] = hc[child]
                hk[pos] = hk[child]
                pos = child
            else:
                break
        hv[pos] = lv
        hc[pos] = lc
        hk[pos] = lk
    return value, key, size


@numba.njit(cache=True)
def _kernighan_lin(indptr, indices, weights, order, in_sub, side,
                   max_iter):  # pragma: no cover - compiled
    """networkx's ``kernighan_lin_bisection`` from the partition ``side`` (True: the
    first set), on the subgraph ``in_sub`` whose nodes its view iterates in ``order``;
    ``side`` is updated in place."""
    n = len(indptr) - 1
    m = len(order)
    entries = m + 1
    for u in order:
        for e in range(indptr[u], indptr[u + 1]):
            if in_sub[indices[e]]:
                entries += 1
    # the two heaps (0: nodes outside the first set, 1: inside), and their dicts: a node's
    # current cost, and whether it is still in its heap
    hv = np.empty((2, entries), dtype=weights.dtype)
    hc = np.empty((2, entries), dtype=np.int64)
    hk = np.empty((2, entries), dtype=np.int64)
    cost = np.zeros(n, dtype=weights.dtype)
    present = np.zeros(n, dtype=np.bool_)
    swap_u = np.empty(m, dtype=np.int64)
    swap_v = np.empty(m, dtype=np.int64)
    totals = np.empty(m, dtype=weights.dtype)
    zero = np.zeros(1, dtype=weights.dtype)[0]
    for _ in range(max_iter):
        size = np.zeros(2, dtype=np.int64)
        counter = np.zeros(2, dtype=np.int64)
        left = np.zeros(2, dtype=np.int64)
        for u in order:
            c = zero
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if in_sub[v]:
                    c += weights[e] if side[v] else -weights[e]
            h = 1 if side[u] else 0
            value = c if side[u] else -c
            cost[u] = value
            present[u] = True
            left[h] += 1
            size[h] = _push(hv[h], hc[h], hk[h], size[h], value, counter[h], u)
            counter[h] += 1
        total = zero
        steps = 0
        while left[0] > 0 and left[1] > 0:
            for h in range(2):
                # pop the least live entry (stale ones: the node left, or its cost moved)
                while True:
                    value, node, size[h] = _pop(hv[h], hc[h], hk[h], size[h])
                    if present[node] and cost[node] == value:
                        break
                present[node] = False
                left[h] -= 1
                total += value
                if h == 0:
                    swap_u[steps] = node
                else:
                    swap_v[steps] = node
                # the costs of its neighbours still in a heap
                for e in range(indptr[node], indptr[node + 1]):
                    v = indices[e]
                    if not (in_sub[v] and present[v]):
                        continue
                    w = weights[e]
                    if side[v] == side[node]:
                        w = -w
                    new = cost[v] + 2 * w
                    if new != cost[v]:
                        cost[v] = new
                        g = 1 if side[v] else 0
                        size[g] = _push(hv[g], hc[g], hk[g], size[g], new, counter[g], v)
                        counter[g] += 1
            totals[steps] = total
            steps += 1
        for u in order:
            present[u] = False
        if steps == 0:
            break
        best = 0  # the first of the least totals
        for k in range(1, steps):
            if totals[k] < totals[best]:
                best = k
        if totals[best] >= 0:
            break
        for k in range(best + 1):
            side[swap_u[k]] = True
            side[swap_v[k]] = False


@numba.njit(cache=True)
def _refine(indptr, indices, weights, part, cap, load, max_passes):  # pragma: no cover
    k = len(cap)
    weight_to = np.zeros(k, dtype=weights.dtype)
    zero = np.zeros(1, dtype=weights.dtype)[0]
    for _ in range(max_passes):
        moved = False
        for node in range(len(part)):
            own = part[node]
            weight_to[:] = 0
            for e in range(indptr[node], indptr[node + 1]):
                weight_to[part[indices[e]]] += weights[e]
            best = own
            gain = zero
            for p in range(k):
                if p != own and load[p] < cap[p]:
                    g = weight_to[p] - weight_to[own]
                    if g > gain:
                        best = p
                        gain = g
            if best != own:
                part[node] = best
                load[own] -= 1
                load[best] += 1
                moved = True
        if not moved:
            return
