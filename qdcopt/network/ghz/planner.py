"""Planning GHZ requests as fusion structures within the reserved memories (``models/ghz.md``).

Two kinds of structure are built for a GHZ request among parties ``P``, with the branch
pairs' swapping trees found by the same Knuth–Dijkstra the two-party planners use
(:mod:`qdcopt.network.dp`, exact expected maximum of the children's waits, leaves at the
reserved-memory link rates):

* **star** at a centre ``c`` (a party or not): one branch ``c–p`` per party ``p ≠ c``
  and one fusion at ``c``.  Every node is scored by the fusion latency of the fastest
  branch trees on the memories left (one settling of all pairs prices every centre);
  the best :data:`STAR_CANDIDATES` are then built branch by branch, each branch's tree
  searched on the memories the earlier branches left, and the fastest kept;
* **tree of fusions** along a Steiner tree of the parties (networkx's Mehlhorn
  approximation, links weighted by their leaf latency ``1 / g``): its branch points and
  the parties inside it are fusion centres, every path between two of them is a branch
  (the fastest swapping tree over that path, :func:`qdcopt.network.resources.path_tree`),
  and the root is the centre that gives the least latency.

The faster of the two is the request's next copy.  :func:`plan_copies` is the iterative
method with GHZ requests: all requests in turns by weight (two-party requests first on
ties), each adding its fastest copy — a swapping tree
(:func:`qdcopt.network.trees.builders.best_copy`) or a fusion structure — within the
memories left, until none can.
"""

from __future__ import annotations

import math
from dataclasses import replace

import networkx as nx
import numpy as np

from qdcopt.network.dp import EXACT_MAX, all_pairs_latency, min_latency_tree
from qdcopt.network.ghz.model import (
    ROOT,
    Fusion,
    FusionStructure,
    expected_max,
    fusion_noise,
    fusion_rates,
    fusion_success,
    outputs,
    star_fidelity,
    structure_fidelity,
    structure_latency,
)
from qdcopt.network.instance import NetworkInstance, link_fidelities
from qdcopt.network.physics import FIDELITY_TOL, STEADY_STATE, LinkModel, SwapTree
from qdcopt.network.plan import RESERVED, NetworkPlan, PlanFusion, plan_from_trees
from qdcopt.network.purification import werner_fidelity
from qdcopt.network.resources import (
    memories,
    path_tree,
    slot_link_rate,
    tree_slots,
    with_slot_rates,
)
from qdcopt.network.trees.builders import best_copy
from qdcopt.network.trees.past import fastest_past, past_tree_nodes

STAR = "star"
TREE = "tree"
SHAPES = (STAR, TREE)
STAR_CANDIDATES = 4
"""Centres built exactly per star copy, the best by the all-pairs score."""


def _leaf_latency(free: np.ndarray, rates: np.ndarray, model: LinkModel) -> np.ndarray:
    ok = (free[model.link_u] >= 1) & (free[model.link_v] >= 1) & (rates > 0)
    with np.errstate(divide="ignore"):
        return np.where(ok, 1.0 / np.where(rates > 0, rates, 1.0), np.inf)


def _finish(instance: NetworkInstance, model: LinkModel, g: int, fusions: list[Fusion],
            trees: list[SwapTree]) -> FusionStructure | None:
    """The structure with its rate ``1 / T`` and each branch tree at its fusion's attempt
    rate (``None`` when ``T`` is infinite, or when the structure's fidelity is below the
    request's ``min_fidelity``: every structure a planner builds passes here)."""
    draft = FusionStructure(request=g, rate=0.0, fusions=tuple(fusions), trees=tuple(trees))
    want = instance.ghz[g].min_fidelity
    if want is not None and structure_fidelity(instance, draft) < want - FIDELITY_TOL:
        return None  # below the request's target: no copy of this structure serves it
    latency = structure_latency(instance, model, draft)
    if not math.isfinite(latency) or latency <= 0:
        return None
    rate = float(1.0 / latency)
    attempts = fusion_rates(instance, model, draft, rate)
    owner = {b: i for i, f in enumerate(fusions) for b in f.branches}
    trees = [replace(t, rate=float(attempts[owner[b]])) for b, t in enumerate(trees)]
    return FusionStructure(request=g, rate=rate, fusions=tuple(fusions), trees=tuple(trees))


def star_at(instance: NetworkInstance, model: LinkModel, g: int, centre: int,
            free: np.ndarray, rates: np.ndarray,
            order: list[int] | None = None) -> FusionStructure | None:
    """A star copy at ``centre`` within ``free`` memories (``None`` if it does not fit).

    Branches are searched one after another (in ``order``, default the parties' order),
    each on the memories the earlier ones left.
    """
    parties = [p for p in (order or instance.ghz[g].nodes) if p != centre]
    left = np.array(free, copy=True)
    if left[centre] < len(parties):
        return None
    target = branch_target(instance, g, centre)
    if target is not None and math.isnan(target):
        return None  # no branch fidelity lets a star at this centre reach the target
    trees: list[SwapTree] = []
    tag = len(instance.requests) + g
    for p in parties:
        latency = _leaf_latency(left, rates, model)
        if target is None:
            nodes = min_latency_tree(instance, model, centre, p, latency, left >= 2,
                                     wait=EXACT_MAX)
        else:
            # the fastest branch, purification-augmented if need be, that keeps the star
            # at the request's min_fidelity
            past = fastest_past(instance, model, centre, p, latency,
                                link_fidelities(instance), target, purification=True,
                                can_swap=left >= 2, wait=EXACT_MAX)
            nodes = past_tree_nodes(past) if past is not None else None
        if nodes is None:
            return None
        tree = with_slot_rates(instance, model, tag, nodes, rates)
        if tree is None:
            return None
        use = tree_slots(tree, instance.n)
        if np.any(use > left):
            return None
        left = left - use
        trees.append(tree)
    return _finish(instance, model, g, [Fusion(centre, ROOT, tuple(range(len(trees))))],
                   trees)


def branch_target(instance: NetworkInstance, g: int, centre: int) -> float | None:
    """The fidelity every branch tree of a star of GHZ request ``g`` at ``centre`` must
    deliver for the star to reach the request's ``min_fidelity``.

    A star's fidelity rises with each branch's Werner parameter
    (:func:`~qdcopt.network.ghz.model.star_fidelity`), so equal branches at the least
    parameter ``x`` that reaches the target suffice; a branch keeps ``x`` after its
    centre qubit's dephasing (:func:`~qdcopt.network.ghz.model.fusion_noise`) when its
    tree delivers ``x / noise``.  Bisection to 1e-12.

    Returns
    -------
    float or None
        ``None`` without a target or when any tree will do (a fidelity of 1/2 or less);
        ``nan`` when no branch fidelity reaches the target.
    """
    req = instance.ghz[g]
    if req.min_fidelity is None:
        return None
    party = centre in req.nodes
    k = len(req.nodes) - (1 if party else 0)
    noise = fusion_noise(instance)
    want = req.min_fidelity - FIDELITY_TOL / 2

    def reaches(x: float) -> bool:
        return star_fidelity([x] * k, party) >= want

    if not reaches(noise):  # perfect branch trees fall short
        return math.nan
    lo, hi = 0.0, noise
    while hi - lo > 1e-12:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if reaches(mid) else (mid, hi)
    fidelity = werner_fidelity(min(1.0, hi / noise))
    return None if fidelity <= 0.5 else fidelity


def star_scores(instance: NetworkInstance, model: LinkModel, g: int, free: np.ndarray,
                rates: np.ndarray) -> tuple[list[tuple[float, int]], np.ndarray]:
    """Every centre that could hold a star within ``free``, scored by the fusion latency
    of its fastest branch trees (one all-pairs settling; the branches are not yet made
    disjoint, so a score is at most the star's latency).

    Returns
    -------
    (scores, latency)
        ``(score, centre)`` pairs, unsorted, and the all-pairs latency matrix.
    """
    parties = list(instance.ghz[g].nodes)
    latency, _ = all_pairs_latency(instance, model, _leaf_latency(free, rates, model),
                                   free >= 2, wait=EXACT_MAX)
    ph = instance.physics
    dist = model.classical_distance
    scores = []
    for c in range(instance.n):
        others = [p for p in parties if p != c]
        if free[c] < len(others):
            continue
        waits = [latency[c, p] for p in others]
        if not all(math.isfinite(w) for w in waits):
            continue
        reach = max(dist[c, p] for p in others)
        score = ((expected_max(waits) + ph.swap_latency + reach / ph.classical_speed)
                 / fusion_success(instance, model, c))
        scores.append((score, c))
    return scores, latency


def best_star(instance: NetworkInstance, model: LinkModel, g: int, free: np.ndarray,
              rates: np.ndarray) -> FusionStructure | None:
    """The fastest star copy over every centre (see the module docstring)."""
    parties = list(instance.ghz[g].nodes)
    scores, latency = star_scores(instance, model, g, free, rates)
    best: FusionStructure | None = None
    for _, c in sorted(scores)[:STAR_CANDIDATES]:
        # the slowest branch first: it has the most to lose from memories taken
        order = sorted((p for p in parties if p != c), key=lambda p: -latency[c, p])
        s = star_at(instance, model, g, c, free, rates, order)
        if s is not None and (best is None or s.rate > best.rate):
            best = s
    return best


def steiner_tree(instance: NetworkInstance, model: LinkModel, g: int, free: np.ndarray,
                 rates: np.ndarray) -> FusionStructure | None:
    """The fastest rooting of a tree of fusions along a Steiner tree of the parties (see
    the module docstring); ``None`` when it does not fit the memories."""
    parties = list(instance.ghz[g].nodes)
    leaf = _leaf_latency(free, rates, model)
    graph = nx.Graph()
    graph.add_nodes_from(parties)
    for li in np.flatnonzero(np.isfinite(leaf)).tolist():
        u, v = int(model.link_u[li]), int(model.link_v[li])
        graph.add_edge(u, v, weight=float(leaf[li]))
    start = parties[0]
    if not all(nx.has_path(graph, start, p) for p in parties[1:]):
        return None
    tree = nx.algorithms.approximation.steiner_tree(graph, parties, weight="weight",
                                                    method="mehlhorn")
    if tree.number_of_nodes() == 0:
        return None
    key = {v for v in tree.nodes if v in parties or tree.degree(v) >= 3}
    # the paths between neighbouring key nodes: walk from every key node along each edge
    paths: list[list[int]] = []
    seen: set[tuple[int, int]] = set()
    for a in sorted(key):
        for b in sorted(tree.neighbors(a)):
            if (a, b) in seen:
                continue
            route = [a, b]
            while route[-1] not in key:
                nxt = [x for x in tree.neighbors(route[-1]) if x != route[-2]]
                if len(nxt) != 1:  # a non-party leaf the approximation left: cut it
                    route = []
                    break
                route.append(nxt[0])
            if not route:
                continue
            seen.add((route[-1], route[-2]))
            seen.add((a, b))
            paths.append(route)
    tag = len(instance.requests) + g
    trees = []
    for route in paths:
        t = path_tree(instance, model, tag, route, rates)
        if t is None:
            return None
        trees.append(t)
    use = sum((tree_slots(t, instance.n) for t in trees), np.zeros(instance.n, dtype=np.int64))
    if np.any(use > free):
        return None
    degree = {v: 0 for v in key}
    for route in paths:
        degree[route[0]] += 1
        degree[route[-1]] += 1
    best: FusionStructure | None = None
    for root in sorted(v for v in key if degree[v] >= 2):
        s = _rooted(instance, model, g, root, paths, trees, degree)
        if s is not None and (best is None or s.rate > best.rate):
            best = s
    return best


def _rooted(instance: NetworkInstance, model: LinkModel, g: int, root: int,
            paths: list[list[int]], trees: list[SwapTree], degree: dict[int, int],
            ) -> FusionStructure | None:
    """The tree of fusions over ``paths`` rooted at ``root``: a fusion at every key node
    of degree ≥ 2; the path to a parent belongs to the child's fusion (its up branch),
    the path to a leaf party to the parent's."""
    adjacent: dict[int, list[tuple[int, int]]] = {}
    for b, route in enumerate(paths):
        adjacent.setdefault(route[0], []).append((route[-1], b))
        adjacent.setdefault(route[-1], []).append((route[0], b))
    fusions: list[Fusion] = []
    branches: list[list[int]] = []
    stack = [(root, ROOT, -1)]  # (node, parent fusion, branch to the parent)
    while stack:
        node, parent, up = stack.pop()
        me = len(fusions)
        fusions.append(Fusion(node, parent, ()))
        mine = [up] if up >= 0 else []
        for other, b in adjacent.get(node, []):
            if b == up:
                continue
            if degree[other] >= 2:
                stack.append((other, me, b))
            else:
                mine.append(b)
        branches.append(mine)
    fusions = [Fusion(f.centre, f.parent, tuple(sorted(branches[i])))
               for i, f in enumerate(fusions)]
    # renumber the trees in the order the fusions take them, so each copy reads in order
    order = [b for f in fusions for b in f.branches]
    new = {b: i for i, b in enumerate(order)}
    fusions = [Fusion(f.centre, f.parent, tuple(new[b] for b in f.branches)) for f in fusions]
    return _finish(instance, model, g, fusions, [trees[b] for b in order])


def best_structure(instance: NetworkInstance, model: LinkModel, g: int, free: np.ndarray,
                   rates: np.ndarray, shapes: tuple[str, ...] = SHAPES,
                   ) -> FusionStructure | None:
    """The fastest fusion-structure copy for GHZ request ``g`` within ``free`` memories:
    the best star and the Steiner tree of fusions (``shapes`` restricts them)."""
    for shape in shapes:
        if shape not in SHAPES:
            raise ValueError(f"ghz_shapes: unknown shape {shape!r} (known: {', '.join(SHAPES)})")
    found = []
    if STAR in shapes:
        found.append(best_star(instance, model, g, free, rates))
    if TREE in shapes:
        found.append(steiner_tree(instance, model, g, free, rates))
    found = [s for s in found if s is not None]
    return max(found, key=lambda s: s.rate) if found else None


def structure_slots(structure: FusionStructure, n: int) -> np.ndarray:
    """Memories one copy reserves at each node: one per link end of every branch tree
    (the centre holds one end of each of its branches, which the fusion measures)."""
    out = np.zeros(n, dtype=np.int64)
    for tree in structure.trees:
        out += tree_slots(tree, n)
    return out


def plan_copies(instance: NetworkInstance, model: LinkModel, purification: bool = True,
                shapes: tuple[str, ...] = SHAPES,
                ) -> tuple[list[SwapTree], list[FusionStructure]]:
    """The iterative method with GHZ requests (module docstring).

    Returns
    -------
    (trees, structures)
        Tree copies of the two-party requests and fusion-structure copies of the GHZ
        requests.
    """
    free = memories(instance)
    rates = slot_link_rate(instance, model)
    items = [(-r.weight, 0, i) for i, r in enumerate(instance.requests)]
    items += [(-g.weight, 1, i) for i, g in enumerate(instance.ghz)]
    active = [(kind, i) for _, kind, i in sorted(items)]
    memo: dict = {}
    trees: list[SwapTree] = []
    structures: list[FusionStructure] = []
    while active:
        still = []
        for kind, i in active:
            if kind == 0:
                tree = best_copy(instance, model, i, free, rates, purification, memo=memo)
                if tree is None:
                    continue
                trees.append(tree)
                free = free - tree_slots(tree, instance.n)
            else:
                s = best_structure(instance, model, i, free, rates, shapes)
                if s is None:
                    continue
                structures.append(s)
                free = free - structure_slots(s, instance.n)
            still.append((kind, i))
        active = still
    return trees, structures


def plan_with_fusions(instance: NetworkInstance, trees: list[SwapTree],
                      structures: list[FusionStructure], *, method: str, model: LinkModel,
                      reasons: dict[str, str]) -> NetworkPlan:
    """A reserved-memory plan of tree copies and fusion-structure copies.

    The branch trees join the plan's trees (their ``request`` is the GHZ request, their
    rate the attempts/s of their fusion), so links, swaps and memories count them as any
    tree; ``fusions`` lists each copy's fusions; a GHZ request's rate is the sum of its
    copies' rates.
    """
    ids = [node.id for node in instance.nodes]
    branch: list[SwapTree] = []
    fusions: list[PlanFusion] = []
    ghz_rate = [0.0] * len(instance.ghz)
    first_tree = len(trees)
    for s in structures:
        req = instance.ghz[s.request]
        ghz_rate[s.request] += s.rate
        base_tree = first_tree + len(branch)
        base_fusion = len(fusions)
        attempts = fusion_rates(instance, model, s, s.rate)
        for i, f in enumerate(s.fusions):
            fusions.append(PlanFusion(
                fusion=base_fusion + i, request=req.id, centre=ids[f.centre],
                parent=ROOT if f.parent == ROOT else base_fusion + f.parent,
                trees=tuple(base_tree + b for b in f.branches),
                success=fusion_success(instance, model, f.centre), rate=float(attempts[i])))
        branch.extend(s.trees)
    plan = plan_from_trees(instance, [*trees, *branch], method=method, variant=STEADY_STATE,
                           rate_model=RESERVED, model=model, reasons=reasons)
    return replace(plan, requests=plan.requests + tuple(
        (g.id, float(ghz_rate[i])) for i, g in enumerate(instance.ghz)),
        fusions=tuple(fusions))


def ghz_reason(instance: NetworkInstance, g: int) -> str:
    """Why GHZ request ``g`` got no structure."""
    req = instance.ghz[g]
    among = ", ".join(instance.nodes[x].id for x in req.nodes)
    if req.min_fidelity is not None:
        return (f"no fusion structure for the GHZ state among {among} reaching min_fidelity "
                f"{req.min_fidelity:g} fits the memories left (the branches are not "
                "purified; a star centre needs one memory per branch, a swap node two)")
    return (f"no fusion structure for the GHZ state among {among} fits the memories left "
            "(a star centre needs one memory per branch, a swap node two)")


__all__ = ["SHAPES", "STAR", "STAR_CANDIDATES", "TREE", "best_star", "best_structure",
           "ghz_reason", "outputs", "plan_copies", "plan_with_fusions", "star_at",
           "star_scores", "steiner_tree", "structure_slots"]
