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
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from qdcopt.engine import Streams
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import LinkModel
from qdcopt.network.plan import NetworkPlan
from qdcopt.network.purification import purify_werner
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.fidelity import dephasing_factor, fidelity, link_werner
from qdcopt.network.runtime.metrics import RunStats

_MADE, _DONE = 0, 1


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
    op = dephasing_factor(config.dephasing_rate, ts)
    kappa = 2.0 * config.depolarizing_rate
    exponential = config.waits == "exponential"
    n_req = len(instance.requests)
    mem = sum(node.memories for node in instance.nodes)
    stats = RunStats.counting(config.duration, n_req, instance.n, mem)
    rows = [(instance.request_index[t.request], _nodes(instance, t)) for t in plan.trees]
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

    def stored(now: float, k: int, i: int, w: float) -> None:
        nodes = rows[k][1]
        nd = nodes[i]
        nd.held, nd.w, nd.since = True, w, now
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


__all__ = ["run_structures"]
