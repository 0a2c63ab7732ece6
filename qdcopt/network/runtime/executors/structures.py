"""Executing purification-augmented trees as planned: :func:`run_structures`.

The route-based executor (:mod:`qdcopt.network.runtime.executor`) adapts swaps along a
route; a purification-augmented tree (PAST) is not a route — two of its leaves may lie on
the same link — so plans that purify run here, each tree as its plan draws it (the fixed
policy).  Memories follow the reserved-memory model (``models/hyperflow.md``): every
leaf of every tree row holds one memory at each end of its link, and a pair always sits
in two such memories:

* a leaf whose two memories are free attempts once per generation time of its slower
  end and succeeds with ``p_link`` (geometric attempts, as the route executor's
  ``waits = "geometric"``; ``"exponential"`` draws the same mean); the fresh pair has
  the link's Werner parameter (:func:`~qdcopt.network.runtime.fidelity.link_werner`);
* a stored pair's Werner parameter decays with both qubits stored,
  ``w · exp(−2γ t)`` (``depolarizing_rate`` γ);
* once both children of a tree node hold pairs, the node operates: a swap at ``m``
  takes ``t_s + max(d_mu, d_mv)/c``, succeeds with ``q_m`` and gives ``w₁ w₂`` times the
  operation's dephasing on both measured qubits; a purification of ``{u, v}`` takes
  ``t_s + d_uv/c``, succeeds with ``p(w₁, w₂)`` and gives ``w'`` by
  :func:`qdcopt.network.purification.purify_werner` (inputs as decayed at its start);
* the output keeps the outer memories (a swap: the left pair's end at ``u``, the right
  pair's at ``v``; a purification: the kept pair's), the others are freed and their
  leaves attempt again; a failure frees all four;
* a root pair is delivered at once (its fidelity and the time since the tree's last
  delivery recorded) and its memories freed.

There are no cut-offs: a pair waits for its sibling however long (the plan's latency
counts that wait).  Same seed, same run.

**Fusions** (plans with GHZ requests, ``models/ghz.md``).  A tree that feeds a fusion
does not deliver its root pair: the pair stays in its two memories until every input of
the fusion is there — one pair of each of its trees and the state of each child fusion.
The fusion then takes ``t_s`` plus the fibre delay from its centre to the farthest node
of the state it makes, and succeeds with its ``success`` (a draw from the ``"fusions"``
stream, so runs without fusions draw exactly what they drew before).  A failure frees
every memory its inputs held and their leaves attempt again.  A child's GHZ state stays
in the memories of its inputs until its parent fuses it; the root's state is delivered to
the GHZ request at once.  Its fidelity is :func:`qdcopt.network.ghz.model.ghz_fidelity`
over its Bell pairs' Werner parameters, each taken as it had decayed (``w · e^{−2γt}``
since it was made) when the fusion that measured its centre qubit began, times the
operation's dephasing ``(1 − 4p/3)`` for that measured qubit.  A pair inside a child's
state keeps decaying as a pair until its parent fuses (an approximation: the GHZ state's
qubits decay as the pairs that made it).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from qdcopt.engine import Streams
from qdcopt.network.ghz.model import ghz_fidelity
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import LinkModel
from qdcopt.network.plan import NetworkPlan
from qdcopt.network.purification import purify_werner
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.fidelity import (
    dephasing_factor,
    fidelity,
    link_werner,
    noise_rates,
)
from qdcopt.network.runtime.metrics import RunStats

_MADE, _DONE, _FUSED = 0, 1, 2


@dataclass
class _Fusion:
    """One fusion of the plan, as the run goes."""

    request: int        # index among the run's requests (pairs first, then GHZ)
    centre: int
    parent: int         # index in the run's fusions, -1 for a root
    trees: list[int]    # rows of its branch trees
    sides: list[frozenset[int]]  # per branch: the parties on its far side
    children: list[int]
    success: float
    duration: float
    up: int = -1        # position in ``trees`` of the branch to the parent's centre
    held: bool = False
    busy: bool = False
    edges: list[tuple[float, float, frozenset[int]]] | None = None  # (w, since, side)
    memories: list[tuple[int, int]] | None = None  # (row, leaf) memories its state holds


@dataclass
class _Node:
    """One node of one tree row, as the run goes."""

    kind: str           # "leaf", "swap" or "purify"
    u: int
    v: int
    left: int = -1
    right: int = -1
    parent: int = -1
    at: int = -1        # swapping node
    link: int = -1      # leaf: its link
    w: float = 0.0      # Werner parameter of the held pair when stored
    since: float = 0.0  # when it was stored
    held: bool = False
    busy: bool = False  # operating on its children's pairs


def _nodes(instance: NetworkInstance, tree: object) -> list[_Node]:
    idx = instance.node_index
    out = []
    for nd in tree.nodes:  # type: ignore[attr-defined]
        if nd.is_leaf:
            link = instance.find_link(idx[nd.u], idx[nd.v])
            if link is None:
                raise ValueError(f"tree {tree.tree}: leaf {nd.u}–{nd.v} is not a link")
            out.append(_Node("leaf", idx[nd.u], idx[nd.v], link=link))
        elif nd.is_purification:
            out.append(_Node("purify", idx[nd.u], idx[nd.v], nd.left, nd.right))
        else:
            out.append(_Node("swap", idx[nd.u], idx[nd.v], nd.left, nd.right,
                             at=idx[nd.swap_at]))
    for i, nd in enumerate(out):
        if nd.kind != "leaf":
            out[nd.left].parent = i
            out[nd.right].parent = i
    return out


def run_structures(instance: NetworkInstance, plan: NetworkPlan, model: LinkModel,
                   config: RuntimeConfig, seed: int) -> RunStats:
    """One seeded run of every tree of ``plan`` as planned (see the module docstring).

    Parameters
    ----------
    instance, plan, model
        The network, a family-B plan (any trees, purifying or not) and its link model.
    config
        Run settings: ``duration``, ``depolarizing_rate``, ``dephasing_rate``, ``waits``,
        ``link_fidelity`` (links the instance gives no fidelity).
    seed
        Seed of the run's random streams.

    Returns
    -------
    RunStats
        Deliveries, fidelities and latencies per request, link pairs made, swaps.
    """
    streams = Streams(seed)
    rng_link = streams.get("links")
    rng_op = streams.get("swaps")
    w_link = link_werner(instance, config.link_fidelity)
    gen_time = [node.generation_time for node in instance.nodes]
    success = model.success.tolist()
    q = model.swap_success.tolist()
    dist = np.where(np.isfinite(model.classical_distance), model.classical_distance,
                    0.0).tolist()
    ts = float(instance.physics.swap_latency)
    inv_c = 1.0 / float(instance.physics.classical_speed)
    depolarizing, dephasing = noise_rates(instance, config)
    op = dephasing_factor(dephasing, ts)
    kappa = 2.0 * depolarizing
    exponential = config.waits == "exponential"
    n_req = len(instance.requests) + len(instance.ghz)
    mem = sum(node.memories for node in instance.nodes)
    stats = RunStats.counting(config.duration, n_req, instance.n, mem)
    rows = [(_request_index(instance, t.request), _nodes(instance, t)) for t in plan.trees]
    fusions, feeds = _fusions(instance, plan, model)
    rng_fuse = streams.get("fusions") if fusions else None
    occupied = [[0] * len(nodes) for _, nodes in rows]  # per leaf: its memories in use
    owners: list[list[dict[int, int]]] = [[{} for _ in nodes] for _, nodes in rows]
    last = [0.0] * len(rows)
    heap: list[tuple[float, int, int, int, int]] = []
    order = 0  # ties resolve in scheduling order, so the run is deterministic

    def schedule(t: float, kind: int, k: int, i: int) -> None:
        nonlocal order
        heapq.heappush(heap, (t, order, kind, k, i))
        order += 1

    def attempt(now: float, k: int, i: int) -> None:
        nd = rows[k][1][i]
        link = instance.links[nd.link]
        step = max(gen_time[link.u], gen_time[link.v])
        p = success[nd.link]
        if p <= 0:
            return
        wait = (rng_link.exponential(step / p) if exponential
                else step * float(rng_link.geometric(p)))
        schedule(now + wait, _MADE, k, i)

    def release(now: float, k: int, leaf: int) -> None:
        """One memory of ``leaf`` is free again; with both free, the leaf attempts."""
        occupied[k][leaf] -= 1
        if occupied[k][leaf] == 0:
            attempt(now, k, leaf)

    def w_at(nd: _Node, now: float) -> float:
        return nd.w * math.exp(-kappa * (now - nd.since)) if kappa else nd.w

    def duration_of(nd: _Node) -> float:
        if nd.kind == "swap":
            return ts + max(dist[nd.at][nd.u], dist[nd.at][nd.v]) * inv_c
        return ts + dist[nd.u][nd.v] * inv_c

    def ready(f: _Fusion) -> bool:
        return (not f.busy and all(rows[k][1][0].held for k in f.trees)
                and all(fusions[c].held for c in f.children))

    def try_fuse(now: float, j: int) -> None:
        f = fusions[j]
        if ready(f):
            f.busy = True
            schedule(now + f.duration, _FUSED, j, 0)

    def free_state(now: float, j: int) -> None:
        """Free what fusion ``j``'s inputs hold (its trees' root pairs, its children's
        states)."""
        f = fusions[j]
        for k in f.trees:
            root = rows[k][1][0]
            root.held = False
            for leaf in owners[k][0].values():
                release(now, k, leaf)
        for c in f.children:
            child = fusions[c]
            child.held = False
            for k, leaf in child.memories or []:
                release(now, k, leaf)
            child.memories, child.edges = None, None

    def fused(now: float, j: int) -> None:
        f = fusions[j]
        f.busy = False
        begun = now - f.duration
        edges: list[tuple[float, float, frozenset[int]]] = []
        held: list[tuple[int, int]] = []
        for p, (k, side) in enumerate(zip(f.trees, f.sides, strict=True)):
            root = rows[k][1][0]
            edge = (w_at(root, begun) * op, begun, side)
            # the up branch first: its far qubit is the one the parent's fusion measures
            if p == f.up:
                edges.insert(0, edge)
            else:
                edges.append(edge)
            held.extend((k, leaf) for leaf in owners[k][0].values())
        for c in f.children:
            child = fusions[c]
            for e, (w, since, side) in enumerate(child.edges or []):
                w = w * math.exp(-kappa * (begun - since)) if kappa else w
                edges.append((w * op if e == 0 else w, begun, side))
            held.extend(child.memories or [])
        assert rng_fuse is not None
        ok = rng_fuse.random() < f.success
        if not ok or f.parent < 0:
            free_state(now, j)
            if ok and now <= config.duration:
                r = f.request
                fid = ghz_fidelity(instance.ghz[r - len(instance.requests)].nodes,
                                   [(w, side) for w, _, side in edges])
                stats.delivered[r] += 1
                stats.fidelity_sum[r] += fid
                stats.fidelities[r].append(fid)
                stats.latencies[r].append(now - last_ghz[j])
                last_ghz[j] = now
            return
        # the state waits in its inputs' memories for the parent's fusion
        for k in f.trees:
            rows[k][1][0].held = False
        for c in f.children:
            fusions[c].held = False
            fusions[c].memories, fusions[c].edges = None, None
        f.held, f.edges, f.memories = True, edges, held
        try_fuse(now, f.parent)

    last_ghz = [0.0] * len(fusions)

    def stored(now: float, k: int, i: int, w: float) -> None:
        nodes = rows[k][1]
        nd = nodes[i]
        nd.held, nd.w, nd.since = True, w, now
        if nd.parent < 0 and k in feeds:
            try_fuse(now, feeds[k])
            return
        if nd.parent < 0:
            r = rows[k][0]
            if now <= config.duration:
                f = fidelity(w)
                stats.delivered[r] += 1
                stats.fidelity_sum[r] += f
                stats.fidelities[r].append(f)
                stats.latencies[r].append(now - last[k])
                last[k] = now
            nd.held = False
            for leaf in owners[k][i].values():
                release(now, k, leaf)
            return
        parent = nodes[nd.parent]
        if nodes[parent.left].held and nodes[parent.right].held and not parent.busy:
            parent.busy = True
            schedule(now + duration_of(parent), _DONE, k, nd.parent)

    for k, (_, nodes) in enumerate(rows):
        for i, nd in enumerate(nodes):
            if nd.kind == "leaf":
                attempt(0.0, k, i)
    while heap:
        now, _, kind, k, i = heapq.heappop(heap)
        if now > config.duration:
            break
        stats.events += 1
        if kind == _FUSED:
            fused(now, k)
            continue
        nodes = rows[k][1]
        nd = nodes[i]
        if kind == _MADE:
            stats.generated += 1
            occupied[k][i] = 2
            owners[k][i] = {nd.u: i, nd.v: i}
            stored(now, k, i, w_link[nd.link])
            continue
        # an operation ends: its inputs as they had decayed when it began
        a, b = nodes[nd.left], nodes[nd.right]
        begun = now - duration_of(nd)
        w1, w2 = w_at(a, begun), w_at(b, begun)
        ea, eb = owners[k][nd.left], owners[k][nd.right]
        if nd.kind == "swap":
            stats.swaps += 1
            ok = rng_op.random() < q[nd.at]
            w_out = w1 * w2 * op * op
            # the outer memories carry the output; the two at the swapping node free
            ua = nd.u if nd.u in ea else nd.v
            keep = {ua: ea[ua], (nd.v if ua == nd.u else nd.u): eb[nd.v if ua == nd.u
                                                                   else nd.u]}
            drop = [ea[nd.at], eb[nd.at]]
        else:
            p, w_out = purify_werner(w1, w2)
            ok = rng_op.random() < p
            keep, drop = dict(ea), list(eb.values())  # the left pair is kept
        a.held = b.held = False
        nd.busy = False
        if not ok:
            if nd.kind == "swap":
                stats.swap_failures += 1
            for leaf in [*ea.values(), *eb.values()]:
                release(now, k, leaf)
            continue
        for leaf in drop:
            release(now, k, leaf)
        owners[k][i] = keep
        stored(now, k, i, w_out)
    stats.freeze()
    return stats


def _request_index(instance: NetworkInstance, request: str) -> int:
    """A request's index in the run: two-party requests first, then GHZ requests."""
    if request in instance.ghz_index:
        return len(instance.requests) + instance.ghz_index[request]
    return instance.request_index[request]


def _fusions(instance: NetworkInstance, plan: NetworkPlan, model: LinkModel,
             ) -> tuple[list[_Fusion], dict[int, int]]:
    """The plan's fusions for the run, and tree row → the fusion it feeds."""
    if not plan.fusions:
        return [], {}
    idx = instance.node_index
    row = {t.tree: k for k, t in enumerate(plan.trees)}
    number = {f.fusion: j for j, f in enumerate(plan.fusions)}
    ends = {t.tree: (idx[t.nodes[0].u], idx[t.nodes[0].v]) for t in plan.trees}
    dist = np.where(np.isfinite(model.classical_distance), model.classical_distance, 0.0)
    children: dict[int, list[int]] = {j: [] for j in range(len(plan.fusions))}
    for j, f in enumerate(plan.fusions):
        if f.parent >= 0:
            children[number[f.parent]].append(j)
    parties = {f.request: set(instance.ghz[instance.ghz_index[f.request]].nodes)
               for f in plan.fusions}

    def far(t: int, centre: int) -> int:
        u, v = ends[t]
        return v if u == centre else u

    below: dict[int, frozenset[int]] = {}

    def subtree(j: int) -> frozenset[int]:
        """Parties whose qubits the state of fusion ``j`` carries."""
        if j not in below:
            f = plan.fusions[j]
            c = idx[f.centre]
            up = idx[plan.fusions[number[f.parent]].centre] if f.parent >= 0 else None
            out = {c} if c in parties[f.request] else set()
            out |= {far(t, c) for t in f.trees if far(t, c) != up}
            for ch in children[j]:
                out |= subtree(ch)
            below[j] = frozenset(out & parties[f.request])
        return below[j]

    out = []
    feeds = {}
    for j, f in enumerate(plan.fusions):
        c = idx[f.centre]
        up = idx[plan.fusions[number[f.parent]].centre] if f.parent >= 0 else None
        sides = [subtree(j) if far(t, c) == up else frozenset({far(t, c)})
                 for t in f.trees]
        holders = set(subtree(j)) | ({up} if up is not None else set())
        reach = max((float(dist[c, x]) for x in holders if x != c), default=0.0)
        duration = (float(instance.physics.swap_latency)
                    + reach / float(instance.physics.classical_speed))
        ups = [p for p, t in enumerate(f.trees) if far(t, c) == up]
        out.append(_Fusion(request=_request_index(instance, f.request), centre=c,
                           parent=number[f.parent] if f.parent >= 0 else -1,
                           trees=[row[t] for t in f.trees], sides=sides,
                           children=children[j], success=float(f.success),
                           duration=duration, up=ups[0] if ups else -1))
        for t in f.trees:
            feeds[row[t]] = j
    return out, feeds


__all__ = ["run_structures"]
