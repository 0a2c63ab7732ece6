"""Seeded Waxman networks with the evaluation setting of paper 003 (§VI).

Nodes are placed uniformly in a square; an edge ``{u, v}`` is drawn with Waxman weight
``exp(-d(u, v) / (alpha · L))`` (``L`` the largest distance), sampling exactly
``round(density · n(n-1)/2)`` distinct edges without replacement so that the edge density
is the one asked for.  Disconnected parts are then joined to the rest by their shortest
possible edge, so every request has a path.  The same seed always gives the same network.
"""

from __future__ import annotations

import numpy as np

from qdcopt.network.instance import (
    DEFAULT_GENERATION_SUCCESS,
    DEFAULT_GENERATION_TIME_S,
    DEFAULT_MEMORIES,
    DEFAULT_SWAP_SUCCESS,
    Link,
    NetworkInstance,
    Node,
    Physics,
    Request,
)

DEFAULT_AREA_KM = 100.0
DEFAULT_DENSITY = 0.1
DEFAULT_ALPHA = 0.2


def _components(n: int, edges: set[tuple[int, int]]) -> np.ndarray:
    """Connected-component label of each node (union–find)."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return np.array([find(a) for a in range(n)])


def waxman_instance(n: int = 100, *, density: float = DEFAULT_DENSITY, requests: int = 10,
                    seed: int = 0, area_km: float = DEFAULT_AREA_KM,
                    alpha: float = DEFAULT_ALPHA, memories: int = DEFAULT_MEMORIES,
                    swap_success: float = DEFAULT_SWAP_SUCCESS,
                    generation_success: float = DEFAULT_GENERATION_SUCCESS,
                    generation_time: float = DEFAULT_GENERATION_TIME_S,
                    physics: Physics | None = None, min_hops: int = 2,
                    name: str | None = None) -> NetworkInstance:
    """A random Waxman network with paper 003's defaults.

    Parameters
    ----------
    n
        Number of nodes (paper 003 uses 50–200).
    density
        Edge density ``|E| / (n(n-1)/2)`` (paper 003: 0.05–0.2, default 0.1).
    requests
        Number of requests, between distinct node pairs at least ``min_hops`` hops apart
        when enough such pairs exist.
    seed
        Seed of ``numpy.random.default_rng``; same seed, same instance.
    area_km
        Side of the square the nodes are spread over, km.
    alpha
        Waxman distance scale (smaller: shorter links).
    memories, swap_success, generation_success, generation_time
        Node parameters (paper 003: 5 memories, q = 0.4, 0.33, 50 µs).
    physics
        Network-wide parameters (default: swap latency 10 µs, L0 = 20 km, optical BSM
        success = half of ``swap_success``).
    min_hops
        Smallest hop distance between the ends of a request.
    name
        Instance name (default ``waxman-n{n}-s{seed}``).

    Returns
    -------
    NetworkInstance
    """
    if n < 2:
        raise ValueError("a Waxman network needs at least two nodes")
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1], got {density}")
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, area_km, size=(n, 2))
    iu, iv = np.triu_indices(n, k=1)
    dist = np.hypot(*(pos[iu] - pos[iv]).T)
    scale = alpha * max(float(dist.max()), 1e-9)
    weight = np.exp(-dist / scale)
    m = min(len(iu), max(n - 1, round(density * len(iu))))
    chosen = rng.choice(len(iu), size=m, replace=False, p=weight / weight.sum())
    edges = {(int(iu[k]), int(iv[k])) for k in chosen}
    full = np.zeros((n, n))
    full[iu, iv] = dist
    full[iv, iu] = dist
    labels = _components(n, edges)
    while len(set(labels.tolist())) > 1:
        # Join the component of node 0 to its nearest outside node by the shortest edge.
        inside = labels == labels[0]
        sub = full[np.ix_(inside, ~inside)]
        a, b = np.unravel_index(int(np.argmin(sub)), sub.shape)
        ua, vb = int(np.flatnonzero(inside)[a]), int(np.flatnonzero(~inside)[b])
        edges.add((min(ua, vb), max(ua, vb)))
        labels = _components(n, edges)
    if physics is None:
        physics = Physics(optical_bsm_success=swap_success / 2)
    nodes = tuple(Node(id=str(i), x=float(pos[i, 0]), y=float(pos[i, 1]), memories=memories,
                       generation_time=generation_time, generation_success=generation_success,
                       swap_success=swap_success) for i in range(n))
    links = tuple(Link(u=a, v=b, length=float(full[a, b])) for a, b in sorted(edges))
    reqs = _requests(n, edges, requests, min_hops, rng)
    return NetworkInstance(name=name or f"waxman-n{n}-s{seed}", nodes=nodes, links=links,
                           requests=reqs, physics=physics,
                           description=f"Waxman n={n} density={density} alpha={alpha} "
                                       f"area={area_km} km seed={seed}")


def _requests(n: int, edges: set[tuple[int, int]], count: int, min_hops: int,
              rng: np.random.Generator) -> tuple[Request, ...]:
    """Distinct random node pairs, preferring pairs at least ``min_hops`` hops apart."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import shortest_path

    a = np.array([e[0] for e in edges])
    b = np.array([e[1] for e in edges])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)).tocsr()
    hops = shortest_path(graph, directed=False, unweighted=True)
    iu, iv = np.triu_indices(n, k=1)
    far = np.flatnonzero(hops[iu, iv] >= min_hops)
    pool = far if len(far) >= count else np.arange(len(iu))
    picks = rng.choice(pool, size=min(count, len(pool)), replace=False)
    out = []
    for i, k in enumerate(picks):
        s, d = int(iu[k]), int(iv[k])
        if rng.random() < 0.5:  # random orientation; the LP is symmetric anyway
            s, d = d, s
        out.append(Request(id=f"r{i}", source=s, destination=d))
    return tuple(out)
