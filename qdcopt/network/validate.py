"""The family-B validator: one deterministic check of a plan against its instance.

Rules and their codes (every comparison allows a relative slack of ``REL_TOL``, the
accuracy of an LP solution):

* ``B0-REFERENCE``   every id names a node, link or request of the instance, every rate
  is finite and non-negative, every swap joins two other nodes, the variant is known;
* ``B1-LINK-CAPACITY`` a link generates at most ``p_link · min(C_u, C_v)`` pairs/s;
* ``B2-NODE-CAPACITY`` a node's attempts ``Σ_l g_l / p_l`` stay within ``C_u``;
* ``B3-CONSERVATION`` at every state, pairs consumed (by swaps and requests) ≤ pairs made
  (by its link and by swaps, ``γ_w`` per input pair);
* ``B4-TREE-SHAPE``  a tree is a binary swapping tree for its request's pair: leaves are
  links, a swap at ``w`` making ``{u, v}`` has children making ``{u, w}`` and ``{w, v}``,
  every node is reached once from the root;
* ``B5-TREE-FLOW``   trees use no more than the plan's flows (per swap and per link), and
  each leaf draws what its tree needs (``rate / Π γ`` above it);
* ``B6-REQUEST-RATE`` each request's rate is the sum of its trees' rates;
* ``B7-TREE-LATENCY`` (``rate_model = "latency"``) a tree's rate is at most ``1 / T`` with
  ``T`` its expected latency by paper 003's eq. 1 from its leaves' link rates; for
  ``rate_model = "reserved"`` with ``T`` the reserved-memory latency
  (:func:`qdcopt.network.resources.reserved_latency`);
* ``B8-MEMORY`` (``rate_model = "reserved"``) every tree (one copy) reserves one memory
  per link end of its route, and a node's reservations stay within its memories; a leaf
  draws at most its link's reserved-memory rate (one attempt per generation time);
  reserved plans keep their waits in the latency, so their flows follow ``γ = q`` (the
  ``steady_state`` variant), which ``B3`` and ``B5`` then check;
* ``B9-FIDELITY`` every tree delivers at least its request's ``min_fidelity`` (Werner
  pairs: fresh link pairs at the link fidelity, a swap multiplies Werner parameters, a
  purification follows DEJMPS twirled to Werner, :func:`qdcopt.network.physics.tree_werner`),
  and every purification row's success is that of a purification the trees make there.

GHZ requests (``models/ghz.md``) add ``B10-FUSION-SHAPE``, ``B11-FUSION-RATE`` and
``B12-FUSION-LATENCY`` (:mod:`qdcopt.network.ghz.checks`); their branch trees are trees of
the plan whose ``request`` is the GHZ request, checked by ``B4``–``B8`` as any tree but for
their root pair (``B10`` checks it), and their fusions consume the branch pairs (``B3``).

Purification (``models/purification.md``) enters the other rules as a node of a tree whose
two children both make its pair (``B4``), as rounds that take two pairs of a state and
return ``success`` of one (``B3``), and as rounds the trees need, ``rate / Π`` of the
successes and swap gains above (``B5``).

The objective is ``Σ_r w_r · rate_r`` over both kinds of request.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qdcopt.network.ghz.checks import check_fusions
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import (
    FIDELITY_TOL,
    NO_SWAP,
    PURIFY,
    VARIANTS,
    SwapTree,
    TreeNode,
    link_model,
    swap_gain,
    tree_latency,
    tree_need,
    tree_werner,
)
from qdcopt.network.plan import LATENCY, RESERVED, NetworkPlan
from qdcopt.network.purification import werner_fidelity
from qdcopt.network.resources import memories, reserved_latency, slot_link_rate, tree_slots
from qdcopt.report import Report, Violation

REL_TOL = 1e-6
MAX_PER_CODE = 100


def _slack(*values: float) -> float:
    return REL_TOL * max(1.0, *(abs(v) for v in values))


def validate(instance: NetworkInstance, plan: NetworkPlan) -> Report:
    """Check ``plan`` against ``instance``; return violations and metrics.

    Parameters
    ----------
    instance
        The network.
    plan
        Any family-B plan (from any method, or read from CSV).

    Returns
    -------
    Report
        Objective ``Σ w_r rate_r`` recomputed from the plan, violations, metrics.
    """
    out: list[Violation] = []
    counts: dict[str, int] = {}

    def bad(code: str, message: str, **event: Any) -> None:
        counts[code] = counts.get(code, 0) + 1
        if counts[code] <= MAX_PER_CODE:
            out.append(Violation(code, message, event))

    model = link_model(instance)
    node = instance.node_index
    n = instance.n
    variant = plan.variant if plan.variant in VARIANTS else None
    if variant is None:
        bad("B0-REFERENCE", f"unknown variant {plan.variant!r}", variant=plan.variant)
        variant = "published"
    gamma = swap_gain(model.swap_success, variant)

    def rate_ok(value: float, **event: Any) -> bool:
        if not math.isfinite(value) or value < 0:
            bad("B0-REFERENCE", f"rate must be finite and ≥ 0, got {value!r}", **event)
            return False
        return True

    # -- requests ------------------------------------------------------------------------
    req_rate = np.zeros(len(instance.requests))
    seen_req: set[str] = set()
    for rid, rate in plan.requests:
        if rid in instance.ghz_index:
            if rid in seen_req:
                bad("B0-REFERENCE", f"request {rid!r} listed twice", request=rid)
            seen_req.add(rid)
            rate_ok(rate, request=rid)
            continue
        if rid not in instance.request_index:
            bad("B0-REFERENCE", f"unknown request {rid!r}", request=rid)
            continue
        if rid in seen_req:
            bad("B0-REFERENCE", f"request {rid!r} listed twice", request=rid)
            continue
        seen_req.add(rid)
        if rate_ok(rate, request=rid):
            req_rate[instance.request_index[rid]] = rate
    # -- links ---------------------------------------------------------------------------
    g = np.zeros(len(instance.links))
    for u, v, rate in plan.links:
        if u not in node or v not in node:
            bad("B0-REFERENCE", f"unknown node in link {u}–{v}", u=u, v=v)
            continue
        link = instance.find_link(node[u], node[v])
        if link is None:
            bad("B0-REFERENCE", f"no link {u}–{v} in the network", u=u, v=v)
            continue
        if rate_ok(rate, u=u, v=v):
            g[link] += rate
    for li, link in enumerate(instance.links):
        if g[li] > model.capacity[li] + _slack(model.capacity[li]):
            bad("B1-LINK-CAPACITY",
                f"link {instance.nodes[link.u].id}–{instance.nodes[link.v].id} generates "
                f"{g[li]:.6g} pairs/s > capacity {model.capacity[li]:.6g}",
                u=instance.nodes[link.u].id, v=instance.nodes[link.v].id, rate=float(g[li]),
                capacity=float(model.capacity[li]))
    attempts = np.zeros(n)
    if len(g):
        np.add.at(attempts, model.link_u, g / model.success)
        np.add.at(attempts, model.link_v, g / model.success)
    for u in range(n):
        if attempts[u] > model.node_capacity[u] + _slack(model.node_capacity[u]):
            bad("B2-NODE-CAPACITY",
                f"node {instance.nodes[u].id} makes {attempts[u]:.6g} attempts/s > "
                f"capacity {model.node_capacity[u]:.6g}",
                node=instance.nodes[u].id, attempts=float(attempts[u]),
                capacity=float(model.node_capacity[u]))
    # -- swaps and conservation ----------------------------------------------------------
    made: dict[tuple[int, int], float] = {}
    used: dict[tuple[int, int], float] = {}

    def pair(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    for li, link in enumerate(instance.links):
        if g[li] > 0:
            made[(link.u, link.v)] = made.get((link.u, link.v), 0.0) + g[li]
    x_plan: dict[tuple[int, int, int], float] = {}
    for w_id, a_id, b_id, rate in plan.swaps:
        if w_id not in node or a_id not in node or b_id not in node:
            bad("B0-REFERENCE", f"unknown node in swap {a_id}–{w_id}–{b_id}", node=w_id,
                left=a_id, right=b_id)
            continue
        w, a, b = node[w_id], node[a_id], node[b_id]
        if len({w, a, b}) < 3:
            bad("B0-REFERENCE", f"swap at {w_id} must join two other distinct nodes",
                node=w_id, left=a_id, right=b_id)
            continue
        if not rate_ok(rate, node=w_id, left=a_id, right=b_id):
            continue
        key = (w, *pair(a, b))
        x_plan[key] = x_plan.get(key, 0.0) + rate
        for p in (pair(a, w), pair(w, b)):
            used[p] = used.get(p, 0.0) + rate
        made[pair(a, b)] = made.get(pair(a, b), 0.0) + gamma[w] * rate
    purify_plan: dict[tuple[int, int], float] = {}
    purify_success: dict[tuple[int, int], list[float]] = {}
    for u_id, v_id, success, rate in plan.purifications:
        if u_id not in node or v_id not in node or u_id == v_id:
            bad("B0-REFERENCE", f"purification of {u_id}–{v_id} must name two nodes",
                u=u_id, v=v_id)
            continue
        if not (math.isfinite(success) and 0.0 < success <= 1.0):
            bad("B0-REFERENCE", f"purification of {u_id}–{v_id}: success must lie in "
                f"(0, 1], got {success!r}", u=u_id, v=v_id)
            continue
        if not rate_ok(rate, u=u_id, v=v_id):
            continue
        p = pair(node[u_id], node[v_id])
        purify_plan[p] = purify_plan.get(p, 0.0) + rate
        purify_success.setdefault(p, []).append(success)
        used[p] = used.get(p, 0.0) + 2.0 * rate
        made[p] = made.get(p, 0.0) + success * rate
    for r, req in enumerate(instance.requests):
        p = pair(req.source, req.destination)
        used[p] = used.get(p, 0.0) + req_rate[r]
    ghz_rate: np.ndarray = np.zeros(0)
    fused: dict[tuple[int, int], float] = {}
    if plan.fusions or instance.ghz:
        indexed_trees: dict[int, SwapTree] = {}
        for tree in plan.trees:
            indexed = _tree_indices(instance, tree, lambda *_, **__: None)
            if indexed is not None:
                indexed_trees[tree.tree] = indexed
        ghz_rate, fused = check_fusions(instance, plan, model, indexed_trees, bad)
    for p, x in fused.items():
        used[p] = used.get(p, 0.0) + x
    discarded = 0.0
    for p in set(made) | set(used):
        m_, u_ = made.get(p, 0.0), used.get(p, 0.0)
        if u_ > m_ + _slack(m_, u_):
            bad("B3-CONSERVATION",
                f"state {instance.nodes[p[0]].id}–{instance.nodes[p[1]].id}: consumes "
                f"{u_:.6g} pairs/s but makes {m_:.6g}",
                u=instance.nodes[p[0]].id, v=instance.nodes[p[1]].id, consumed=u_, made=m_)
        discarded += max(0.0, m_ - u_)
    # -- trees ---------------------------------------------------------------------------
    tree_sum = np.zeros(len(instance.requests))
    x_trees: dict[tuple[int, int, int], float] = {}
    g_trees = np.zeros(len(instance.links))
    latency_sum = np.zeros(len(instance.requests))
    reserved = plan.rate_model == RESERVED
    slot_rate = slot_link_rate(instance, model) if reserved else None
    held = np.zeros(n, dtype=np.int64)
    purify_trees: dict[tuple[int, int], float] = {}
    tree_success: dict[tuple[int, int], list[float]] = {}
    for tree in plan.trees:
        indexed = _tree_indices(instance, tree, bad)
        if indexed is None:
            continue
        branch = tree.request in instance.ghz_index  # a GHZ branch: its pairs go to a fusion
        r = -1 if branch else instance.request_index[tree.request]
        if not rate_ok(tree.rate, tree=tree.tree):
            continue
        if not branch:
            tree_sum[r] += tree.rate
        w_nodes, success = tree_werner(indexed.nodes, instance)
        want = None if branch else instance.requests[r].min_fidelity
        if want is not None and werner_fidelity(w_nodes[0]) < want - FIDELITY_TOL:
            bad("B9-FIDELITY",
                f"tree {tree.tree}: delivers fidelity {werner_fidelity(w_nodes[0]):.6g} < "
                f"min_fidelity {want:g} of request {tree.request}", tree=tree.tree,
                request=tree.request, fidelity=werner_fidelity(w_nodes[0]), min_fidelity=want)
        supply, flow = tree_need(indexed, gamma, success)
        for i, (nd, s_i, f_i) in enumerate(zip(indexed.nodes, supply, flow, strict=True)):
            if nd.is_purification:
                p = pair(nd.u, nd.v)
                purify_trees[p] = purify_trees.get(p, 0.0) + tree.rate * f_i
                tree_success.setdefault(p, []).append(success[i])
                continue
            if nd.is_leaf:
                g_trees[instance.find_link(nd.u, nd.v)] += nd.link_rate
                need = tree.rate * s_i
                if nd.link_rate < need - _slack(need):
                    bad("B5-TREE-FLOW",
                        f"tree {tree.tree}: leaf {instance.nodes[nd.u].id}–"
                        f"{instance.nodes[nd.v].id} draws {nd.link_rate:.6g} pairs/s but "
                        f"needs {need:.6g}", tree=tree.tree, drawn=nd.link_rate, needed=need)
            else:
                key = (nd.swap_at, *pair(nd.u, nd.v))
                x_trees[key] = x_trees.get(key, 0.0) + tree.rate * f_i
        latency = (reserved_latency(instance, model, indexed.nodes) if reserved
                   else tree_latency(indexed, instance, model))
        if not branch:
            latency_sum[r] += tree.rate * latency if math.isfinite(latency) else 0.0
        if reserved:
            held += tree_slots(indexed, n)
            for nd in indexed.nodes:
                if not nd.is_leaf:
                    continue
                most = float(slot_rate[instance.find_link(nd.u, nd.v)])
                if nd.link_rate > most + _slack(most):
                    bad("B8-MEMORY",
                        f"tree {tree.tree}: leaf {instance.nodes[nd.u].id}–"
                        f"{instance.nodes[nd.v].id} draws {nd.link_rate:.6g} pairs/s, more "
                        f"than one memory at each end can make ({most:.6g})",
                        tree=tree.tree, drawn=nd.link_rate, most=most)
        if plan.rate_model in (LATENCY, RESERVED) and tree.rate > (
                1.0 / latency if latency > 0 else math.inf) * (1 + REL_TOL):
            bad("B7-TREE-LATENCY",
                f"tree {tree.tree}: rate {tree.rate:.6g} exceeds 1/T = {1 / latency:.6g} "
                f"(eq. 1 latency {latency:.6g} s)", tree=tree.tree, rate=tree.rate,
                latency=latency)
    if reserved:
        mem = memories(instance)
        for u in np.flatnonzero(held > mem).tolist():
            bad("B8-MEMORY",
                f"node {instance.nodes[u].id}: trees reserve {int(held[u])} memories "
                f"(one per link end), it has {int(mem[u])}",
                node=instance.nodes[u].id, reserved=int(held[u]), memories=int(mem[u]))
    for key, x in x_trees.items():
        have = x_plan.get(key, 0.0)
        if x > have + _slack(have, x):
            w, a, b = key
            bad("B5-TREE-FLOW",
                f"trees swap {x:.6g} pairs/s at {instance.nodes[w].id} for "
                f"{instance.nodes[a].id}–{instance.nodes[b].id}, plan has {have:.6g}",
                node=instance.nodes[w].id, trees=x, plan=have)
    for p, x in purify_trees.items():
        have = purify_plan.get(p, 0.0)
        if x > have + _slack(have, x):
            bad("B5-TREE-FLOW",
                f"trees purify {x:.6g} rounds/s of {instance.nodes[p[0]].id}–"
                f"{instance.nodes[p[1]].id}, plan has {have:.6g}",
                u=instance.nodes[p[0]].id, v=instance.nodes[p[1]].id, trees=x, plan=have)
    for p, claimed in purify_success.items():
        real = tree_success.get(p, [])
        for c in claimed:
            if not any(abs(c - t) <= _slack(c, t) for t in real):
                bad("B9-FIDELITY",
                    f"purification of {instance.nodes[p[0]].id}–{instance.nodes[p[1]].id} "
                    f"claims success {c:.6g}; the trees' purifications there succeed with "
                    f"{sorted(set(round(t, 9) for t in real)) or 'none'}",
                    u=instance.nodes[p[0]].id, v=instance.nodes[p[1]].id, success=c)
    for li in range(len(instance.links)):
        if g_trees[li] > g[li] + _slack(g[li], g_trees[li]):
            link = instance.links[li]
            bad("B5-TREE-FLOW",
                f"trees draw {g_trees[li]:.6g} pairs/s from link {instance.nodes[link.u].id}–"
                f"{instance.nodes[link.v].id}, plan generates {g[li]:.6g}",
                u=instance.nodes[link.u].id, v=instance.nodes[link.v].id)
    for r, req in enumerate(instance.requests):
        if abs(tree_sum[r] - req_rate[r]) > _slack(req_rate[r], tree_sum[r]):
            bad("B6-REQUEST-RATE",
                f"request {req.id}: rate {req_rate[r]:.6g} but its trees give "
                f"{tree_sum[r]:.6g}", request=req.id, rate=float(req_rate[r]),
                trees=float(tree_sum[r]))
    weights = np.array([r.weight for r in instance.requests])
    objective = float(np.dot(weights, req_rate))
    if len(instance.ghz):
        objective += float(np.dot([g.weight for g in instance.ghz], ghz_rate))
    with np.errstate(divide="ignore", invalid="ignore"):
        latency = np.where(tree_sum > 0, latency_sum / np.where(tree_sum > 0, tree_sum, 1),
                           np.inf)
    served = req_rate > 0
    metrics = {
        "rate_per_request": {r.id: float(req_rate[i]) for i, r in enumerate(instance.requests)},
        "aggregate_rate": float(req_rate.sum()),
        "weighted_rate": objective,
        "min_rate": float(req_rate.min()) if len(req_rate) else 0.0,
        "min_weighted_rate": float((req_rate / weights).min()) if len(req_rate) else 0.0,
        "served_requests": int(served.sum()),
        "expected_latency_s": {r.id: float(latency[i]) for i, r in enumerate(instance.requests)},
        "mean_expected_latency_s": float(latency[served].mean()) if served.any() else math.inf,
        "trees": len(plan.trees),
        "links_used": len(plan.links),
        "swaps_used": len(plan.swaps),
        "max_node_utilisation": float((attempts / model.node_capacity).max()) if n else 0.0,
        "discarded_rate": discarded,
        "variant": variant,
        "rate_model": plan.rate_model,
    }
    if reserved:
        metrics["memories_reserved"] = int(held.sum())
        metrics["max_memory_share"] = float(
            (held / np.maximum(memories(instance), 1)).max()) if n else 0.0
    if instance.ghz:
        metrics["ghz_rate_per_request"] = {g.id: float(ghz_rate[i])
                                           for i, g in enumerate(instance.ghz)}
        metrics["rate_per_request"].update(metrics["ghz_rate_per_request"])
        metrics["weighted_rate"] = objective
        metrics["fusions"] = len(plan.fusions)
        metrics["served_requests"] += int((ghz_rate > 0).sum())
    if plan.reasons:
        metrics["zero_rate_reasons"] = dict(plan.reasons)
    if counts:
        metrics["violations_by_code"] = counts
    return Report(family="network", objective=objective, violations=tuple(out),
                  metrics=metrics)


def tree_fidelities(instance: NetworkInstance, plan: NetworkPlan) -> dict[int, float]:
    """Fidelity of the pairs each well-formed tree of ``plan`` delivers (tree number →
    fidelity; :func:`qdcopt.network.physics.tree_werner`)."""
    out = {}
    for tree in plan.trees:
        indexed = _tree_indices(instance, tree, lambda *_, **__: None)
        if indexed is not None:
            w, _ = tree_werner(indexed.nodes, instance)
            out[tree.tree] = werner_fidelity(w[0])
    return out


def _tree_indices(instance: NetworkInstance, tree: Any, bad: Any) -> SwapTree | None:
    """The plan tree with node indices, or ``None`` after reporting why it is malformed."""
    node = instance.node_index
    branch = tree.request in instance.ghz_index
    if tree.request not in instance.request_index and not branch:
        bad("B0-REFERENCE", f"tree {tree.tree}: unknown request {tree.request!r}",
            tree=tree.tree)
        return None
    req = None if branch else instance.requests[instance.request_index[tree.request]]

    def shape(msg: str) -> None:
        bad("B4-TREE-SHAPE", f"tree {tree.tree}: {msg}", tree=tree.tree, request=tree.request)

    if not tree.nodes:
        shape("has no nodes")
        return None
    nodes = []
    for nd in tree.nodes:
        ids = [nd.u, nd.v] + ([nd.swap_at] if nd.swap_at else [])
        if any(i not in node for i in ids):
            bad("B0-REFERENCE", f"tree {tree.tree}: unknown node in {ids}", tree=tree.tree)
            return None
        if not math.isfinite(nd.link_rate) or nd.link_rate < 0:
            bad("B0-REFERENCE", f"tree {tree.tree}: bad link rate {nd.link_rate!r}",
                tree=tree.tree)
            return None
        kind = (node[nd.swap_at] if nd.swap_at
                else PURIFY if nd.is_purification else NO_SWAP)
        nodes.append(TreeNode(u=node[nd.u], v=node[nd.v], swap_at=kind,
                              left=nd.left, right=nd.right, link_rate=nd.link_rate))
    if req is not None and {nodes[0].u, nodes[0].v} != {req.source, req.destination}:
        shape(f"root makes {tree.nodes[0].u}–{tree.nodes[0].v}, not the request's pair")
        return None
    visited = [False] * len(nodes)
    stack = [0]
    while stack:
        i = stack.pop()
        if visited[i]:
            shape(f"node {i} is reached twice (not a tree)")
            return None
        visited[i] = True
        nd = nodes[i]
        if nd.is_leaf:
            if nd.left != -1 or nd.right != -1:
                shape(f"leaf {i} has children")
                return None
            if instance.find_link(nd.u, nd.v) is None:
                shape(f"leaf {i} ({tree.nodes[i].u}–{tree.nodes[i].v}) is not a link")
                return None
            continue
        if nd.is_purification:
            if not (0 <= nd.left < len(nodes) and 0 <= nd.right < len(nodes)):
                shape(f"purification node {i} has a missing child")
                return None
            for c in (nd.left, nd.right):
                if {nodes[c].u, nodes[c].v} != {nd.u, nd.v}:
                    shape(f"purification node {i} ({tree.nodes[i].u}–{tree.nodes[i].v}) "
                          f"has child {c} making {tree.nodes[c].u}–{tree.nodes[c].v}")
                    return None
            if nd.link_rate != 0:
                shape(f"purification node {i} draws a link rate")
                return None
            stack.extend([nd.left, nd.right])
            continue
        w = nd.swap_at
        if w in (nd.u, nd.v):
            shape(f"node {i} swaps at one of its own ends")
            return None
        if not (0 <= nd.left < len(nodes) and 0 <= nd.right < len(nodes)):
            shape(f"node {i} has a missing child")
            return None
        want = [{nd.u, w}, {w, nd.v}]
        got = [{nodes[nd.left].u, nodes[nd.left].v}, {nodes[nd.right].u, nodes[nd.right].v}]
        if sorted(map(sorted, want)) != sorted(map(sorted, got)):
            shape(f"node {i} swaps at {tree.nodes[i].swap_at} but its children do not make "
                  f"{tree.nodes[i].u}–{tree.nodes[i].swap_at} and "
                  f"{tree.nodes[i].swap_at}–{tree.nodes[i].v}")
            return None
        stack.extend([nd.left, nd.right])
    if not all(visited):
        shape("has nodes not reachable from the root")
        return None
    index = (len(instance.requests) + instance.ghz_index[tree.request] if branch
             else instance.request_index[tree.request])
    return SwapTree(request=index, rate=tree.rate, nodes=tuple(nodes))
