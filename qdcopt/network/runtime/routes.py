"""A plan's swapping trees as the runtime executes them: a route and its planned segments.

Every tree of a plan is executed on its own (paper 003 §IV-E: a level-based structure is
first decomposed into trees).  The in-order leaves of a tree give its route
``v_0 … v_H`` (``H`` links); every pair the runtime holds for the tree spans a segment
``[i, j]`` of route positions.  A tree node is the segment of its leaves; the fixed-tree
policy swaps only the planned triples ``(i, m, j)``; the adaptive policies may join any
two segments that meet at a position.  Identical rows of a plan (the reserved-memory
planner's copies of one tree) are executed as one tree with ``copies`` memories per
link end, so that a node of it may choose among up to ``copies`` pairs on each side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, LinkModel
from qdcopt.network.plan import NetworkPlan, PlanTree


@dataclass(frozen=True)
class Leaf:
    """A link generator of one tree.

    Attributes
    ----------
    pos
        Route position of its left end (the link joins positions ``pos`` and ``pos+1``).
    link
        Link index.
    a, b
        Node indices at positions ``pos`` and ``pos + 1``.
    rate
        Link pairs/s the plan has this leaf draw (``g``).
    success
        ``p_link`` of one attempt.
    """

    pos: int
    link: int
    a: int
    b: int
    rate: float
    success: float


@dataclass(frozen=True)
class ExecTree:
    """One tree of a plan, prepared for execution.

    Attributes
    ----------
    index
        Position of the tree in the plan (of its first copy).
    request
        Request index.
    rate
        The tree's planned rate, pairs/s (all its copies together).
    route
        Node indices ``v_0 … v_H``.
    leaves
        One per link of the route.
    segments
        Segment ``(i, j)`` → ``(swap position or -1, depth, expected latency by eq. 1)``
        for every node of the tree.
    children
        Segment ``(i, j)`` of a swap node → its children's segments.
    sibling
        Segment → ``(the position where its parent swaps, the sibling's segment)``.
    latency
        Expected generation latency of the root by eq. 1, seconds (of one copy: the
        cut-offs are set from it).
    depth
        Swap levels of the tree.
    copies
        Identical rows of the plan this tree stands for: it holds up to ``copies``
        memories at each link end of its route, and each leaf has ``copies`` generators
        that attempt at one copy's ``link_rate`` (``models/runtime.md``, "One memory per
        link end").
    """

    index: int
    request: int
    rate: float
    route: tuple[int, ...]
    leaves: tuple[Leaf, ...]
    segments: dict[tuple[int, int], tuple[int, int, float]]
    children: dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]
    sibling: dict[tuple[int, int], tuple[int, tuple[int, int]]]
    latency: float
    depth: int
    copies: int = 1

    @property
    def hops(self) -> int:
        """Links on the route."""
        return len(self.route) - 1

    def segment_depth(self, i: int, j: int) -> int:
        """Depth of a segment: the tree node's depth when planned, else from its hops.

        An unplanned segment of ``h`` hops sits where a balanced tree would put it:
        ``round(log2(H / h))`` levels under the root.
        """
        known = self.segments.get((i, j))
        if known is not None:
            return known[1]
        return max(0, round(math.log2(self.hops / (j - i))))


def _swap_extra(model: LinkModel, instance: NetworkInstance, w: int, u: int, v: int) -> float:
    d = model.classical_distance
    # plain floats: numpy scalars would leak into every event time and slow the loop
    return float(instance.physics.swap_latency
                 + max(d[w, u], d[w, v]) / instance.physics.classical_speed)


def exec_trees(instance: NetworkInstance, plan: NetworkPlan, model: LinkModel,
               ) -> list[ExecTree]:
    """The plan's trees with positive rate as routes with planned segments.

    Identical rows — same request, same nodes in the same order (so the same route, swap
    points and leaf link rates) — become one tree whose ``copies`` is their number and
    whose rate is the sum of theirs: the reserved-memory planner (``models/hyperflow.md``,
    "Reserved memories") multiplies a tree's rate by giving it several copies, each with
    one memory per link end, and executing them together lets the run-time policies
    choose among the copies' pairs while the memories stay those the planner reserved.

    Parameters
    ----------
    instance
        The network.
    plan
        A family-B plan (any method).
    model
        The instance's link model.

    Returns
    -------
    list of ExecTree
        Trees whose every leaf draws a positive rate, in plan order of their first copy.

    Raises
    ------
    ValueError
        When a tree names an unknown node or a leaf that is not a link.
    """
    for tree in plan.trees:
        if any(nd.is_purification for nd in tree.nodes):
            raise ValueError(
                f"tree {tree.tree} of request {tree.request} purifies: the runtime executes "
                "swapping trees only; simulate requests without min_fidelity (or plan them "
                "with -o purification=false)")
    groups: dict[tuple[str, tuple], list[int]] = {}
    for k, tree in enumerate(plan.trees):
        groups.setdefault((tree.request, tree.nodes), []).append(k)
    out = []
    for rows in groups.values():
        built = _exec_tree(instance, model, rows[0], plan.trees[rows[0]])
        if built is not None and len(rows) > 1:
            built = replace(built, copies=len(rows),
                            rate=sum(plan.trees[k].rate for k in rows))
        if built is not None:
            out.append(built)
    return out


def _exec_tree(instance: NetworkInstance, model: LinkModel, k: int, tree: PlanTree,
               ) -> ExecTree | None:
    idx = instance.node_index
    if not tree.nodes or tree.request not in instance.request_index:
        return None
    route: list[int] = []
    leaves: list[Leaf] = []
    segments: dict[tuple[int, int], tuple[int, int, float]] = {}
    children: dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]] = {}
    q = model.swap_success.tolist()

    def walk(i: int, depth: int, start: int, seen: int) -> tuple[int, int, float, int]:
        """Visit node ``i`` starting its segment at node ``start``; return its segment,
        eq.-1 latency and subtree depth."""
        if seen > len(tree.nodes):
            raise ValueError(f"tree {tree.tree} is not a tree")
        nd = tree.nodes[i]
        u, v = idx[nd.u], idx[nd.v]
        if start not in (u, v):
            raise ValueError(f"tree {tree.tree}: leaves do not form a route")
        end = v if start == u else u
        if nd.is_leaf:
            if not route:
                route.append(start)
            link = instance.find_link(start, end)
            if link is None:
                raise ValueError(f"tree {tree.tree}: leaf {nd.u}–{nd.v} is not a link")
            pos = len(route) - 1
            route.append(end)
            leaves.append(Leaf(pos=pos, link=link, a=start, b=end, rate=float(nd.link_rate),
                               success=float(model.success[link])))
            lat = math.inf if nd.link_rate <= 0 else 1.0 / nd.link_rate
            segments[(pos, pos + 1)] = (-1, depth, lat)
            return pos, pos + 1, lat, 0
        if not (0 <= nd.left < len(tree.nodes) and 0 <= nd.right < len(tree.nodes)):
            raise ValueError(f"tree {tree.tree}: node {i} has a missing child")
        first, second = nd.left, nd.right
        fn = tree.nodes[first]
        if start not in (idx[fn.u], idx[fn.v]):
            first, second = second, first
        w = idx[nd.swap_at]
        i0, m, la, da = walk(first, depth + 1, start, seen + 1)
        m2, j0, lb, db = walk(second, depth + 1, w, seen + 1)
        if m2 != m or route[j0] != end:
            raise ValueError(f"tree {tree.tree}: children do not meet at {nd.swap_at}")
        lat = ((MAX_OF_TWO_EXPONENTIALS * max(la, lb)
                + _swap_extra(model, instance, w, route[i0], route[j0])) / q[w])
        segments[(i0, j0)] = (m, depth, lat)
        children[(i0, j0)] = ((i0, m), (m, j0))
        return i0, j0, lat, 1 + max(da, db)

    _, _, latency, depth = walk(0, 0, idx[tree.nodes[0].u], 0)
    if any(leaf.rate <= 0 for leaf in leaves) or not math.isfinite(latency):
        return None
    sibling: dict[tuple[int, int], tuple[int, tuple[int, int]]] = {}
    for (a, b) in children.values():
        sibling[a] = (a[1], b)
        sibling[b] = (a[1], a)
    return ExecTree(index=k, request=instance.request_index[tree.request], rate=tree.rate,
                    route=tuple(route), leaves=tuple(leaves), segments=segments,
                    children=children, sibling=sibling, latency=latency, depth=depth)


def central_node(model: LinkModel) -> int:
    """The node with the least total fibre distance to all others (ties: lowest index)."""
    d = np.where(np.isfinite(model.classical_distance), model.classical_distance, 1e18)
    return int(np.argmin(d.sum(axis=1)))


PREDISTRIBUTED = -1  # request index of a pre-distribution tree


def predistribution_trees(trees: list[ExecTree], count: int,
                          swap_success: list[float]) -> list[ExecTree]:
    """Trees that make pairs for up to ``count`` super-links chosen by the greedy of [21].

    Candidates are the intermediate node pairs of the plan's trees (a swap node other
    than a root).  A stocked pair for a node pair stands in for the tree node that makes
    it: the node's latency becomes 0 and its parent waits for the sibling alone
    (:func:`latency_with_superlinks`).  The greedy of paper 003 §IV-C ([21]) then adds,
    one at a time, the candidate with the highest benefit-to-cost ratio:

    - benefit: the drop in expected latency over all requests, each request's latency
      being the rate-weighted mean of its trees' root latencies, given the super-links
      chosen so far;
    - cost: the expected latency of making one stocked pair (eq. 1 over the subtree of
      the fastest tree that makes it), i.e. how long it holds its links;

    among candidates whose subtree shares no link with a chosen one ([21]'s super-links
    lie on disjoint paths: two stocks never compete for a link's generation).  It stops
    at ``count`` super-links or when no candidate lowers any latency; ties go to the
    smaller node indices.

    Parameters
    ----------
    trees
        The plan's trees.
    count
        Super-links (stocked node pairs) to choose at most.
    swap_success
        Swap success probability per node (the link model's ``swap_success``).

    Returns
    -------
    list of ExecTree
        One pre-distribution tree per super-link, in the order chosen, indexed after
        ``trees``; each is the subtree of the fastest tree that makes it, with the same
        leaf rates, and request :data:`PREDISTRIBUTED`.
    """
    # candidate node pair -> its segment in every tree that makes it; the subtree of
    # the highest per-copy rate makes its stock
    where: dict[tuple[int, int], list[tuple[int, tuple[int, int]]]] = {}
    source: dict[tuple[int, int], tuple[float, int, tuple[int, int]]] = {}
    for k, t in enumerate(trees):
        for (i, j), (m, _, _lat) in t.segments.items():
            if m < 0 or (i, j) == (0, t.hops):
                continue
            key = (min(t.route[i], t.route[j]), max(t.route[i], t.route[j]))
            where.setdefault(key, []).append((k, (i, j)))
            per_copy = t.rate / t.copies
            if key not in source or per_copy > source[key][0]:
                source[key] = (per_copy, k, (i, j))
    weight = _request_weights(trees)
    chosen_at: list[set[tuple[int, int]]] = [set() for _ in trees]
    current = [t.latency for t in trees]
    used_links: set[int] = set()
    out: list[ExecTree] = []
    candidates = sorted(where)
    while len(out) < count:
        best: tuple[float, tuple[int, int]] | None = None
        for key in candidates:
            _, k0, (i0, j0) = source[key]
            links = {lf.link for lf in trees[k0].leaves if i0 <= lf.pos < j0}
            if links & used_links:
                continue
            benefit = 0.0
            for k, seg in where[key]:
                after = latency_with_superlinks(trees[k], chosen_at[k] | {seg},
                                                swap_success)
                benefit += weight[k] * (current[k] - after)
            cost = trees[k0].segments[(i0, j0)][2]
            if benefit <= 1e-15 * max(1.0, sum(current)) or not math.isfinite(cost):
                continue
            ratio = benefit / cost if cost > 0 else math.inf
            # a ratio within rounding of the best is a tie: the earlier (smaller) key stays
            if best is None or ratio > best[0] * (1.0 + 1e-9):
                best = (ratio, key)
        if best is None:
            break
        key = best[1]
        _, k0, (i0, j0) = source[key]
        used_links |= {lf.link for lf in trees[k0].leaves if i0 <= lf.pos < j0}
        for k, seg in where[key]:
            chosen_at[k].add(seg)
            current[k] = latency_with_superlinks(trees[k], chosen_at[k], swap_success)
        candidates.remove(key)
        out.append(_subtree(trees[k0], i0, j0, len(trees) + len(out)))
    return out


def _request_weights(trees: list[ExecTree]) -> list[float]:
    """Per tree: its share of its request's planned rate (a request's latency is the
    rate-weighted mean of its trees'), 0 for a request planned no rate."""
    total: dict[int, float] = {}
    for t in trees:
        total[t.request] = total.get(t.request, 0.0) + t.rate
    return [t.rate / total[t.request] if total[t.request] > 0 else 0.0 for t in trees]


def latency_with_superlinks(t: ExecTree, stocked: set[tuple[int, int]],
                            swap_success: list[float]) -> float:
    """Eq.-1 root latency of ``t`` when a stocked pair is at hand for each segment in
    ``stocked``.

    A stocked segment's latency is 0; a swap node with one stocked child waits for the
    other child alone (the maximum of an exponential and 0), then adds its own classical
    and swap time, divided by its success probability as in eq. 1.  That own time is
    recovered from the planned latencies: ``extra = q · T(node) − 3/2 · max(T(children))``.
    Without stocked segments this is ``t.latency``.

    Parameters
    ----------
    t
        A tree prepared for execution.
    stocked
        Segments ``(i, j)`` of ``t`` served from stock.
    swap_success
        Swap success probability per node.

    Returns
    -------
    float
        Expected latency of the root, seconds.
    """
    def walk(seg: tuple[int, int]) -> float:
        if seg in stocked:
            return 0.0
        m, _, lat = t.segments[seg]
        if m < 0 or not stocked:
            return lat
        a, b = t.children[seg]
        la, lb = walk(a), walk(b)
        la0, lb0 = t.segments[a][2], t.segments[b][2]
        if (la, lb) == (la0, lb0):
            return lat
        q = swap_success[t.route[m]]
        extra = q * lat - MAX_OF_TWO_EXPONENTIALS * max(la0, lb0)
        wait = max(la, lb) if min(la, lb) == 0.0 else MAX_OF_TWO_EXPONENTIALS * max(la, lb)
        return (wait + extra) / q

    return walk((0, t.hops))


def _subtree(t: ExecTree, i: int, j: int, index: int) -> ExecTree:
    """The part of ``t`` that makes segment ``[i, j]``, as a tree of its own."""
    def inside(seg: tuple[int, int]) -> bool:
        return i <= seg[0] and seg[1] <= j

    def shift(seg: tuple[int, int]) -> tuple[int, int]:
        return (seg[0] - i, seg[1] - i)

    base = t.segments[(i, j)][1]
    segments = {shift(s): (m - i if m >= 0 else -1, d - base, lat)
                for s, (m, d, lat) in t.segments.items() if inside(s)}
    children = {shift(s): (shift(a), shift(b)) for s, (a, b) in t.children.items()
                if inside(s)}
    sibling = {shift(s): (m - i, shift(o)) for s, (m, o) in t.sibling.items()
               if inside(s) and s != (i, j)}
    leaves = tuple(Leaf(pos=lf.pos - i, link=lf.link, a=lf.a, b=lf.b, rate=lf.rate,
                        success=lf.success) for lf in t.leaves if i <= lf.pos < j)
    depth = max(d for _, d, _ in segments.values())
    return ExecTree(index=index, request=PREDISTRIBUTED, rate=0.0, route=t.route[i:j + 1],
                    leaves=leaves, segments=segments, children=children, sibling=sibling,
                    latency=t.segments[(i, j)][2], depth=depth)
