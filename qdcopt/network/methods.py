"""The family-B methods: instance → (plan, SolveInfo).

* ``lp`` — tree copies within every node's memories (reserved-memory model, MILP over
  priced trees, Lagrangian bound; :mod:`qdcopt.network.lp.reserved`); with
  ``resources="attempts"`` the exact hyperflow LP by column generation over swapping
  trees (certified full-hypergraph optimum; :mod:`qdcopt.network.lp.hyperpaths`);
* ``lp-calibrated`` — ``lp``'s plan executed (fixed policy, seeded), its requests'
  trees derated by what they delivered and the copies chosen again, until the plan
  delivers 90 % of its promise (:mod:`qdcopt.network.lp.calibrate`);
* ``lp-hyperflow`` — the state/swap hyperflow LP on highspy, priced to the full optimum
  (:mod:`qdcopt.network.lp.hyperflow`), decomposed into trees;
* ``lp-pruned`` — the same LP on the pruned hypergraph only (k shortest paths): a
  restriction, its optimum a lower bound; with a request's ``min_fidelity``, the LP over
  fidelity classes with purification hyperedges (:mod:`qdcopt.network.lp.fidelity`);
* ``lp-pyomo`` — the pyomo statement over the full hypergraph (small instances);
* ``iterative`` — optimal trees one request at a time (paper 003 §IV-C);
* ``greedy`` — shortest-path balanced trees one request at a time.

GHZ requests (``instance.ghz``, ``models/ghz.md``) are planned under the reserved memories
as fusion structures by ``iterative`` (in turns, :mod:`qdcopt.network.ghz.planner`) and by
``lp`` (structure columns in its master, :mod:`qdcopt.network.ghz.columns`; no bound);
every other method refuses an instance with GHZ requests before any work
(:func:`refuse_ghz`).

The names written with an underscore before (``lp_hyperflow``, ``lp_pruned``, ``lp_pyomo``)
are accepted as aliases for one release (:data:`ALIASES`).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from qdcopt.network.ghz.planner import ghz_reason, plan_copies, plan_with_fusions
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.lp.calibrate import calibrated_plan
from qdcopt.network.lp.decompose import decompose
from qdcopt.network.lp.fidelity import solve_fidelity_hyperflow
from qdcopt.network.lp.hyperflow import solve_hyperflow
from qdcopt.network.lp.hyperflow_pyomo import solve_pyomo_hyperflow
from qdcopt.network.lp.hyperpaths import solve_tree_master
from qdcopt.network.lp.reserved import solve_reserved
from qdcopt.network.options import (
    CalibratedParams,
    HyperflowParams,
    LpParams,
    MemoryTreeParams,
    PrunedParams,
    PyomoLpParams,
)
from qdcopt.network.physics import (
    STEADY_STATE,
    check_variant,
    link_model,
    swap_gain,
    weak_links,
)
from qdcopt.network.plan import (
    HYPERFLOW,
    LATENCY,
    RESERVED,
    NetworkPlan,
    plan_from_flows,
    plan_from_trees,
)
from qdcopt.network.resources import (
    fidelity_reason,
    memories,
    slot_link_rate,
    zero_reason,
)
from qdcopt.network.trees.builders import (
    best_copy,
    greedy_copies,
    greedy_trees,
    iterative_copies,
    iterative_trees,
    optimal_tree,
)
from qdcopt.params import MethodParams, MethodSpec
from qdcopt.solvers.highs import SolveInfo, SolverOptions, Status


def solver_options(params: MethodParams) -> SolverOptions:
    """The HiGHS options a method's parameters ask for (``lp_method`` where it has one)."""
    return SolverOptions(time_limit=params.time_limit, threads=params.threads,
                         seed=params.seed, mip_gap=params.mip_gap, verbose=params.verbose,
                         lp_method=getattr(params, "lp_method", "choose"))


def _usable(instance: NetworkInstance) -> tuple[NetworkInstance, dict[str, str]]:
    """The instance without links below the success floor (the attempt-only models would
    otherwise hand the solver costs ``1 / p`` beyond 1e9), and the reasons of the requests
    that leaves without a path."""
    weak = set(weak_links(link_model(instance)).tolist())
    if not weak:
        return instance, {}
    reasons = {}
    for r, req in enumerate(instance.requests):
        why = zero_reason(instance, r)
        if why is not None and not why.startswith("no swap node"):
            reasons[req.id] = why
    kept = tuple(link for li, link in enumerate(instance.links) if li not in weak)
    return replace(instance, links=kept), reasons


def refuse_fidelity(instance: NetworkInstance, method: str) -> None:
    """Refuse, before any work, a method that cannot plan for requests' ``min_fidelity``.

    Raises
    ------
    ValueError
        Naming the first such request and the methods that can.
    """
    for i, req in enumerate(instance.requests):
        if req.min_fidelity is not None:
            raise ValueError(
                f"requests[{i}].min_fidelity: {method} plans without fidelity; requests "
                "with a min_fidelity are planned by lp (resources=memories), iterative, "
                "greedy and lp-pruned (fidelity classes)")


GHZ_METHODS = "iterative and lp (resources=memories, their default)"
"""The methods that plan GHZ requests, as refusals name them."""


def refuse_ghz(instance: NetworkInstance, method: str) -> None:
    """Refuse, before any work, a method that cannot plan GHZ requests.

    Raises
    ------
    ValueError
        Naming the first GHZ request and the method that can.
    """
    if instance.ghz:
        g = instance.ghz[0]
        raise ValueError(
            f"request {g.id!r} asks for a GHZ state among {len(g.nodes)} nodes: {method} "
            f"plans two-party requests only; GHZ requests are planned by {GHZ_METHODS}")


def _fidelity_miss(instance: NetworkInstance, r: int, purification: bool, name: str,
                   resources: str) -> str | None:
    """Why request ``r`` went unserved when its ``min_fidelity`` is what no tree meets on
    the whole network (``None`` when a tree meeting it exists: the capacity ran out)."""
    req = instance.requests[r]
    if req.min_fidelity is None:
        return None
    purify = purification and name != "greedy"
    model = link_model(instance)
    if resources == "memories":
        mem, rates = memories(instance), slot_link_rate(instance, model)
        meets = best_copy(instance, model, r, mem, rates, purify)
        plain = best_copy(instance, model, r, mem, rates, purify, ignore_fidelity=True)
    else:
        meets = optimal_tree(instance, r, None, model, purify)
        plain = optimal_tree(replace(instance, requests=tuple(
            replace(q, min_fidelity=None) if i == r else q
            for i, q in enumerate(instance.requests))), r, None, model)
    if meets is not None or plain is None:
        return None
    if name == "greedy":
        return (f"no tree reaches min_fidelity {req.min_fidelity:g} without purification "
                "(greedy does not purify)")
    return fidelity_reason(instance, r, purification)


def _with_reasons(plan: NetworkPlan, reasons: dict[str, str]) -> NetworkPlan:
    if not reasons:
        return plan
    merged = {**dict(plan.reasons), **{k: v for k, v in reasons.items()
                                       if dict(plan.requests).get(k, 0.0) == 0.0}}
    return replace(plan, reasons=tuple(sorted(merged.items())))


def _plain(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in stats.items():
        if isinstance(v, (np.floating, np.integer)):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        out[k] = v
    return out


def _lp_info(method: str, status: str, objective: float, certified: bool, start: float,
             stats: dict[str, Any]) -> SolveInfo:
    bound = objective if certified else math.nan
    return SolveInfo(method=method, status=status, objective=objective, bound=bound,
                     time_s=time.perf_counter() - start, extra=_plain(stats))


def method_lp(instance: NetworkInstance, params: LpParams) -> tuple[NetworkPlan, SolveInfo]:
    """Plan swapping trees at the largest rate the network can deliver.

    ``resources="memories"`` (default): tree copies under the reserved-memory model
    (:func:`qdcopt.network.lp.reserved.solve_reserved`; attempts and storage within each
    node's memories, so the promise is what a run delivers); ``"attempts"``: the
    published hyperflow LP, exact by column generation over trees
    (:func:`solve_tree_master`), whose memories only attempt.
    """
    variant, objective = params.variant, params.objective
    check_variant(variant)
    if params.resources != "memories":
        refuse_ghz(instance, "lp with resources=attempts")
    start = time.perf_counter()
    if params.resources == "memories":
        return _reserved_plan("lp", instance, objective, params.k_paths,
                              max(1, params.per_request // 2), solver_options(params), start,
                              params.purification)
    refuse_fidelity(instance, "lp with resources=attempts")
    usable, reasons = _usable(instance)
    flow = solve_tree_master(usable, variant=variant, objective=objective,
                             per_request=params.per_request, smoothing=params.smoothing,
                             options=solver_options(params))
    plan = _with_reasons(plan_from_trees(usable, flow.trees, method="lp", variant=variant,
                                         rate_model=HYPERFLOW), reasons)
    info = _lp_info("lp", flow.status, flow.objective, bool(flow.stats.get("certified")),
                    start, {**flow.stats, "variant": variant, "objective_kind": objective})
    return plan, info


def _reserved_plan(name: str, instance: NetworkInstance, objective: str, k_paths: int,
                   per_request: int, options: SolverOptions, start: float,
                   purification: bool) -> tuple[NetworkPlan, SolveInfo]:
    res = solve_reserved(instance, objective=objective, k_paths=k_paths,
                         per_request=per_request, options=options, purification=purification)
    reasons = {instance.requests[r].id: why for r, why in res.reasons.items()}
    # a reserved tree's waits are in its latency, so its flows take every pair swapped
    # once (γ = q): the steady-state variant, whatever the published LP would use
    if instance.ghz:
        reasons.update({instance.ghz[g].id: why for g, why in res.ghz_reasons.items()})
        served = {t.request for t in res.trees}
        for r, req in enumerate(instance.requests):
            if r not in served and req.id not in reasons:
                reasons[req.id] = "no tree fits the memories left"
        plan = plan_with_fusions(instance, list(res.trees), list(res.structures),
                                 method=name, model=link_model(instance), reasons=reasons)
    else:
        plan = plan_from_trees(instance, list(res.trees), method=name, variant=STEADY_STATE,
                               rate_model=RESERVED, reasons=reasons)
    info = SolveInfo(method=name, status=res.status, objective=res.objective,
                     bound=res.bound, time_s=time.perf_counter() - start,
                     extra=_plain({**res.stats, "variant": STEADY_STATE, "resources": "memories",
                                   "objective_kind": objective}))
    return plan, info


def hyperflow_plan(name: str, instance: NetworkInstance, variant: str, objective: str,
                   pricing: bool, k_paths: int, options: SolverOptions, *,
                   full: bool = False) -> tuple[NetworkPlan, SolveInfo]:
    """The state/swap hyperflow LP's plan: priced (``pricing``), on the pruned hypergraph
    alone, or on the full hypergraph (``full``, no pricing needed; small networks)."""
    check_variant(variant)
    refuse_ghz(instance, name)
    refuse_fidelity(instance, name)
    start = time.perf_counter()
    instance, reasons = _usable(instance)
    sol = solve_hyperflow(instance, variant=variant, objective=objective, pricing=pricing,
                          full=full, k_paths=k_paths, options=options)
    gamma = swap_gain(link_model(instance).swap_success, variant)
    trees = decompose(instance, gamma, sol.link_rate, sol.request_rate, sol.swap_w, sol.swap_u,
                      sol.swap_v, sol.swap_rate)
    plan = plan_from_flows(instance, trees, method=name, variant=variant,
                           link_rate=sol.link_rate, request_rate=sol.request_rate,
                           swap_w=sol.swap_w, swap_u=sol.swap_u, swap_v=sol.swap_v,
                           swap_rate=sol.swap_rate)
    plan = _with_reasons(plan, reasons)
    stats = {k: v for k, v in sol.stats.items() if k != "positive"}
    stats.update(variant=variant, objective_kind=objective, trees=len(trees))
    info = _lp_info(name, sol.status, sol.objective, bool(sol.stats.get("certified")), start,
                    stats)
    return plan, info


def method_lp_hyperflow(instance: NetworkInstance, params: HyperflowParams,
                        ) -> tuple[NetworkPlan, SolveInfo]:
    """State/swap hyperflow LP priced to the full-hypergraph optimum."""
    return hyperflow_plan("lp-hyperflow", instance, params.variant, params.objective, True,
                          params.k_paths, solver_options(params))


def method_lp_pruned(instance: NetworkInstance, params: PrunedParams,
                     ) -> tuple[NetworkPlan, SolveInfo]:
    """Hyperflow LP on the pruned hypergraph only (a restriction: a lower bound); with a
    request's ``min_fidelity``, the LP over fidelity classes (:func:`fidelity_plan`)."""
    if any(req.min_fidelity is not None for req in instance.requests):
        return fidelity_plan("lp-pruned", instance, params)
    return hyperflow_plan("lp-pruned", instance, params.variant, params.objective, False,
                          params.k_paths, solver_options(params))


def fidelity_plan(name: str, instance: NetworkInstance, params: PrunedParams,
                  ) -> tuple[NetworkPlan, SolveInfo]:
    """The fidelity-class hyperflow LP's plan (:mod:`qdcopt.network.lp.fidelity`).

    The plan's flows are what its trees use (each purification at the success its own
    fidelities give), its rates the decomposition's; the LP's value is in
    ``extra["lp_objective"]``. The LP is a restriction of the exact fidelity model (pruned
    hypergraph, fidelities rounded down to the grid), so it proves no bound.
    """
    check_variant(params.variant)
    refuse_ghz(instance, name)
    start = time.perf_counter()
    usable, reasons = _usable(instance)
    sol = solve_fidelity_hyperflow(usable, classes=params.fidelity_classes,
                                   variant=params.variant, objective=params.objective,
                                   k_paths=params.k_paths, purification=params.purification,
                                   options=solver_options(params))
    served = {t.request for t in sol.trees}
    for r, req in enumerate(usable.requests):
        if r in served or req.id in reasons:
            continue
        # the plain-tree check is quick; the purifying one (a PAST search over the whole
        # network) can take long on large networks, so it is left to the message below
        why = (None if params.purification
               else _fidelity_miss(usable, r, False, name, "attempts"))
        if why is None and req.min_fidelity is not None:
            why = (f"the class LP ({sol.grid.size} classes, {params.k_paths} shortest paths "
                   f"per request) finds no flow meeting min_fidelity {req.min_fidelity:g}; "
                   "more fidelity_classes or k_paths may find one")
        if why is not None:
            reasons[req.id] = why
    plan = _with_reasons(plan_from_trees(usable, list(sol.trees), method=name,
                                         variant=params.variant, rate_model=HYPERFLOW),
                         reasons)
    stats = {**sol.stats, "variant": params.variant, "objective_kind": params.objective,
             "purification": params.purification,
             "decomposition_gap": sol.lp_objective - sol.objective}
    stats.pop("run_s", None)
    info = SolveInfo(method=name, status=sol.status, objective=sol.objective,
                     bound=math.nan, time_s=time.perf_counter() - start, extra=_plain(stats))
    return plan, info


def method_lp_pyomo(instance: NetworkInstance, params: PyomoLpParams,
                    ) -> tuple[NetworkPlan, SolveInfo]:
    """Pyomo statement of the hyperflow LP over the full hypergraph (small instances)."""
    variant = params.variant
    check_variant(variant)
    refuse_ghz(instance, "lp-pyomo")
    refuse_fidelity(instance, "lp-pyomo")
    start = time.perf_counter()
    instance, reasons = _usable(instance)
    info, flows = solve_pyomo_hyperflow(instance, variant=variant,
                                        options=solver_options(params))
    gamma = swap_gain(link_model(instance).swap_success, variant)
    trees = decompose(instance, gamma, flows["link_rate"], flows["request_rate"],
                      flows["swap_w"], flows["swap_u"], flows["swap_v"], flows["swap_rate"])
    plan = _with_reasons(plan_from_flows(instance, trees, method="lp-pyomo", variant=variant,
                                         **flows), reasons)
    return plan, info.with_(time_s=time.perf_counter() - start,
                            extra={"variant": variant, "trees": len(trees)})


def _tree_method(name: str, instance: NetworkInstance, params: MemoryTreeParams,
                 builder: Any, reserved_builder: Any) -> tuple[NetworkPlan, SolveInfo]:
    variant, resources, purify = params.variant, params.resources, params.purification
    check_variant(variant)
    if name != "iterative" or resources != "memories":
        refuse_ghz(instance, name if resources == "memories"
                   else f"{name} with resources={resources}")
    start = time.perf_counter()
    model = link_model(instance)
    if instance.ghz:
        return _ghz_plan(name, instance, model, purify, start)
    if resources == "memories":
        trees = reserved_builder(instance, model, purify)
        served = {t.request for t in trees}
        reasons = {}
        for r, req in enumerate(instance.requests):
            if r not in served:
                reasons[req.id] = (zero_reason(instance, r) or _fidelity_miss(
                    instance, r, purify, name, resources) or "no tree fits the memories left")
        plan = plan_from_trees(instance, trees, method=name, variant=STEADY_STATE,
                               rate_model=RESERVED, model=model, reasons=reasons)
    else:
        usable, reasons = _usable(instance)
        model = link_model(usable)
        trees = builder(usable, model, purification=purify)
        served = {t.request for t in trees}
        for r, req in enumerate(usable.requests):
            if r not in served and req.id not in reasons:
                why = _fidelity_miss(usable, r, purify, name, resources)
                if why:
                    reasons[req.id] = why
        plan = _with_reasons(plan_from_trees(usable, trees, method=name, variant=variant,
                                             rate_model=LATENCY, model=model), reasons)
    weights = {r.id: r.weight for r in instance.requests}
    objective = sum(weights[rid] * rate for rid, rate in plan.requests)
    return plan, SolveInfo(method=name, status=Status.HEURISTIC, objective=objective,
                           time_s=time.perf_counter() - start,
                           extra={"variant": plan.variant, "resources": resources,
                                  "trees": len(trees)})


def _ghz_plan(name: str, instance: NetworkInstance, model: Any, purify: bool,
              start: float) -> tuple[NetworkPlan, SolveInfo]:
    """Tree copies and fusion-structure copies in turns within the memories
    (:func:`qdcopt.network.ghz.planner.plan_copies`)."""
    trees, structures = plan_copies(instance, model, purify)
    served = {t.request for t in trees}
    reasons = {}
    for r, req in enumerate(instance.requests):
        if r not in served:
            reasons[req.id] = (zero_reason(instance, r) or _fidelity_miss(
                instance, r, purify, name, "memories") or "no tree fits the memories left")
    made = {s.request for s in structures}
    for g, req in enumerate(instance.ghz):
        if g not in made:
            reasons[req.id] = ghz_reason(instance, g)
    plan = plan_with_fusions(instance, trees, structures, method=name, model=model,
                             reasons=reasons)
    weights = {r.id: r.weight for r in (*instance.requests, *instance.ghz)}
    objective = sum(weights[rid] * rate for rid, rate in plan.requests)
    return plan, SolveInfo(method=name, status=Status.HEURISTIC, objective=objective,
                           time_s=time.perf_counter() - start,
                           extra={"variant": plan.variant, "resources": "memories",
                                  "trees": len(trees), "fusion_structures": len(structures)})


def method_iterative(instance: NetworkInstance, params: MemoryTreeParams,
                     ) -> tuple[NetworkPlan, SolveInfo]:
    """Iterative optimal swapping trees (paper 003 §IV-C), in turns of tree copies within
    the memories (``resources="attempts"``: one tree per request on the attempts left)."""
    return _tree_method("iterative", instance, params, iterative_trees, iterative_copies)


def method_greedy(instance: NetworkInstance, params: MemoryTreeParams,
                  ) -> tuple[NetworkPlan, SolveInfo]:
    """Shortest-path balanced trees, one request at a time (copies within the memories,
    or one tree per request on the attempts left)."""
    return _tree_method("greedy", instance, params, greedy_trees, greedy_copies)


def method_lp_calibrated(instance: NetworkInstance, params: CalibratedParams,
                         ) -> tuple[NetworkPlan, SolveInfo]:
    """Reserved-memory plan derated by seeded runs until it delivers ``target`` of its
    promise (:func:`qdcopt.network.lp.calibrate.calibrated_plan`)."""
    refuse_ghz(instance, "lp-calibrated")
    start = time.perf_counter()
    cal = calibrated_plan(instance, rounds=params.rounds, target=params.target,
                          duration=params.duration, seeds=params.seeds, seed=params.seed,
                          k_paths=params.k_paths, per_request=params.per_request,
                          options=solver_options(params))
    weights = np.array([r.weight for r in instance.requests], dtype=float)
    objective = float(sum(weights[t.request] * t.rate for t in cal.result.trees))
    extra = _plain({**cal.result.stats, "calibration_rounds": len(cal.history),
                    "variant": STEADY_STATE, "resources": "memories"})
    extra["promised_by_round"] = [p for p, _ in cal.history]
    extra["delivered_by_round"] = [d for _, d in cal.history]
    # the derated promise is a measurement, not a proof: no bound, heuristic status
    return cal.plan, SolveInfo(method="lp-calibrated", status=Status.HEURISTIC,
                               objective=objective, time_s=time.perf_counter() - start,
                               extra=extra)


SPECS = {spec.name: spec for spec in (
    MethodSpec("lp", method_lp, LpParams,
               "tree copies within every node's memories (MILP over priced trees); "
               "-o resources=attempts: the published hyperflow LP", typed=True),
    MethodSpec("lp-calibrated", method_lp_calibrated, CalibratedParams,
               "lp's tree copies derated by seeded runs until they deliver their promise",
               typed=True),
    MethodSpec("lp-hyperflow", method_lp_hyperflow, HyperflowParams,
               "state/swap hyperflow LP priced to the full-hypergraph optimum", typed=True),
    MethodSpec("lp-pruned", method_lp_pruned, PrunedParams,
               "hyperflow LP on the pruned hypergraph only (a lower bound); fidelity "
               "classes and purification for requests with min_fidelity", typed=True),
    MethodSpec("lp-pyomo", method_lp_pyomo, PyomoLpParams,
               "pyomo statement of the hyperflow LP (small instances)", typed=True),
    MethodSpec("iterative", method_iterative, MemoryTreeParams,
               "optimal swapping trees one request at a time", typed=True),
    MethodSpec("greedy", method_greedy, MemoryTreeParams,
               "shortest-path balanced trees one request at a time", typed=True),
)}
"""Method name → its registration (function, parameter class, summary)."""

METHODS = SPECS
"""Method name → its registration, callable as ``METHODS[name](instance, **options)``
(options checked, then the method gets its parameter object)."""

ALIASES = {
    "lp_hyperflow": "lp-hyperflow",
    "lp_pruned": "lp-pruned",
    "lp_pyomo": "lp-pyomo",
}
"""Former method names → current ones, accepted for one release."""
