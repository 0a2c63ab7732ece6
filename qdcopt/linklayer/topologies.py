"""The named graphs of paper 004's Fig. 5, as node names and edge lists.

Every builder returns ``(nodes, edges)`` with nodes named ``A, B, C, ...`` (the paper's
Fig. 4 labels; ``n0, n1, ...`` beyond 26 nodes) and edges as index pairs ``(u, v)`` with
``u < v`` in a fixed order, so a topology and a seed fix a run.
"""

from __future__ import annotations

import string
from collections.abc import Callable

Graph = tuple[tuple[str, ...], tuple[tuple[int, int], ...]]


def _names(n: int) -> tuple[str, ...]:
    if n <= 26:
        return tuple(string.ascii_uppercase[:n])
    return tuple(f"n{i}" for i in range(n))


def _graph(n: int, edges: list[tuple[int, int]]) -> Graph:
    norm = sorted({(min(a, b), max(a, b)) for a, b in edges})
    return _names(n), tuple(norm)


def complete(n: int) -> Graph:
    """K_n."""
    return _graph(n, [(a, b) for a in range(n) for b in range(a + 1, n)])


def complete_bipartite(m: int, n: int) -> Graph:
    """K_{m,n}: parts ``0..m-1`` and ``m..m+n-1``."""
    return _graph(m + n, [(a, m + b) for a in range(m) for b in range(n)])


def star(n: int) -> Graph:
    """K_{1,n}: hub ``A`` and ``n`` leaves."""
    return complete_bipartite(1, n)


def grid(rows: int, cols: int) -> Graph:
    """Manhattan grid N×M, nodes row by row (3×3: A B C / D E F / G H I as in Fig. 4)."""
    edges = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                edges.append((i, i + 1))
            if r + 1 < rows:
                edges.append((i, i + cols))
    return _graph(rows * cols, edges)


def cycle(n: int) -> Graph:
    """C_n."""
    return _graph(n, [(i, (i + 1) % n) for i in range(n)])


def wheel(n: int) -> Graph:
    """W_n: a hub joined to a cycle of ``n − 1`` nodes (``n`` nodes, 2(n − 1) edges)."""
    rim = n - 1
    edges = [(0, 1 + i) for i in range(rim)] + [(1 + i, 1 + (i + 1) % rim) for i in range(rim)]
    return _graph(n, edges)


def friendship(n: int) -> Graph:
    """F_n: ``n`` triangles sharing one centre (2n + 1 nodes, 3n edges)."""
    edges = []
    for k in range(n):
        a, b = 1 + 2 * k, 2 + 2 * k
        edges += [(0, a), (0, b), (a, b)]
    return _graph(2 * n + 1, edges)


# name → (builder, parameter names, minimum of each parameter)
BUILDERS: dict[str, tuple[Callable[..., Graph], tuple[str, ...], tuple[int, ...]]] = {
    "complete": (complete, ("n",), (2,)),
    "complete_bipartite": (complete_bipartite, ("m", "n"), (1, 1)),
    "star": (star, ("n",), (1,)),
    "grid": (grid, ("rows", "cols"), (1, 1)),
    "cycle": (cycle, ("n",), (3,)),
    "wheel": (wheel, ("n",), (4,)),
    "friendship": (friendship, ("n",), (1,)),
}

# The 14 graphs of the paper's Table V, in its order, as (label, builder name, parameters).
PAPER_TOPOLOGIES: tuple[tuple[str, str, dict[str, int]], ...] = (
    ("K_{1,3}", "star", {"n": 3}),
    ("K_{1,4}", "star", {"n": 4}),
    ("K_{2,3}", "complete_bipartite", {"m": 2, "n": 3}),
    ("K_2", "complete", {"n": 2}),
    ("K_3", "complete", {"n": 3}),
    ("K_4", "complete", {"n": 4}),
    ("2x2", "grid", {"rows": 2, "cols": 2}),
    ("2x3", "grid", {"rows": 2, "cols": 3}),
    ("3x3", "grid", {"rows": 3, "cols": 3}),
    ("C_5", "cycle", {"n": 5}),
    ("C_6", "cycle", {"n": 6}),
    ("F_2", "friendship", {"n": 2}),
    ("F_3", "friendship", {"n": 3}),
    ("W_6", "wheel", {"n": 6}),
)


def size(name: str, **params: int) -> tuple[int, int]:
    """Nodes and links of the named topology, computed without building it.

    Parameters
    ----------
    name
        Builder name (``KeyError`` if unknown).
    **params
        The graph's parameters.

    Returns
    -------
    (int, int)
        Number of nodes and of links.
    """
    counts: dict[str, Callable[..., tuple[int, int]]] = {
        "complete": lambda n: (n, n * (n - 1) // 2),
        "complete_bipartite": lambda m, n: (m + n, m * n),
        "star": lambda n: (n + 1, n),
        "grid": lambda rows, cols: (rows * cols, rows * (cols - 1) + cols * (rows - 1)),
        "cycle": lambda n: (n, n),
        "wheel": lambda n: (n, 2 * (n - 1)),
        "friendship": lambda n: (2 * n + 1, 3 * n),
    }
    return counts[name](**params)


def build(name: str, **params: int) -> Graph:
    """The named topology with its parameters (``KeyError`` if unknown)."""
    fn, _, _ = BUILDERS[name]
    return fn(**params)


def matching_number(n: int, edges: tuple[tuple[int, int], ...]) -> int:
    """ν(G): the size of a maximum matching (networkx, exact)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    return len(nx.max_weight_matching(g, maxcardinality=True))
