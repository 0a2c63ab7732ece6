"""The hyperflow LP with fidelity classes and purification hyperedges (``lp/fidelity.py``).

Checked: the LP value on a two-hop chain against a brute force over class trees (an
independent rounding and enumeration, solved as an LP over trees), the LP without targets
against today's pruned hyperflow LP, ``lp-pruned``'s plans without ``min_fidelity`` byte
for byte against the existing code path, every plan against the validator (B9 included),
the value over nested grids, and ``purification=false`` on a target that needs it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from qdcopt.api import load_instance, save_plan
from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request, swap_noise
from qdcopt.network.lp.decompose import decompose
from qdcopt.network.lp.fidelity import class_grid, solve_fidelity_hyperflow
from qdcopt.network.lp.hyperflow import solve_hyperflow
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model, swap_gain, tree_werner
from qdcopt.network.plan import plan_from_flows
from qdcopt.network.purification import purify_werner, werner_fidelity, werner_parameter
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.validate import tree_fidelities, validate
from qdcopt.params import OptionError

INSTANCES = Path(__file__).resolve().parents[2] / "instances" / "network"


def chain(*, fidelity: float = 0.85, want: float | None = 0.8, q: float = 0.5,
          memories: int = 8) -> NetworkInstance:
    """Two 10-km links of 200 pairs/s (p = 0.025 at 8000 attempts/s per node)."""
    nodes = tuple(Node(id=f"v{i}", x=10.0 * i, y=0.0, memories=memories,
                       generation_time=1e-3, generation_success=1.0, swap_success=q)
                  for i in range(3))
    links = tuple(Link(u=i, v=i + 1, length=10.0, rate=200.0) for i in range(2))
    return NetworkInstance(
        name="chain", nodes=nodes, links=links,
        requests=(Request(id="r", source=0, destination=2, min_fidelity=want),),
        physics=Physics(swap_latency=10e-6, link_fidelity=fidelity))


def with_targets(inst: NetworkInstance, fidelity: float, target: float | None,
                 ) -> NetworkInstance:
    return dataclasses.replace(
        inst, physics=dataclasses.replace(inst.physics, link_fidelity=fidelity),
        requests=tuple(dataclasses.replace(r, min_fidelity=target) for r in inst.requests))


# -- the grid ------------------------------------------------------------------------------
def test_grid_holds_the_uniform_points_the_anchors_and_the_catch_all():
    inst = chain()
    grid = class_grid(inst, 4)
    want = sorted({3 ** (-j / 4) for j in range(1, 5)} | {werner_parameter(0.85),
                                                           werner_parameter(0.8), 0.0},
                  reverse=True)
    assert np.allclose(grid.bounds, want, atol=1e-15)
    # rounding is down: a value between two bounds gets the lower one
    mid = 0.5 * (grid.bounds[1] + grid.bounds[2])
    assert grid.bounds[int(grid.index(mid))] == grid.bounds[2]
    assert int(grid.index(werner_parameter(0.8))) == int(np.argmin(
        abs(grid.bounds - werner_parameter(0.8))))
    for k in (4, 8, 16, 32):
        coarse, fine = class_grid(inst, k).bounds, class_grid(inst, 2 * k).bounds
        assert all(np.any(abs(fine - b) < 1e-12) for b in coarse)  # nested


# -- the chain by brute force ----------------------------------------------------------------
def _round_down(bounds: list[float], w: float) -> float:
    return max(b for b in bounds if b <= w + 1e-12)


def brute_force_value(inst: NetworkInstance, points: int) -> float:
    """Best rate over class trees on the two-hop chain: every tree of swaps and
    purifications, each node's class bound the rounded-down value of its operation at its
    children's bounds, purification success at the bounds; the LP over trees then shares
    the node capacities."""
    bounds = sorted(class_grid(inst, points).bounds.tolist())
    noise = swap_noise(inst)
    gamma = float(swap_gain(np.array([inst.nodes[1].swap_success]), "published")[0])
    w_link = werner_parameter(0.85)
    target = werner_parameter(inst.requests[0].min_fidelity)
    # items per pair: (bound, cost on link 0, cost on link 1) in link pairs per pair made
    items = {(0, 1): {(_round_down(bounds, w_link), 1.0, 0.0)},
             (1, 2): {(_round_down(bounds, w_link), 0.0, 1.0)}, (0, 2): set()}

    def pareto(found: set, cap: float) -> set:
        # a part costing more than the cheapest tree that meets the target found so far
        # cannot be in the cheapest tree (node v1, which pays for both links, binds)
        found = {a for a in found if a[1] + a[2] <= cap * (1 + 1e-9)}
        return {a for a in found if not any(
            b != a and b[0] >= a[0] and b[1] <= a[1] and b[2] <= a[2] for b in found)}

    cap = math.inf
    for _ in range(1000):
        new = {k: set(v) for k, v in items.items()}
        for x in items[(0, 1)]:
            for y in items[(1, 2)]:
                w = _round_down(bounds, x[0] * y[0] * noise)
                new[(0, 2)].add((w, (x[1] + y[1]) / gamma, (x[2] + y[2]) / gamma))
        for pair, found in items.items():
            for x in found:
                for y in found:
                    p, w = purify_werner(x[0], y[0])
                    w = _round_down(bounds, w)
                    if w > max(x[0], y[0]) + 1e-12 and x[0] > 1 / 3 and y[0] > 1 / 3:
                        new[pair].add((w, (x[1] + y[1]) / p, (x[2] + y[2]) / p))
        cap = min([cap] + [a[1] + a[2] for a in new[(0, 2)] if a[0] >= target - 1e-12])
        new = {k: pareto(v, cap) for k, v in new.items()}
        if new == items:
            break
        items = new
    else:
        raise AssertionError("the enumeration did not settle")
    trees = [t for t in items[(0, 2)] if t[0] >= target - 1e-12]
    if not trees:
        return 0.0
    model = link_model(inst)
    p0, p1 = model.success
    cap = model.node_capacity
    # rows: node 0, node 1, node 2, link 0, link 1
    a = np.array([[t[1] / p0, t[1] / p0 + t[2] / p1, t[2] / p1, t[1], t[2]] for t in trees]).T
    b = np.array([cap[0], cap[1], cap[2], model.capacity[0], model.capacity[1]])
    res = linprog(-np.ones(len(trees)), A_ub=a, b_ub=b, bounds=(0, None), method="highs")
    assert res.status == 0
    return float(-res.fun)


@pytest.mark.parametrize("points", [16, 32, 64])
def test_chain_value_is_the_brute_force_over_class_trees(points):
    inst = chain()
    sol = solve_fidelity_hyperflow(inst, classes=points)
    expected = brute_force_value(inst, points)
    assert sol.lp_objective == pytest.approx(expected, rel=1e-6)
    assert sol.objective == pytest.approx(sol.lp_objective, rel=1e-6)


def test_chain_by_hand_needs_purification():
    """One swap of two link pairs gives w = 0.8² · 0.9736 = 0.623 < werner(0.8) = 0.7333:
    every tree purifies.  Node v1 binds: 8000 attempts/s at p = 0.025 make 200 link pairs/s
    over both links, so the LP's value is 200 / (link pairs per delivered pair) of the
    cheapest class tree."""
    inst = chain()
    assert werner_parameter(0.85) ** 2 * swap_noise(inst) < werner_parameter(0.8)
    sol = solve_fidelity_hyperflow(inst, classes=32)
    assert sol.lp_objective > 0
    for tree in sol.trees:
        assert tree.purifies
    used = sum(nd.link_rate for t in sol.trees for nd in t.nodes if nd.is_leaf)
    # the trees' own successes are at least the bounds', so they draw at most 200
    assert used <= 200.0 * (1 + 1e-9)
    # without the 2q/3 gain and purification, a plain swap would give 200/2 · 1/3 pairs/s
    assert sol.lp_objective < 200.0 / 2.0 / 3.0


# -- without targets: today's LP -------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2])
def test_without_targets_the_class_lp_is_todays_pruned_lp(seed):
    inst = with_targets(waxman_instance(20, density=0.2, requests=4, seed=seed), 0.9, None)
    today = solve_hyperflow(inst, pricing=False, k_paths=5)
    sol = solve_fidelity_hyperflow(inst, classes=8, k_paths=5)
    assert today.objective > 0
    assert sol.lp_objective == pytest.approx(today.objective, rel=1e-7)
    plain = dataclasses.replace(inst, physics=dataclasses.replace(inst.physics,
                                                                  link_fidelity=None))
    assert solve_fidelity_hyperflow(plain, classes=4, k_paths=5).lp_objective == \
        pytest.approx(today.objective, rel=1e-7)


def test_without_targets_the_diamond_keeps_its_hand_value():
    inst = load_instance(INSTANCES / "diamond.toml")
    assert solve_fidelity_hyperflow(inst, classes=4).lp_objective == pytest.approx(100 / 3)


@pytest.mark.parametrize("name", ["diamond.toml", "waxman100.toml"])
def test_lp_pruned_without_min_fidelity_writes_todays_plan_byte_for_byte(name, tmp_path):
    inst = load_instance(INSTANCES / name)
    plan, _ = METHODS["lp-pruned"](inst)
    # the code path as it was: the pruned LP, its decomposition, its flows
    sol = solve_hyperflow(inst, variant="published", pricing=False, k_paths=10)
    gamma = swap_gain(link_model(inst).swap_success, "published")
    trees = decompose(inst, gamma, sol.link_rate, sol.request_rate, sol.swap_w, sol.swap_u,
                      sol.swap_v, sol.swap_rate)
    before = plan_from_flows(inst, trees, method="lp-pruned", variant="published",
                             link_rate=sol.link_rate, request_rate=sol.request_rate,
                             swap_w=sol.swap_w, swap_u=sol.swap_u, swap_v=sol.swap_v,
                             swap_rate=sol.swap_rate)
    save_plan(plan, tmp_path / "now")
    save_plan(before, tmp_path / "before")
    files = sorted(p.name for p in (tmp_path / "now").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "before").iterdir())
    for f in files:
        assert (tmp_path / "now" / f).read_bytes() == (tmp_path / "before" / f).read_bytes(), f


# -- plans -----------------------------------------------------------------------------------
def _check(inst: NetworkInstance, plan) -> None:
    report = validate(inst, plan)
    assert report.ok, report.violations
    fids = tree_fidelities(inst, plan)
    for tree in plan.trees:
        req = inst.requests[inst.request_index[tree.request]]
        if req.min_fidelity is not None:
            assert fids[tree.tree] >= req.min_fidelity - 1e-9


@pytest.mark.parametrize("points", [8, 16, 64])
def test_chain_plans_validate_and_purify(points):
    inst = chain()
    plan, info = METHODS["lp-pruned"](inst, fidelity_classes=points)
    _check(inst, plan)
    rate = dict(plan.requests)["r"]
    assert rate == pytest.approx(info.objective)
    assert info.extra["lp_objective"] == pytest.approx(rate, rel=1e-6)
    if rate > 0:
        assert plan.purifications and info.status == "restricted"
        assert math.isnan(info.bound)


@pytest.mark.parametrize(("seed", "objective"), [(3, "sum"), (4, "sum"), (3, "maxmin")])
def test_waxman_plans_validate_b9_included(seed, objective):
    inst = with_targets(waxman_instance(25, density=0.2, requests=4, seed=seed), 0.95, 0.88)
    plan, info = METHODS["lp-pruned"](inst, objective=objective, k_paths=4)
    _check(inst, plan)
    assert info.objective > 0
    assert info.objective == pytest.approx(info.extra["lp_objective"], rel=1e-6)
    # a tree's fidelity is at least the class bound it stood for: its root meets the target
    for tree in plan.trees:
        assert tree.nodes[0].u != tree.nodes[0].v
    # without purification the LP can only lose what it maximises first: the total for
    # "sum", the fair level for "maxmin" (whose total, maximised second at that level, may
    # then rise: a request no plain tree serves sets the level to 0 and frees the rest)
    _, plain = METHODS["lp-pruned"](inst, objective=objective, k_paths=4, purification=False)
    key = "lp_objective" if objective == "sum" else "maxmin_level"
    assert plain.extra[key] <= info.extra[key] * (1 + 1e-7) + 1e-9


def test_mixed_targets_serve_the_untargeted_request_from_any_class():
    inst = waxman_instance(20, density=0.2, requests=3, seed=5)
    inst = dataclasses.replace(
        inst, physics=dataclasses.replace(inst.physics, link_fidelity=0.95),
        requests=(dataclasses.replace(inst.requests[0], min_fidelity=0.9),
                  *inst.requests[1:]))
    plan, _ = METHODS["lp-pruned"](inst, k_paths=4)
    _check(inst, plan)
    rates = dict(plan.requests)
    assert all(rates[r.id] > 0 for r in inst.requests[1:])


def test_purification_false_on_a_target_that_needs_it_gives_rate_zero_and_a_reason():
    inst = chain()
    sol = solve_fidelity_hyperflow(inst, classes=64, purification=False)
    assert sol.lp_objective == pytest.approx(0.0, abs=1e-9) and not sol.trees
    plan, _ = METHODS["lp-pruned"](inst, purification=False)
    assert dict(plan.requests)["r"] == 0.0
    assert "without purification" in plan.reason("r")
    assert validate(inst, plan).ok
    # a target a plain swap meets is served without purification
    easy = chain(want=0.7)
    assert werner_fidelity(werner_parameter(0.85) ** 2 * swap_noise(easy)) >= 0.7
    plan, _ = METHODS["lp-pruned"](easy, purification=False)
    assert dict(plan.requests)["r"] > 0 and not plan.purifications


# -- the grid's resolution -------------------------------------------------------------------
def test_value_does_not_fall_over_nested_grids_and_settles():
    inst = chain()
    values = [solve_fidelity_hyperflow(inst, classes=k).lp_objective
              for k in (4, 8, 16, 32, 64, 128, 256)]
    assert all(b >= a * (1 - 1e-9) for a, b in itertools.pairwise(values))
    assert values[0] == pytest.approx(0.0, abs=1e-9) and values[-1] > 0
    assert values[-1] - values[-2] <= 0.01 * values[-1]


def test_every_class_bound_is_a_lower_bound_of_the_trees_pairs():
    inst = chain()
    sol = solve_fidelity_hyperflow(inst, classes=32)
    target = werner_parameter(0.8)
    for tree in sol.trees:
        w, success = tree_werner(tree.nodes, inst)
        assert w[0] >= target - 1e-12
        assert all(0 < p <= 1 for p in success)


# -- refusals and options ----------------------------------------------------------------------
def test_lp_hyperflow_still_refuses_and_names_lp_pruned():
    with pytest.raises(ValueError, match=r"requests\[0\]\.min_fidelity: lp-hyperflow .*"
                                         r"lp-pruned \(fidelity classes\)"):
        METHODS["lp-hyperflow"](chain())


def test_fidelity_classes_must_be_a_positive_integer():
    with pytest.raises(OptionError, match="fidelity_classes"):
        METHODS["lp-pruned"](chain(), fidelity_classes=0)


def test_automatic_grid_is_the_finest_within_the_column_budget():
    from qdcopt.network.lp.fidelity import AUTO_POINTS, auto_model, build_model
    from qdcopt.network.physics import link_model, swap_gain

    inst = chain()
    gamma = swap_gain(link_model(inst).swap_success, "published")
    sizes = {k: len(build_model(inst, class_grid(inst, k), gamma).cost) for k in AUTO_POINTS}
    for budget in (sizes[16] - 1, sizes[32], sizes[64] + 1, 10 ** 9):
        grid, mdl = auto_model(inst, gamma, budget=budget)
        fits = [k for k in AUTO_POINTS if sizes[k] <= budget]
        assert grid.points == (max(fits) if fits else AUTO_POINTS[0])
        assert len(mdl.cost) == sizes[grid.points]
    # the default takes the automatic grid, and a finer nested grid never serves less
    _, auto = METHODS["lp-pruned"](inst)
    _, coarse = METHODS["lp-pruned"](inst, fidelity_classes=16)
    assert auto.extra["grid_points"] > 16
    assert auto.extra["lp_objective"] >= coarse.extra["lp_objective"] * (1 - 1e-9)
