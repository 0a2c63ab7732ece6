"""The validator's rules for fusions (``models/ghz.md``); :func:`qdcopt.network.validate.validate`
calls :func:`check_fusions`.

* ``B10-FUSION-SHAPE`` every fusion names a GHZ request, a node and trees of that request;
  every tree of a GHZ request feeds exactly one fusion and every fusion's centre holds
  one end of each of its trees' pairs; a fusion takes at least two inputs; a fusion's
  parent belongs to the same request and the parents form trees; a non-root fusion's
  state holds exactly one qubit at its parent's centre (its up branch); the inputs of a
  fusion share no node but its centre (a party holds one qubit); the root's state is held
  by exactly the request's parties;
* ``B11-FUSION-RATE`` a fusion's success is the instance's fusion success at its centre;
  each of its trees delivers at least its attempts/s, each child makes (attempts ×
  success) at least its attempts/s; a GHZ request's rate is the sum of its root fusions'
  attempts × success;
* ``B12-FUSION-LATENCY`` fusions are planned under the reserved-memory model, and a
  structure's rate (its root's attempts × success) is at most ``1 / T`` with ``T`` its
  fusion latency (:func:`qdcopt.network.ghz.model.structure_latency`) over its trees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from qdcopt.network.ghz.model import (
    ROOT,
    Fusion,
    FusionStructure,
    fusion_success,
    outputs,
    structure_fidelity,
)
from qdcopt.network.ghz.model import structure_latency as _latency
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import FIDELITY_TOL, LinkModel, SwapTree
from qdcopt.network.plan import RESERVED, NetworkPlan

REL_TOL = 1e-6


def _slack(*values: float) -> float:
    return REL_TOL * max(1.0, *(abs(v) for v in values))


def check_fusions(instance: NetworkInstance, plan: NetworkPlan, model: LinkModel,
                  trees: dict[int, SwapTree], bad: Callable[..., None],
                  ) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """Check the plan's fusions (module docstring).

    Parameters
    ----------
    instance, plan, model
        The network, the plan and its link model.
    trees
        Tree number → the well-formed trees of the plan with node indices.
    bad
        ``bad(code, message, **event)`` records a violation.

    Returns
    -------
    (rates, consumed)
        The GHZ requests' rates as the plan states them, and the pairs/s the fusions take
        from each state ``(u, v)``, ``u < v`` (for ``B3-CONSERVATION``).
    """
    node = instance.node_index
    ghz = instance.ghz_index
    ids = [nd.id for nd in instance.nodes]
    stated = np.zeros(len(instance.ghz))
    seen: set[str] = set()
    for rid, rate in plan.requests:
        if rid in ghz and rid not in seen:
            seen.add(rid)
            stated[ghz[rid]] = rate if math.isfinite(rate) and rate >= 0 else 0.0
    consumed: dict[tuple[int, int], float] = {}
    table = {t.tree: (t.request, t.rate) for t in plan.trees}

    def plan_request(t: int) -> str:
        return table[t][0]

    def plan_tree_rate(t: int) -> float:
        return table[t][1]

    by_number = {f.fusion: f for f in plan.fusions}
    made = np.zeros(len(instance.ghz))
    owner: dict[int, int] = {}
    good: dict[int, Any] = {}

    def shape(f: Any, msg: str) -> None:
        bad("B10-FUSION-SHAPE", f"fusion {f.fusion}: {msg}", fusion=f.fusion, request=f.request)

    if len(by_number) < len(plan.fusions):
        bad("B0-REFERENCE", "fusion numbers repeat", fusions=len(plan.fusions))
    for f in plan.fusions:
        if f.request not in ghz:
            bad("B0-REFERENCE", f"fusion {f.fusion}: {f.request!r} is no GHZ request",
                fusion=f.fusion, request=f.request)
            continue
        if f.centre not in node:
            bad("B0-REFERENCE", f"fusion {f.fusion}: unknown node {f.centre!r}",
                fusion=f.fusion)
            continue
        if not (math.isfinite(f.rate) and f.rate >= 0 and math.isfinite(f.success)
                and 0 < f.success <= 1):
            bad("B0-REFERENCE", f"fusion {f.fusion}: rate must be finite and ≥ 0 and success "
                f"in (0, 1], got {f.rate!r}, {f.success!r}", fusion=f.fusion)
            continue
        if f.parent == ROOT:  # the request's rate is its roots' output, whatever their shape
            made[ghz[f.request]] += f.rate * f.success
        ok = True
        c = node[f.centre]
        for t in f.trees:
            if t not in trees:
                bad("B0-REFERENCE", f"fusion {f.fusion}: no well-formed tree {t}",
                    fusion=f.fusion, tree=t)
                ok = False
                continue
            tree = trees[t]
            if plan_request(t) != f.request:
                shape(f, f"tree {t} serves {plan_request(t)!r}, not {f.request!r}")
                ok = False
            if c not in (tree.nodes[0].u, tree.nodes[0].v):
                shape(f, f"its centre {f.centre} holds no end of tree {t}'s pair "
                         f"{ids[tree.nodes[0].u]}–{ids[tree.nodes[0].v]}")
                ok = False
            if t in owner:
                shape(f, f"tree {t} also feeds fusion {owner[t]}")
                ok = False
            owner[t] = f.fusion
            a, b = tree.nodes[0].u, tree.nodes[0].v
            key = (min(a, b), max(a, b))
            consumed[key] = consumed.get(key, 0.0) + f.rate
        if f.parent != ROOT:
            p = by_number.get(f.parent)
            if p is None or p.request != f.request:
                shape(f, f"its parent {f.parent} is no fusion of request {f.request}")
                ok = False
        if ok:
            good[f.fusion] = f
    ghz_ids = set(ghz)
    for t, _ in sorted(trees.items()):
        if plan_request(t) in ghz_ids and t not in owner:
            bad("B10-FUSION-SHAPE", f"tree {t} of GHZ request {plan_request(t)} feeds "
                "no fusion", tree=t, request=plan_request(t))
    reserved = plan.rate_model == RESERVED
    reached: set[int] = set()
    for root in [f for f in good.values() if f.parent == ROOT]:
        members = _members(root, good)
        reached.update(f.fusion for f in members)
        structure = _structure(instance, root, members, trees, node)
        if not _shape_ok(instance, structure, members, ids, bad):
            continue
        for i, f in enumerate(members):
            want = fusion_success(instance, model, node[f.centre])
            if abs(f.success - want) > _slack(want):
                bad("B11-FUSION-RATE", f"fusion {f.fusion}: success {f.success:.6g}, but a "
                    f"fusion at {f.centre} succeeds with {want:.6g}", fusion=f.fusion,
                    success=f.success, expected=want)
            for t in f.trees:
                if plan_tree_rate(t) < f.rate - _slack(f.rate):
                    bad("B11-FUSION-RATE", f"fusion {f.fusion} attempts {f.rate:.6g}/s but "
                        f"tree {t} delivers {plan_tree_rate(t):.6g} pairs/s",
                        fusion=f.fusion, tree=t, attempts=f.rate,
                        delivered=plan_tree_rate(t))
            if structure.fusions[i].parent != ROOT:
                parent = members[structure.fusions[i].parent]
                if f.rate * f.success < parent.rate - _slack(parent.rate):
                    bad("B11-FUSION-RATE", f"fusion {f.fusion} makes {f.rate * f.success:.6g} "
                        f"states/s but its parent {parent.fusion} attempts {parent.rate:.6g}/s",
                        fusion=f.fusion, parent=parent.fusion)
        want = instance.ghz[instance.ghz_index[root.request]].min_fidelity
        if want is not None:
            fid = structure_fidelity(instance, structure)
            if fid < want - FIDELITY_TOL:
                bad("B9-FIDELITY", f"fusion {root.fusion}: its GHZ states have fidelity "
                    f"{fid:.6g} < min_fidelity {want:g} of request {root.request}",
                    fusion=root.fusion, request=root.request, fidelity=fid,
                    min_fidelity=want)
        out_rate = root.rate * root.success
        if not reserved:
            bad("B12-FUSION-LATENCY", f"fusion {root.fusion}: fusions are planned under the "
                f"reserved-memory model, the plan's rate model is {plan.rate_model!r}",
                fusion=root.fusion)
            continue
        latency = _latency(instance, model, structure)
        if out_rate > (1.0 / latency if latency > 0 else math.inf) * (1 + REL_TOL):
            bad("B12-FUSION-LATENCY", f"fusion {root.fusion}: its structure makes "
                f"{out_rate:.6g} GHZ states/s > 1/T = {1 / latency:.6g} (T = {latency:.6g} s)",
                fusion=root.fusion, rate=out_rate, latency=latency)
    for f in good.values():
        if f.fusion not in reached:
            shape(f, "is reached from no root fusion (its parents loop)")
    for g, req in enumerate(instance.ghz):
        if abs(made[g] - stated[g]) > _slack(made[g], stated[g]):
            bad("B11-FUSION-RATE", f"request {req.id}: rate {stated[g]:.6g} but its root "
                f"fusions make {made[g]:.6g} GHZ states/s", request=req.id,
                rate=float(stated[g]), fusions=float(made[g]))
    return stated, consumed


def _members(root: Any, good: dict[int, Any]) -> list[Any]:
    """The fusions under ``root``, parents first (a fusion whose parent chain loops is
    under no root: the caller reports it)."""
    children: dict[int, list[Any]] = {}
    for f in good.values():
        if f.parent != ROOT:
            children.setdefault(f.parent, []).append(f)
    out = [root]
    for f in out:
        out.extend(sorted(children.get(f.fusion, []), key=lambda x: x.fusion))
    return out


def _structure(instance: NetworkInstance, root: Any, members: list[Any],
               trees: dict[int, SwapTree], node: dict[str, int]) -> FusionStructure:
    """The plan's fusions under ``root`` as a :class:`FusionStructure` (trees renumbered)."""
    position = {f.fusion: i for i, f in enumerate(members)}
    order = [t for f in members for t in f.trees]
    local = {t: i for i, t in enumerate(order)}
    fusions = tuple(Fusion(node[f.centre], ROOT if f is root else position[f.parent],
                           tuple(local[t] for t in f.trees)) for f in members)
    return FusionStructure(request=instance.ghz_index[root.request], rate=0.0,
                           fusions=fusions, trees=tuple(trees[t] for t in order))


def _shape_ok(instance: NetworkInstance, s: FusionStructure, members: list[Any],
              ids: list[str], bad: Callable[..., None]) -> bool:
    """The structure rules of ``B10`` that need the whole structure."""
    ok = True

    def shape(i: int, msg: str) -> None:
        nonlocal ok
        ok = False
        f = members[i]
        bad("B10-FUSION-SHAPE", f"fusion {f.fusion}: {msg}", fusion=f.fusion, request=f.request)

    out = outputs(instance, s)
    for i, f in enumerate(s.fusions):
        children = [j for j, g in enumerate(s.fusions) if g.parent == i]
        if len(f.branches) + len(children) < 2:
            shape(i, "takes fewer than two inputs")
        inputs = []
        for b in f.branches:
            u, v = s.trees[b].nodes[0].u, s.trees[b].nodes[0].v
            inputs.append({u, v} - {f.centre})
        inputs += [set(out[j]) - {f.centre} for j in children]
        held: set[int] = set()
        for part in inputs:
            if part & held:
                shape(i, f"two of its inputs hold a qubit at "
                         f"{', '.join(ids[x] for x in sorted(part & held))}")
            held |= part
        if f.parent != ROOT:
            up = s.fusions[f.parent].centre
            ends = [b for b in f.branches
                    if up in (s.trees[b].nodes[0].u, s.trees[b].nodes[0].v)]
            if len(ends) != 1:
                shape(i, f"has {len(ends)} branches to its parent's centre {ids[up]}, "
                         "needs exactly one")
    parties = set(instance.ghz[s.request].nodes)
    if ok and set(out[0]) != parties:
        shape(0, f"makes a state over {', '.join(sorted(ids[x] for x in out[0]))}, not the "
                 f"request's parties {', '.join(sorted(ids[x] for x in parties))}")
    return ok


__all__ = ["check_fusions"]
