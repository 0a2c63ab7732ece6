"""Plans the network delivers: the reserved-memory model in the planner, the validator and
the runtime (``qdcopt/network/resources.py``, ``lp/reserved.py``)."""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import product

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_runtime import path_instance  # the shared hand-checkable path

from qdcopt.engine.stats import mean_ci
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import SwapTree, TreeNode, link_model
from qdcopt.network.plan import RESERVED, plan_from_tables, plan_from_trees
from qdcopt.network.resources import (
    both_ready,
    memory_use,
    path_tree,
    reserved_latency,
    slot_link_rate,
    tree_slots,
)
from qdcopt.network.runtime import RuntimeConfig, run_once, simulate_plan
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.validate import validate


def _delivered(inst: NetworkInstance, plan, config: RuntimeConfig, seeds: int):
    sim = simulate_plan(inst, plan, config, seeds=seeds)
    rates = [float(r.delivered.sum()) / config.duration for r in sim.runs]
    return rates, sim


# -- the latency of one copy, by hand ---------------------------------------------------
def test_exact_maximum_of_two_waits_is_eq1_for_equal_children():
    assert both_ready(2.0, 2.0) == pytest.approx(3.0)  # eq. 1's 3/2
    # unequal: a + b − ab/(a+b); eq. 1 would say 1.5 · 10 = 15
    assert both_ready(10.0, 1.0) == pytest.approx(11.0 - 10.0 / 11.0)
    assert math.isinf(both_ready(math.inf, 1.0))


def test_two_hop_copy_by_hand():
    # 2 memories at 1 ms per node, link rate 100 at full use: p = 100/2000 = 0.05, so a
    # link between two attempting memories makes 0.05 · 1000 = 50 pairs/s
    inst = path_instance(2, memories=2, link_rate=100.0, length=10.0, q=0.5)
    model = link_model(inst)
    assert slot_link_rate(inst, model) == pytest.approx([50.0, 50.0])
    tree = path_tree(inst, model, 0, [0, 1, 2], slot_link_rate(inst, model))
    extra = 10e-6 + 10.0 / inst.physics.classical_speed
    assert 1.0 / tree.rate == pytest.approx((1.5 / 50 + extra) / 0.5)
    assert tree_slots(tree, 3).tolist() == [1, 2, 1]
    plan, info = METHODS["lp"](inst)
    # the middle node holds one copy's two link ends: one copy, certified optimal
    assert len(plan.trees) == 1 and info.status == "optimal"
    assert info.objective == pytest.approx(tree.rate) and info.bound == pytest.approx(tree.rate)


def test_one_memory_middle_node_gets_no_tree_and_a_reason():
    inst = path_instance(2, memories=[2, 1, 2], link_rate=100.0)
    plan, info = METHODS["lp"](inst)
    assert plan.trees == () and info.objective == 0.0
    assert "no swap node" in plan.reason("r") and "v1" in plan.reason("r")
    report = validate(inst, plan)
    assert report.ok and report.metrics["zero_rate_reasons"]["r"] == plan.reason("r")
    # the reason survives the CSV round trip
    back = plan_from_tables(plan.to_tables(), {"method": plan.method,
                                               "variant": plan.variant,
                                               "rate_model": plan.rate_model})
    assert back.reasons == plan.reasons
    # the attempt-only LP plans through the one-memory node; the runtime delivers nothing
    att, _ = METHODS["lp"](inst, resources="attempts")
    assert dict(att.requests)["r"] > 0
    run = run_once(inst, att, RuntimeConfig(policy="fixed", duration=5.0), seed=0)
    assert run.delivered.sum() == 0


def test_disconnected_request_gets_rate_zero_and_says_so():
    inst = path_instance(3, memories=2, link_rate=100.0)
    inst = replace(inst, links=inst.links[:1] + inst.links[2:])
    plan, _ = METHODS["lp"](inst)
    assert plan.trees == () and plan.reason("r").startswith("no path")


# -- chains deliver their promise -------------------------------------------------------
@pytest.mark.parametrize("hops", [2, 4, 8])
def test_chains_deliver_the_promise_under_the_fixed_policy(hops):
    inst = path_instance(hops, memories=2, link_rate=100.0, length=10.0, q=0.5)
    plan, _ = METHODS["lp"](inst)
    promised = dict(plan.requests)["r"]
    duration = 300.0 / promised  # about 300 deliveries per run
    rates, _ = _delivered(inst, plan, RuntimeConfig(policy="fixed", duration=duration,
                                                    waits="exponential"), seeds=5)
    ci = mean_ci(rates, 0.99)
    mean, low, high = ci.mean, ci.low, ci.high
    if hops <= 4:
        assert low <= promised <= high
    # deeper trees: subtree latencies vary less than the exponential the model assumes,
    # so the exact-maximum latency is conservative; a run delivers at most 15 % more
    assert 0.95 * promised <= mean <= 1.15 * promised


# -- validator: the memory rule, broken in exactly one way ------------------------------
def _three_node_plan(middle_memories: int, middle_gen: float):
    inst = path_instance(2, memories=[2, middle_memories, 2], link_rate=100.0)
    nodes = list(inst.nodes)
    nodes[1] = replace(nodes[1], generation_time=middle_gen)
    inst = replace(inst, nodes=tuple(nodes))
    model = link_model(inst)
    tree = path_tree(inst, model, 0, [0, 1, 2], slot_link_rate(inst, model))
    return inst, plan_from_trees(inst, [tree], method="hand", variant="steady_state",
                                 rate_model=RESERVED)


def test_b8_a_swap_at_a_one_memory_node():
    # one memory at half the generation time keeps the node's attempts within C
    # (no B1/B2), but a swap needs both link ends held at once
    inst, plan = _three_node_plan(1, 0.5e-3)
    codes = {v.code for v in validate(inst, plan).violations}
    assert codes == {"B8-MEMORY"}
    inst, plan = _three_node_plan(2, 1e-3)
    assert validate(inst, plan).ok


def test_b8_a_leaf_faster_than_its_memories_attempt():
    inst = path_instance(2, memories=4, link_rate=200.0)
    model = link_model(inst)
    tree = path_tree(inst, model, 0, [0, 1, 2], slot_link_rate(inst, model))
    fast = tuple(TreeNode(u=nd.u, v=nd.v, link_rate=nd.link_rate * 1.5) if nd.is_leaf
                 else nd for nd in tree.nodes)
    tree = SwapTree(request=0, rate=tree.rate, nodes=fast)
    plan = plan_from_trees(inst, [tree], method="hand", variant="steady_state",
                           rate_model=RESERVED)
    codes = {v.code for v in validate(inst, plan).violations}
    assert codes == {"B8-MEMORY"}


def test_b7_a_reserved_rate_above_one_over_latency():
    inst, plan = _three_node_plan(2, 1e-3)
    t = plan.trees[0]
    inflated = replace(plan, trees=(replace(t, rate=t.rate * 1.01),),
                       requests=(("r", t.rate * 1.01),))
    codes = {v.code for v in validate(inst, inflated).violations}
    assert "B7-TREE-LATENCY" in codes and "B8-MEMORY" not in codes


# -- the planner -------------------------------------------------------------------------
def _brute_force(inst: NetworkInstance, columns: list[SwapTree], cap: int) -> float:
    """Best Σ rate over integer copies of the given trees within every node's memories."""
    mem = np.array([nd.memories for nd in inst.nodes])
    slots = [tree_slots(t, inst.n) for t in columns]
    best = 0.0
    for counts in product(range(cap + 1), repeat=len(columns)):
        use = sum((c * s for c, s in zip(counts, slots, strict=True)),
                  np.zeros(inst.n, dtype=np.int64))
        if np.all(use <= mem):
            best = max(best, sum(c * t.rate for c, t in zip(counts, columns, strict=True)))
    return best


def test_plan_is_the_integer_optimum_over_its_trees_on_a_small_network():
    inst = waxman_instance(7, density=0.5, requests=2, seed=3, memories=3)
    plan, info = METHODS["lp"](inst)
    model = link_model(inst)
    report = validate(inst, plan)
    assert report.ok
    distinct = {}
    for t in plan.trees:
        distinct.setdefault(tuple((n.u, n.v, n.swap_at) for n in t.nodes), t)
    # rebuild the chosen trees and check no integer mix of them does better
    idx = inst.node_index
    trees = [SwapTree(request=inst.request_index[t.request], rate=t.rate,
                      nodes=tuple(TreeNode(u=idx[n.u], v=idx[n.v],
                                           swap_at=idx[n.swap_at] if n.swap_at else -1,
                                           left=n.left, right=n.right,
                                           link_rate=n.link_rate) for n in t.nodes))
             for t in distinct.values()]
    assert _brute_force(inst, trees, 3) <= info.objective * (1 + 1e-9)
    assert info.bound >= info.objective * (1 - 1e-9)
    for t in trees:
        assert t.rate == pytest.approx(1.0 / reserved_latency(inst, model, t.nodes))
    assert np.all(memory_use(trees, inst.n) <= 3 * len(plan.trees))


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(5, 8), seed=st.integers(0, 10_000))
def test_default_plan_delivers_its_promise_with_plentiful_memories(n, seed):
    inst = waxman_instance(n, density=0.5, requests=2, seed=seed, memories=8)
    plan, _ = METHODS["lp"](inst)
    promised = sum(rate for _, rate in plan.requests)
    if promised == 0:
        return
    assert validate(inst, plan).ok
    duration = min(60.0, 200.0 / promised)
    config = RuntimeConfig(policy="fixed", duration=duration, waits="exponential")
    rates, sim = _delivered(inst, plan, config, seeds=4)
    ci = mean_ci(rates, 0.99)
    low, high = ci.low, ci.high
    assert 0.85 * promised <= high and low <= 1.15 * promised
    attempts, _ = METHODS["lp"](inst, resources="attempts", variant="steady_state")
    assert low <= sum(rate for _, rate in attempts.requests) * 1.15
    mem = np.array([nd.memories for nd in inst.nodes])
    for run in sim.runs:
        assert np.all(run.peak_memory <= mem)


# -- calibration --------------------------------------------------------------------------
def test_calibration_derates_requests_that_deliver_less_and_stays_valid():
    from qdcopt.network.lp.calibrate import calibrated_plan

    inst = path_instance(8, memories=2, link_rate=100.0, length=10.0, q=0.5)
    # a 1 s run of a 1.8 pairs/s tree with this seed delivers nothing: the loop derates
    # (halving at most per round) and plans again
    cal = calibrated_plan(inst, rounds=2, target=0.99, duration=1.0, seeds=1, seed=1)
    promised = [p for p, _ in cal.history]
    assert promised == pytest.approx([promised[0], promised[0] / 2, promised[0] / 4])
    assert validate(inst, cal.plan).ok
    # a long run meets the target at once: one round, the model's promise kept
    cal = calibrated_plan(inst, rounds=2, target=0.9, duration=200.0, seeds=1)
    assert len(cal.history) == 1
    plan, _ = METHODS["lp"](inst)
    assert cal.history[0][0] == pytest.approx(dict(plan.requests)["r"])


def test_compare_holds_bounds_within_one_resource_model():
    from qdcopt.compare import run_comparison
    from qdcopt.network.instance import load_network

    inst = load_network("instances/network/diamond.toml")
    result = run_comparison(inst, ["lp", "iterative", "lp-hyperflow"])
    assert not result.problems
    table = result.table.set_index("method")
    # the attempt-only LP promises more (100/3) than reserved memories allow (33.244), and
    # each plan's gap is to the bound of its own model
    assert table.loc["lp-hyperflow", "objective"] > table.loc["lp", "bound"]
    assert table.loc["lp", "gap_to_best_bound"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["lp-hyperflow", "gap_to_best_bound"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["iterative", "objective"] <= table.loc["lp", "bound"] * (1 + 1e-9)
