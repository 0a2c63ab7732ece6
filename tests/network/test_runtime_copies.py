"""Copies of one tree (the reserved-memory planner's identical rows) run as one tree with
``copies`` memories per link end: grouping, memory bounds, unchanged runs for one copy,
and a choice for the adaptive policies."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_runtime import _replay_checks, balanced_plan, path_instance

from qdcopt.engine import mean_ci
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model
from qdcopt.network.plan import LATENCY, plan_from_trees
from qdcopt.network.runtime import POLICIES, RuntimeConfig, run_once
from qdcopt.network.runtime.executor import Execution
from qdcopt.network.runtime.routes import ExecTree, exec_trees
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.trees.builders import SwapTree, TreeNode, balanced_tree, iterative_trees

GREEDY = ("swap_asap", "oldest", "youngest", "longest_hop", "shortest_hop")
# the policies that execute the plan's trees (the connectionless baseline has no plan)
PLAN_POLICIES = [p for p in POLICIES if p != "connectionless"]


def _balanced(instance: NetworkInstance, g: float) -> SwapTree:
    """The balanced tree over a path, its leaves drawing ``g``."""
    nodes = tuple(TreeNode(u=nd.u, v=nd.v, swap_at=nd.swap_at, left=nd.left, right=nd.right,
                           link_rate=g if nd.is_leaf else 0.0)
                  for nd in balanced_tree(list(range(instance.n))))
    return SwapTree(request=0, rate=1.0, nodes=nodes)


def _plan(instance: NetworkInstance, trees: list[SwapTree]):
    return plan_from_trees(instance, trees, method="hand", variant="published",
                           rate_model=LATENCY)


def _copies_plan(instance: NetworkInstance, g: float, copies: int):
    """``copies`` identical rows of the balanced tree over a path, leaves drawing ``g``."""
    return _plan(instance, [_balanced(instance, g)] * copies)


def _trace_hash(run) -> str:
    return hashlib.sha256(repr(run.trace).encode()).hexdigest()


def _link_end_replay(inst: NetworkInstance, run, trees: list[ExecTree]) -> int:
    """Replay the trace counting the pairs each tree holds at each link end; check that
    none ever holds more than its copies.  Returns the largest count seen.

    A pair ``[i, j]`` of tree ``k`` holds ``(k, i, right)`` and ``(k, j, left)`` from its
    heralding until it is delivered or discarded; a product keeps its inputs' outer ends;
    a swap frees the inputs' inner ends after the swap latency, and a failed swap the
    outer ends once the outcome reaches them.
    """
    model = link_model(inst)
    d = np.where(np.isfinite(model.classical_distance), model.classical_distance, 0.0)
    ts, speed = inst.physics.swap_latency, inst.physics.classical_speed
    held: dict[tuple[int, int, bool], int] = {}
    ends: dict[int, tuple[int, int, int]] = {}  # pair -> (tree, i, j)
    later: list[tuple[float, tuple[int, int, bool]]] = []
    most = 0

    def take(end: tuple[int, int, bool]) -> None:
        nonlocal most
        held[end] = held.get(end, 0) + 1
        most = max(most, held[end])
        assert held[end] <= trees[end[0]].copies, f"link end {end} over-used"

    def free(end: tuple[int, int, bool]) -> None:
        held[end] -= 1
        assert held[end] >= 0

    for row in run.trace:
        now, kind = row[0], row[1]
        for _, end in [x for x in later if x[0] <= now + 1e-12]:
            free(end)
        later = [x for x in later if x[0] > now + 1e-12]
        if kind == "herald":
            pid, k, i, j = row[2:6]
            ends[pid] = (k, i, j)
            take((k, i, True))
            take((k, j, False))
        elif kind == "swap":
            prod, k, i, m, j = row[4:9]
            later += [(now + ts, (k, m, False)), (now + ts, (k, m, True))]
            if prod >= 0:
                ends[prod] = (k, i, j)
            else:
                route = trees[k].route
                x = route[m]
                delay = ts + max(d[x, route[i]], d[x, route[j]]) / speed
                later += [(now + delay, (k, i, True)), (now + delay, (k, j, False))]
        elif kind in ("deliver", "discard"):
            k, i, j = ends[row[2]]
            free((k, i, True))
            free((k, j, False))
    return most


# -- grouping --------------------------------------------------------------------------
def test_identical_rows_become_one_tree_with_copies():
    inst = path_instance(4, memories=[3] + [6] * 3 + [3])
    plan = _copies_plan(inst, 100.0, 3)
    [tree] = exec_trees(inst, plan, link_model(inst))
    [single] = exec_trees(inst, _copies_plan(inst, 100.0, 1), link_model(inst))
    assert tree.copies == 3 and single.copies == 1
    assert tree.rate == pytest.approx(3 * single.rate)
    assert tree.latency == single.latency  # one copy's eq.-1 latency: the cut-offs
    assert tree.index == 0
    cfg = RuntimeConfig(policy="fixed")
    grouped = Execution(inst, link_model(inst), [tree], cfg, 0)
    one = Execution(inst, link_model(inst), [single], cfg, 0)
    assert grouped.root_cutoff == one.root_cutoff
    assert [len(g) for g in grouped.leaf_gen[0]] == [3] * 4  # one generator per memory pair


def test_rows_that_differ_stay_apart():
    inst = path_instance(2, memories=4)
    a, b = _balanced(inst, 100.0), _balanced(inst, 50.0)  # other leaf rates
    trees = exec_trees(inst, _plan(inst, [a, b, a]), link_model(inst))
    assert [(t.index, t.copies) for t in trees] == [(0, 2), (1, 1)]


# -- the memory model -------------------------------------------------------------------
def test_two_copies_deliver_at_least_twice_one_copy():
    # one copy on v0–v1–v2 reserves one memory per link end (1, 2, 1); two copies twice
    # that.  Executed as two separate trees they deliver twice one copy; executed as one
    # tree a link pair of either copy may meet the other copy's partner, so they deliver
    # at least that (fewer waits for a partner).
    one = path_instance(2, memories=[1, 2, 1])
    two = path_instance(2, memories=[2, 4, 2])
    cfg = RuntimeConfig(policy="fixed", duration=10.0)

    def rate(inst, trees):
        model = link_model(inst)
        return mean_ci([Execution(inst, model, trees, cfg, s).run().delivered.sum()
                        / cfg.duration for s in range(8)])

    [single] = exec_trees(one, _copies_plan(one, 100.0, 1), link_model(one))
    [tree] = exec_trees(two, _copies_plan(two, 100.0, 2), link_model(two))
    assert tree.copies == 2
    apart = [replace(tree, copies=1, rate=single.rate),
             replace(tree, copies=1, rate=single.rate, index=1)]
    r1, grouped, separate = rate(one, [single]), rate(two, [tree]), rate(two, apart)
    slack = (r1.high - r1.low) + (separate.high - separate.low) / 2
    assert abs(separate.mean - 2 * r1.mean) <= slack
    assert grouped.high >= 2 * r1.mean
    assert grouped.low >= separate.low


@pytest.mark.parametrize("policy", [*PLAN_POLICIES, "connectionless"])
def test_copies_never_hold_more_pairs_per_link_end_than_reserved(policy):
    inst = path_instance(4, memories=[2] + [4] * 3 + [2], q=0.5)
    plan = _copies_plan(inst, 150.0, 2)
    trees = exec_trees(inst, plan, link_model(inst))
    cfg = RuntimeConfig(policy=policy, duration=2.0, trace=True, connectionless="plan-routes")
    run = run_once(inst, plan, cfg, 1)
    assert run.delivered.sum() > 0
    assert _link_end_replay(inst, run, trees) == 2  # both memories of a link end in use
    _replay_checks(inst, run, trees)
    assert (run.peak_memory <= np.array([nd.memories for nd in inst.nodes])).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(6, 10), seed=st.integers(0, 10_000),
       policy=st.sampled_from(PLAN_POLICIES), early=st.booleans(),
       memories=st.integers(2, 6))
def test_reserved_plans_keep_within_the_reservation(n, seed, policy, early, memories):
    inst = waxman_instance(n, density=0.4, requests=2, seed=seed, memories=memories)
    plan, _ = METHODS["lp"](inst)
    trees = exec_trees(inst, plan, link_model(inst))
    cfg = RuntimeConfig(policy=policy, early_discard=early, duration=0.2, trace=True)
    run = run_once(inst, plan, cfg, seed=seed)
    _replay_checks(inst, run, trees)
    _link_end_replay(inst, run, trees)
    assert (run.peak_memory <= np.array([nd.memories for nd in inst.nodes])).all()


# -- one copy: the runs of before ---------------------------------------------------------
def test_one_copy_runs_exactly_as_before():
    # digests of traces made before copies were grouped (commit 8cdd3dd): a tree of one
    # copy must run exactly as it did, the stream and pre-distribution included
    inst = waxman_instance(15, density=0.25, requests=4, seed=2)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    assert all(t.copies == 1 for t in exec_trees(inst, plan, link_model(inst)))
    expected = {
        "fixed": "b109360a75f0a413506e8a206a2ec72ae48f994a2f7e3e290f5b5ca78d73646f",
        "oldest": "e8632e5e5378c378d7b79d70ae6bc8bacc4324667b4f4807bd607b271c291b35",
        "centralized": "1c8ec23c28a76ae8e38eead64cb93e3875395b1cc60bc06fc89708672ee54d60",
    }
    for policy, digest in expected.items():
        run = run_once(inst, plan, RuntimeConfig(policy=policy, duration=0.5, trace=True), 0)
        assert _trace_hash(run) == digest, policy
    stream = RuntimeConfig(policy="oldest", duration=1.0, trace=True,
                           predistribution="continuous", predist_warmup=0.2, arrivals=30,
                           arrival_interval=0.03,
                           stock_cutoff_factor=float("inf"))
    assert _trace_hash(run_once(inst, plan, stream, 1)) == (
        "a66a1613785ccca29d62f9c5dd515286aae197cfbb4a756b9cd5dcf583176b37")
    path = path_instance(4, memories=3)
    run = run_once(path, balanced_plan(path, 200.0),
                   RuntimeConfig(policy="youngest", duration=1.0, trace=True), 0)
    assert _trace_hash(run) == (
        "8a956700b837587c40ba16fff764f386e7ec8d87766b09c5d37875539ba74125")


# -- the policies' choice -------------------------------------------------------------------
def test_adaptive_policies_choose_among_the_copies_pairs():
    # Each tree copy used to hold one pair per link end, so a node never had two pairs
    # of one tree on a side and every greedy policy made the same swaps.  With the
    # copies executed together they choose, and their runs differ.
    inst = waxman_instance(12, density=0.3, requests=3, seed=0)
    plan, _ = METHODS["lp"](inst)
    trees = exec_trees(inst, plan, link_model(inst))
    assert max(t.copies for t in trees) >= 2
    fewest = min(t.hops for t in trees)
    digests = {}
    for policy in PLAN_POLICIES:
        run = run_once(inst, plan, RuntimeConfig(policy=policy, duration=3.0, trace=True), 0)
        assert run.delivered.sum() > 0
        assert run.delivered.sum() * fewest <= run.generated
        digests[policy] = _trace_hash(run)
    assert len({digests[p] for p in GREEDY}) > 1
    assert any(digests[p] != digests["fixed"] for p in PLAN_POLICIES)
