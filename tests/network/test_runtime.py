"""The swapping runtime: hand-checkable runs, eq. 1, cut-offs, memory, determinism, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request
from qdcopt.network.physics import link_model
from qdcopt.network.plan import LATENCY, plan_from_trees
from qdcopt.network.runtime import (
    POLICIES,
    RuntimeConfig,
    run_once,
    simulate,
    simulate_plan,
)
from qdcopt.network.runtime.config import CONNECTIONLESS_MODES
from qdcopt.network.runtime.fidelity import dephasing_factor, fidelity, swap, werner
from qdcopt.network.runtime.gem import GEM
from qdcopt.network.runtime.routes import exec_trees
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.trees.builders import SwapTree, TreeNode, balanced_tree, iterative_trees

GEN_TIME = 1e-3  # 1 ms: a node with m memories makes m·1000 attempts/s


def path_instance(hops: int, *, memories: list[int] | int = 2, link_rate: float = 200.0,
                  length: float = 10.0, q: float = 0.5, swap_latency: float = 10e-6,
                  ) -> NetworkInstance:
    """A path v0 … v_hops with explicit link rates and one request end to end."""
    mems = memories if isinstance(memories, list) else [memories] * (hops + 1)
    nodes = tuple(Node(id=f"v{i}", x=length * i, y=0.0, memories=mems[i],
                       generation_time=GEN_TIME, generation_success=1.0, swap_success=q)
                  for i in range(hops + 1))
    links = tuple(Link(u=i, v=i + 1, length=length, rate=link_rate) for i in range(hops))
    return NetworkInstance(name=f"path{hops}", nodes=nodes, links=links,
                           requests=(Request(id="r", source=0, destination=hops),),
                           physics=Physics(swap_latency=swap_latency))


def balanced_plan(instance: NetworkInstance, g: float):
    """The balanced tree over the path, each leaf drawing ``g`` pairs/s."""
    nodes = [TreeNode(u=nd.u, v=nd.v, swap_at=nd.swap_at, left=nd.left, right=nd.right,
                      link_rate=g if nd.is_leaf else 0.0)
             for nd in balanced_tree(list(range(instance.n)))]
    tree = SwapTree(request=0, rate=1.0, nodes=tuple(nodes))
    return plan_from_trees(instance, [tree], method="hand", variant="published",
                           rate_model=LATENCY)


# -- hand-checkable runs ---------------------------------------------------------------
def test_one_link_delivers_p_times_the_attempt_rate():
    inst = path_instance(1, memories=1, link_rate=400.0)
    g = 150.0  # the plan draws 150 pairs/s: attempts at g / p
    plan = balanced_plan(inst, g)
    model = link_model(inst)
    p = float(model.success[0])
    assert p == pytest.approx(400.0 / 1000.0)
    res = simulate_plan(inst, plan, RuntimeConfig(policy="fixed", duration=20.0), seeds=10)
    row = res.to_frame().iloc[0]
    attempt_rate = g / p
    assert row.delivered_rate_low <= p * attempt_rate <= row.delivered_rate_high
    assert row.delivered_rate_high - row.delivered_rate_low < 0.05 * g


@pytest.mark.parametrize("policy", ["fixed", "swap_asap", "scoring"])
def test_two_hops_with_exponential_waits_match_eq1(policy):
    # Ends hold one memory, the middle two: after each swap both links restart together,
    # so a delivery takes Geom(q) cycles of max(E1, E2) + t_swap + t_classical: eq. 1.
    inst = path_instance(2, memories=[1, 2, 1], link_rate=500.0, length=200.0, q=0.4,
                         swap_latency=1e-3)
    g = 100.0
    plan = balanced_plan(inst, g)
    t_cl = 200.0 / inst.physics.classical_speed
    eq1 = (1.5 / g + 1e-3 + t_cl) / 0.4
    [tree] = exec_trees(inst, plan, link_model(inst))
    assert tree.latency == pytest.approx(eq1)
    cfg = RuntimeConfig(policy=policy, duration=40.0, waits="exponential",
                        depolarizing_rate=0.0, cutoff_factor=1e6)
    res = simulate_plan(inst, plan, cfg, seeds=8, seed=3)
    per_seed = [np.mean(run.latencies[0]) for run in res.runs]
    from qdcopt.engine import mean_ci

    ci = mean_ci(per_seed, level=0.99)
    assert ci.low <= eq1 <= ci.high, (ci, eq1)
    # the plain sum of the two means instead of 3/2 of one would be far outside
    assert not ci.contains((2.0 / g + 1e-3 + t_cl) / 0.4)
    assert not ci.contains((1.0 / g + 1e-3 + t_cl) / 0.4)


def test_a_cutoff_that_discards_every_pair_delivers_nothing():
    inst = path_instance(2, memories=2)
    plan = balanced_plan(inst, 100.0)
    cfg = RuntimeConfig(policy="swap_asap", duration=5.0, cutoff_factor=1e-9)
    run = run_once(inst, plan, cfg, seed=0)
    assert run.delivered.sum() == 0
    assert run.generated > 0
    assert run.expired.sum() > 0


def test_memory_one_at_the_middle_node_serialises_its_two_links():
    inst = path_instance(2, memories=[2, 1, 2])
    plan = balanced_plan(inst, 100.0)
    cfg = RuntimeConfig(policy="swap_asap", duration=2.0, trace=True)
    run = run_once(inst, plan, cfg, seed=1)
    assert run.peak_memory[1] == 1
    assert run.delivered.sum() == 0  # a swap at v1 needs two memories there
    held: list[int] = []  # link (0 = v0–v1, 1 = v1–v2) of the pair holding v1's memory
    links_seen = set()
    for row in run.trace:
        if row[1] == "herald":
            assert not held, "a second pair was heralded while v1's memory was held"
            held.append(row[4])
            links_seen.add(row[4])
        elif row[1] == "free" and row[2] == 1:
            held.pop()
    assert links_seen == {0, 1}  # both links got their turn
    wide = run_once(path_instance(2, memories=2), plan, cfg, seed=1)
    assert wide.delivered.sum() > 0
    assert wide.generated > run.generated


def test_same_seed_same_trace_other_seed_other_trace():
    inst = waxman_instance(12, density=0.3, requests=3, seed=4)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    cfg = RuntimeConfig(policy="scoring", duration=0.5, trace=True)
    a = run_once(inst, plan, cfg, seed=7)
    b = run_once(inst, plan, cfg, seed=7)
    c = run_once(inst, plan, cfg, seed=8)
    assert len(a.trace) > 100
    assert a.trace == b.trace
    assert a.trace != c.trace


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("early", [True, False])
def test_no_policy_delivers_more_than_its_links_generate(policy, early):
    inst = waxman_instance(15, density=0.25, requests=4, seed=2)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    trees = exec_trees(inst, plan, link_model(inst))
    fewest = min(t.hops for t in trees)
    run = run_once(inst, plan, RuntimeConfig(policy=policy, early_discard=early,
                                             duration=1.0), seed=0)
    assert run.generated > 0
    assert run.delivered.sum() * fewest <= run.generated


def test_fixed_tree_swaps_only_planned_triples():
    inst = path_instance(4, memories=3)
    plan = balanced_plan(inst, 200.0)
    run = run_once(inst, plan, RuntimeConfig(policy="fixed", duration=1.0, trace=True), 0)
    [tree] = exec_trees(inst, plan, link_model(inst))
    planned = {(i, m, j) for (i, j), (m, _, _) in tree.segments.items() if m >= 0}
    swaps = {(r[6], r[7], r[8]) for r in run.trace if r[1] == "swap"}
    assert swaps and swaps <= planned
    asap = run_once(inst, plan, RuntimeConfig(policy="swap_asap", duration=1.0, trace=True), 0)
    assert {(r[6], r[7], r[8]) for r in asap.trace if r[1] == "swap"} - planned


@pytest.mark.parametrize("mode", CONNECTIONLESS_MODES)
def test_connectionless_swaps_hop_by_hop_from_the_source(mode):
    # on a path node indices are route positions: both modes swap [0, m] with [m, m+1]
    inst = path_instance(4, memories=3)
    plan = balanced_plan(inst, 200.0)
    run = run_once(inst, plan, RuntimeConfig(policy="connectionless", connectionless=mode,
                                             duration=1.0, trace=True), 0)
    swaps = [(r[6], r[7], r[8]) for r in run.trace if r[1] == "swap"]
    assert swaps
    assert all(i == 0 and j == m + 1 for i, m, j in swaps)


def test_centralized_waits_a_round_trip_to_the_central_node():
    inst = path_instance(2, memories=[1, 2, 1], length=100.0)
    plan = balanced_plan(inst, 100.0)
    # default cut-offs: with none, v1 full of [1,2] and [1,3] pairs could wait forever
    cfg = RuntimeConfig(policy="centralized", duration=2.0, trace=True)
    run = run_once(inst, plan, cfg, seed=0)
    # the central node of a 3-node path is its middle: the round trip is 0 there
    assert run.delivered.sum() > 0
    inst4 = path_instance(3, memories=[1, 2, 2, 1], length=100.0)
    plan4 = balanced_plan(inst4, 100.0)
    run4 = run_once(inst4, plan4, cfg, seed=0)
    ready = {r[2]: r[0] for r in run4.trace if r[1] == "ready"}
    link = {r[2]: r[4] for r in run4.trace if r[1] == "herald"}  # link pair -> left position
    # The centre of v0–v1–v2–v3 is v1 (least total distance, lowest index).  A swap at v2
    # of two link pairs waits until the centre has heard of both (the v2–v3 pair is
    # announced from v2, 100 km away; the v1–v2 pair from v1 itself), then for the
    # answer to come back (100 km).
    one_way = 100.0 / inst4.physics.classical_speed
    both_links = [r for r in run4.trace if r[1] == "swap" and r[7] == 2
                  and r[2] in link and r[3] in link]
    assert both_links
    for r in both_links:
        assert link[r[2]] == 1 and link[r[3]] == 2
        assert r[0] >= max(ready[r[2]], ready[r[3]] + one_way) + one_way - 1e-12
    oldest = run_once(inst4, plan4, cfg.with_(policy="oldest"), seed=0)
    fast = [r for r in oldest.trace if r[1] == "swap" and r[7] == 2]
    assert fast  # the same policy without the central GEM swaps as soon as both are ready


# -- physics and data structures --------------------------------------------------------
def test_werner_rules_hand_computed():
    assert werner(1.0) == 1.0 and werner(0.25) == 0.0
    assert fidelity(werner(0.9)) == pytest.approx(0.9)
    # swapping two F = 0.9 pairs: w = (0.8667)^2 -> F = (1 + 3 w) / 4
    w = werner(0.9)
    assert fidelity(swap(w, w)) == pytest.approx((1 + 3 * w * w) / 4)
    # dephasing p = 1 - exp(-1000 · 1e-5): factor 1 - 4p/3
    p = 1 - math.exp(-1e-2)
    assert dephasing_factor(1000.0, 1e-5) == pytest.approx(1 - 4 * p / 3)


def test_depth_aware_cutoffs():
    inst = path_instance(4, memories=3)
    plan = balanced_plan(inst, 200.0)
    from qdcopt.network.runtime.executor import Execution

    model = link_model(inst)
    trees = exec_trees(inst, plan, model)
    root = 2.0 * trees[0].latency
    ex = Execution(inst, model, trees, RuntimeConfig(discard_factor=0.5), 0)
    assert ex.cutoff(0, 0, 4) == pytest.approx(root)
    assert ex.cutoff(0, 0, 2) == pytest.approx(root / 2)
    assert ex.cutoff(0, 3, 4) == pytest.approx(root / 4)
    assert ex.cutoff(0, 1, 3) == pytest.approx(root / 2)  # unplanned: 2 of 4 hops -> depth 1
    flat = Execution(inst, model, trees, RuntimeConfig(early_discard=False), 0)
    assert flat.cutoff(0, 3, 4) == pytest.approx(root)


def test_gem_replicas_see_updates_after_the_signalling_delay():
    dist = np.array([[0.0, 100.0], [100.0, 0.0]])
    gem = GEM.from_distances(dist, 2e5, 1.0)  # 0.5 ms between the two nodes
    gem.publish(1, (0, 0, 1), birth=0.0, time=1.0, origin=0)
    assert gem.sees(0, 1.0, (0, 0, 1))
    assert not gem.sees(1, 1.0004, (0, 0, 1))
    assert gem.sees(1, 1.0005, (0, 0, 1))
    gem.retire(1, 2.0, origin=1)
    assert not gem.sees(1, 2.0, (0, 0, 1))
    assert gem.sees(0, 2.0004, (0, 0, 1))  # node 0 still holds a stale record
    assert [r.pair for r in gem.replica(0, 2.0004)] == [1]
    assert not gem.sees(0, 2.0005, (0, 0, 1))
    ideal = GEM.from_distances(dist, 2e5, 0.0)
    ideal.publish(1, (0, 0, 1), birth=0.0, time=1.0, origin=0)
    assert ideal.sees(1, 1.0, (0, 0, 1))


def test_planned_swap_scores_positive_and_bad_options_are_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        RuntimeConfig(policy="nope")
    with pytest.raises(ValueError, match="discard_factor"):
        RuntimeConfig(discard_factor=0.0)
    with pytest.raises(ValueError, match="unknown runtime option"):
        RuntimeConfig.from_options(polcy="fixed")
    inst = path_instance(1)
    with pytest.raises(ValueError, match="unknown method"):
        simulate(inst, method="nope")


# -- properties on random small networks ------------------------------------------------
def _replay_checks(inst: NetworkInstance, run, trees, predist_pairs: int = 0) -> None:
    mem = [n.memories for n in inst.nodes]
    stock: dict[tuple[int, int], int] = {}
    where: dict[int, tuple[int, int]] = {}
    occ = [0] * inst.n
    used: set[int] = set()
    made: dict[int, float] = {}  # pair -> fidelity when made
    ready_f: dict[int, float] = {}
    for row in run.trace:
        kind = row[1]
        if kind == "herald":
            pid, a, b = row[2], row[6], row[7]
            if row[3] >= len(trees):  # pre-distribution keeps a memory free for requests
                assert occ[a] <= mem[a] - 2 and occ[b] <= mem[b] - 2
            for node in (a, b):
                occ[node] += 1
                assert occ[node] <= mem[node], "memory over-used"
            made[pid] = 1.0
        elif kind == "free":
            occ[row[2]] -= 1
            assert occ[row[2]] >= 0
        elif kind == "ready":
            assert row[2] in made
            assert row[6] <= made[row[2]] + 1e-12, "fidelity rose"
            ready_f[row[2]] = row[6]
        elif kind == "swap":
            a, b, prod = row[2], row[3], row[4]
            for p in (a, b):
                assert p not in used, "pair used twice"
                used.add(p)
            if prod >= 0:
                assert row[9] <= min(ready_f[a], ready_f[b]) + 1e-12, "fidelity rose"
                made[prod] = row[9]
        elif kind == "stock":
            key = (row[4], row[5])
            stock[key] = stock.get(key, 0) + 1
            where[row[2]] = key
            assert stock[key] <= predist_pairs
        elif kind == "relabel":
            stock[where[row[2]]] -= 1
        elif kind in ("deliver", "discard"):
            pid = row[2]
            assert pid not in used, "pair used twice"
            used.add(pid)
            if kind == "discard" and row[-1] == "stock":  # the stock cut-off
                stock[where[pid]] -= 1
            if kind == "deliver":
                assert row[6] <= made[pid] + 1e-12, "fidelity rose"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(5, 9), seed=st.integers(0, 10_000), policy=st.sampled_from(POLICIES),
       early=st.booleans(), memories=st.integers(1, 4),
       predist=st.sampled_from(["none", "batch", "continuous"]),
       mode=st.sampled_from(CONNECTIONLESS_MODES))
def test_invariants_on_random_small_networks(n, seed, policy, early, memories, predist,
                                             mode):
    inst = waxman_instance(n, density=0.4, requests=2, seed=seed, memories=memories)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    trees = exec_trees(inst, plan, link_model(inst))
    if policy == "connectionless" and mode == "dynamic":
        predist = "none"  # pre-distribution stocks plan segments: the baseline has no plan
    cfg = RuntimeConfig(policy=policy, early_discard=early, duration=0.05, trace=True,
                        predistribution=predist, predist_pairs=2, predist_warmup=0.05,
                        connectionless=mode)
    run = run_once(inst, plan, cfg, seed=seed)
    _replay_checks(inst, run, trees, predist_pairs=2)
    assert (run.peak_memory <= np.array([nd.memories for nd in inst.nodes])).all()


# -- pre-distribution --------------------------------------------------------------------
def _path8():
    inst = path_instance(8, memories=4, link_rate=300.0)
    return inst, balanced_plan(inst, 100.0)


def test_one_time_batch_is_made_before_requests_start():
    inst, plan = _path8()
    n_req = len(exec_trees(inst, plan, link_model(inst)))
    # pairs v0–v4 (a half of the plan) and v4–v6, one each: with v0–v4 stocked, a stocked
    # v4–v6 saves as much latency per unit cost as a stocked v4–v8 at q = 0.5 (ratio 2 =
    # 1/q either way), and the tie goes to the smaller node pair; v4 keeps two of its
    # four memories free, as the lower priority requires
    cfg = RuntimeConfig(policy="swap_asap", duration=1.0, trace=True, predistribution="batch",
                        predist_links=2, predist_pairs=1)
    run = run_once(inst, plan, cfg, seed=0)
    stocked = {(r[4], r[5]) for r in run.trace if r[1] == "stock"}
    assert stocked == {(0, 4), (4, 6)}
    assert run.predistributed == 2  # the batch completes, then no more
    assert 0 < run.start < cfg.predist_warmup
    assert all(r[0] >= run.start for r in run.trace if r[1] == "herald" and r[3] < n_req)
    assert all(r[0] <= run.start for r in run.trace if r[1] == "herald" and r[3] >= n_req)
    assert 0 < run.predist_used <= run.predistributed
    assert run.delivered.sum() > 0


def test_continuous_replenishment_refills_the_stock():
    inst, plan = _path8()
    cfg = RuntimeConfig(policy="swap_asap", duration=2.0, trace=True,
                        predistribution="continuous", predist_links=2, predist_pairs=1)
    run = run_once(inst, plan, cfg, seed=0)
    trees = exec_trees(inst, plan, link_model(inst))
    _replay_checks(inst, run, trees, predist_pairs=1)
    assert run.predistributed > 2  # refilled after pairs were taken
    # every stocked pair is used, expires, or is one of the (at most 2) held at the end
    assert run.predist_used + run.stock_expired >= run.predistributed - 2


def _stock_made_while_filling(run, pairs: int, threshold: int) -> tuple[int, int]:
    """Replay the stock of each node pair; return (pairs stocked, pairs stocked while the
    stock was not filling).  A stock fills from empty up to ``pairs`` and then rests until
    it falls below ``threshold``."""
    held: dict[tuple[int, int], int] = {}
    filling: dict[tuple[int, int], bool] = {}
    where: dict[int, tuple[int, int]] = {}
    made = wrong = 0

    def taken(key: tuple[int, int]) -> None:
        held[key] -= 1
        if held[key] < threshold:
            filling[key] = True

    for row in run.trace:
        if row[1] == "stock":
            key = (row[4], row[5])
            made += 1
            wrong += not filling.get(key, True)
            held[key] = held.get(key, 0) + 1
            where[row[2]] = key
            if held[key] >= pairs:
                filling[key] = False
        elif (row[1] == "relabel" and row[2] in where) or (
                row[1] == "discard" and row[-1] == "stock"):
            taken(where[row[2]])
    return made, wrong


def test_replenishment_waits_for_the_threshold():
    inst, plan = _path8()
    common = {"policy": "swap_asap", "duration": 3.0, "trace": True,
              "predistribution": "continuous", "predist_links": 1, "predist_pairs": 2}
    eager = run_once(inst, plan, RuntimeConfig(**common), seed=0)
    lazy = run_once(inst, plan, RuntimeConfig(**common, predist_threshold=1), seed=0)
    made_eager, _ = _stock_made_while_filling(eager, 2, 2)
    made_lazy, wrong = _stock_made_while_filling(lazy, 2, 1)
    assert wrong == 0  # a stock of 2 refills only once it is empty
    # the eager stock refills after every pair taken, so more pairs are made
    assert made_lazy > 2 and made_eager > made_lazy
    # the default (0) is the stock size itself
    same = run_once(inst, plan, RuntimeConfig(**common, predist_threshold=2), seed=0)
    assert same.trace == eager.trace
    with pytest.raises(ValueError, match="predist_threshold"):
        RuntimeConfig(predist_pairs=2, predist_threshold=3)


def test_score_terms_hand_computed():
    from qdcopt.network.runtime.executor import Execution, Pair

    inst = path_instance(4, memories=3, q=0.5)
    plan = balanced_plan(inst, 100.0)
    model = link_model(inst)
    trees = exec_trees(inst, plan, model)
    ex = Execution(inst, model, trees, RuntimeConfig(policy="scoring", gem_latency_scale=0.0),
                   seed=0)

    def pair(pid: int, i: int, j: int) -> Pair:
        return Pair(pid, 0, i, j, birth=0.0, w=1.0, t_ref=0.0)

    # the plan's swap at v1: B = q · 2/4 · (1 − 0), no loss, no memory in use
    assert ex.score(0, 1, pair(1, 0, 1), pair(2, 1, 2)) == pytest.approx(0.5 * 2 / 4)
    # v2 joining [1,2] and [2,3] gives up both planned swaps: their partners [0,1] and
    # [3,4] are links (1/g = 0.01 s away) and the inputs have c0 · 0.5² to live
    tau = 2.0 * trees[0].latency * 0.25
    loss = 1 - math.exp(-tau / 0.01)
    assert ex.score(0, 2, pair(3, 1, 2), pair(4, 2, 3)) == pytest.approx(0.25 - loss)
    # ... and when the GEM already holds [0,1], the planned swap is there to be made
    ex.gem.publish(9, (0, 0, 1), 0.0, 0.0, 0)
    assert ex.score(0, 2, pair(3, 1, 2), pair(4, 2, 3)) == pytest.approx(0.25 - 1.0)
    # an input off the plan ([1,3]) has no planned swap left to lose
    assert ex.score(0, 3, pair(5, 1, 3), pair(6, 3, 4)) == pytest.approx(0.5 * 3 / 4)
    # memory relief: two of v1's three memories in use
    ex.free[1] = 1
    assert ex.score(0, 1, pair(1, 0, 1), pair(2, 1, 2)) == pytest.approx(0.25 + 0.5 * 2 / 3)
