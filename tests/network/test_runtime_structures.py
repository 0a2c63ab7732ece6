"""Executing plans that purify: trees run as planned, purification succeeding with its
probability and consuming its pairs, delivered fidelity that of the plan."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from test_purification_plans import chain  # the shared two-hop chain with fidelities

from qdcopt.network.methods import METHODS
from qdcopt.network.physics import PURIFY, SwapTree, TreeNode, link_model
from qdcopt.network.plan import RESERVED, plan_from_trees
from qdcopt.network.purification import purify_werner, werner_fidelity, werner_parameter
from qdcopt.network.resources import slot_link_rate
from qdcopt.network.runtime import RuntimeConfig, run_once, simulate_plan
from qdcopt.network.validate import tree_fidelities, validate

QUIET = {"depolarizing_rate": 0.0, "dephasing_rate": 0.0}
STILL = {"depolarizing_rate": 0.0}
"""Memories that keep their pairs; the swaps' dephasing stays the instance's."""


def test_delivered_fidelity_is_the_plans_when_memories_do_not_decay():
    inst = chain(want=0.8)
    plan, _ = METHODS["iterative"](inst)
    assert plan.purifications
    want = tree_fidelities(inst, plan)
    # the swaps dephase as the planner counts them: the fidelity is the plan's exactly
    cfg = RuntimeConfig(policy="fixed", duration=20.0, **STILL)
    res = simulate_plan(inst, plan, cfg, seeds=2)
    for run in res.runs:
        assert run.delivered[0] > 20
        assert run.fidelities[0] == pytest.approx([min(want.values())] * run.delivered[0],
                                                  rel=1e-12)


def _one_link_purification():
    # v0–v1 purified from two link pairs: one round of DEJMPS on two 0.85 pairs
    inst = chain(hops=1, want=0.85)
    nodes = (TreeNode(u=0, v=1, swap_at=PURIFY, left=1, right=2),
             TreeNode(u=0, v=1), TreeNode(u=0, v=1))
    model = link_model(inst)
    g = float(slot_link_rate(inst, model)[0])
    leaves = tuple(dataclasses.replace(nd, link_rate=g) if nd.is_leaf else nd for nd in nodes)
    from qdcopt.network.resources import reserved_latency

    tree = SwapTree(request=0, rate=1.0 / reserved_latency(inst, model, leaves), nodes=leaves)
    plan = plan_from_trees(inst, [tree], method="hand", variant="steady_state",
                           rate_model=RESERVED, model=model)
    assert validate(inst, plan).ok
    return inst, plan


def test_a_purification_succeeds_with_its_probability_and_consumes_two_pairs():
    inst, plan = _one_link_purification()
    p, w = purify_werner(werner_parameter(0.85), werner_parameter(0.85))
    run = run_once(inst, plan, RuntimeConfig(policy="fixed", duration=150.0, **QUIET), seed=3)
    rounds = run.generated // 2  # every round takes the two pairs the leaves made
    assert rounds > 2000
    share = run.delivered[0] / rounds
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / rounds)
    assert set(np.round(run.fidelities[0], 12)) == {round(werner_fidelity(w), 12)}


def test_runs_are_seeded_and_refuse_adaptive_policies():
    inst = chain(want=0.8)
    plan, _ = METHODS["iterative"](inst)
    cfg = RuntimeConfig(policy="fixed", duration=5.0)
    a, b = run_once(inst, plan, cfg, seed=4), run_once(inst, plan, cfg, seed=4)
    assert a.delivered.tolist() == b.delivered.tolist() and a.fidelities == b.fidelities
    assert run_once(inst, plan, cfg, seed=5).fidelities != a.fidelities
    with pytest.raises(ValueError, match="--policy fixed"):
        run_once(inst, plan, dataclasses.replace(cfg, policy="scoring"), seed=0)


def test_stored_pairs_decay_below_the_plan():
    # with memories that decay, the delivered fidelity falls below the plan's (the plan
    # counts fresh-pair fidelity only): the run reports it, the plan does not hide it
    inst = chain(want=0.8)
    plan, _ = METHODS["iterative"](inst)
    planned = min(tree_fidelities(inst, plan).values())
    run = run_once(inst, plan, RuntimeConfig(policy="fixed", duration=20.0,
                                             depolarizing_rate=1.0, dephasing_rate=0.0),
                   seed=1)
    assert run.delivered[0] > 0
    assert max(run.fidelities[0]) < planned


@pytest.mark.parametrize("policy", ["fixed", "oldest"])
def test_route_executor_delivers_the_planned_fidelity_of_plain_trees(policy):
    # a plan without purification runs on the route executor; its swaps dephase as the
    # planner counts them, so with memories that keep their pairs every delivered pair
    # has the tree's planned fidelity: (1 + 3·w^4·n^3)/4 over four links of 0.95
    inst = chain(hops=4, fidelity=0.95, want=None)
    plan, _ = METHODS["iterative"](inst)
    assert not plan.purifications
    want = tree_fidelities(inst, plan)
    noise = (1 - 4 * (1 - math.exp(-1000 * 10e-6)) / 3) ** 2
    assert min(want.values()) == pytest.approx(
        (1 + 3 * werner_parameter(0.95) ** 4 * noise ** 3) / 4, rel=1e-12)
    cfg = RuntimeConfig(policy=policy, duration=5.0, **STILL)
    run = simulate_plan(inst, plan, cfg, seeds=1).runs[0]
    assert run.delivered[0] > 20
    assert run.fidelities[0] == pytest.approx([min(want.values())] * run.delivered[0],
                                              rel=1e-9)


def test_simulation_reports_the_plans_fidelity_beside_the_delivered_one():
    inst = chain(want=0.8)
    plan, _ = METHODS["iterative"](inst)
    res = simulate_plan(inst, plan, RuntimeConfig(policy="fixed", duration=5.0, **STILL),
                        seeds=1)
    row = res.to_frame().set_index("request")
    want = tree_fidelities(inst, plan)
    assert row.loc["r", "promised_fidelity"] == pytest.approx(min(want.values()), rel=1e-12)
    assert row.loc["r", "fidelity_mean"] == pytest.approx(row.loc["r", "promised_fidelity"],
                                                          rel=1e-12)
    assert math.isnan(row.loc["total", "promised_fidelity"])
    # an instance that models no fidelity promises none
    plain = chain(fidelity=None, want=None)
    res = simulate_plan(plain, METHODS["iterative"](plain)[0],
                        RuntimeConfig(policy="fixed", duration=2.0), seeds=1)
    assert math.isnan(res.to_frame().set_index("request").loc["r", "promised_fidelity"])
