"""Paper 003's two baselines: connectionless hop-by-hop swapping without a plan (after
Bacciottini et al.) and the centralised GEM with a first-come-first-served server."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_runtime import _replay_checks, balanced_plan, path_instance  # shared helpers

from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request
from qdcopt.network.physics import link_model
from qdcopt.network.plan import LATENCY, plan_from_trees
from qdcopt.network.resources import slot_link_rate
from qdcopt.network.runtime import RuntimeConfig, run_once
from qdcopt.network.runtime.executors.connectionless import routing
from qdcopt.network.runtime.routes import exec_trees
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.trees.builders import iterative_trees

DYNAMIC = RuntimeConfig(policy="connectionless", duration=1.0, trace=True)


def graph_instance(positions: list[tuple[float, float]], links: list[tuple[int, int]],
                   requests: list[tuple[int, int]], *, memories: int = 2,
                   q: float = 0.5) -> NetworkInstance:
    """Nodes at ``positions`` (km), links of rate 200 pairs/s, requests ``(s, d)``."""
    nodes = tuple(Node(id=f"v{i}", x=x, y=y, memories=memories, generation_time=1e-3,
                       generation_success=1.0, swap_success=q)
                  for i, (x, y) in enumerate(positions))
    return NetworkInstance(
        name="graph", nodes=nodes,
        links=tuple(Link(u=u, v=v, rate=200.0, length=math.dist(positions[u], positions[v]))
                    for u, v in links),
        requests=tuple(Request(id=f"r{k}", source=s, destination=d)
                       for k, (s, d) in enumerate(requests)),
        physics=Physics(swap_latency=10e-6))


def diamond() -> NetworkInstance:
    """v0 → v3 over two 2-hop routes (via v1 or v2), a 3-hop detour v0–v4–v5–v3 and a
    spur v1–v6 that no route uses."""
    pos = [(0, 0), (10, 5), (10, -5), (20, 0), (0, -20), (20, -20), (10, 20)]
    links = [(0, 1), (0, 2), (1, 3), (2, 3), (0, 4), (4, 5), (3, 5), (1, 6)]
    return graph_instance(pos, links, [(0, 3)])


def _lineage_ok(trace: list[tuple], source: int, step) -> int:
    """Follow every delivered pair back to its chain's start: each swap extends a chain
    ``[source, x]`` by one link pair ``[x, y]`` with ``step(x, y)``; returns the number
    of delivered pairs checked."""
    herald = {r[2]: (r[6], r[7]) for r in trace if r[1] == "herald"}
    made = {r[4]: r for r in trace if r[1] == "swap" and r[4] >= 0}
    starts = {r[2]: r for r in trace if r[1] == "start"}
    delivered = [r for r in trace if r[1] == "deliver"]
    for row in delivered:
        pid = row[2]
        while pid in made:
            _, _, chain, link, _, _, s, x, y, _ = made[pid]
            assert s == source
            assert set(herald[link]) == {x, y}, "a chain was extended by more than one hop"
            assert step(x, y)
            pid = chain
        assert pid in starts and starts[pid][4] == source
    return len(delivered)


# -- connectionless without a plan ------------------------------------------------------
def test_routing_splits_memories_over_routed_links_and_ignores_others():
    inst = diamond()
    model = link_model(inst)
    rt = routing(inst, model)
    find = inst.find_link
    assert rt.hops == (2,)
    assert rt.next_hops[0] == {0: {1: find(0, 1), 2: find(0, 2)}, 1: {3: find(1, 3)},
                               2: {3: find(2, 3)}}
    routed = {find(0, 1), find(0, 2), find(1, 3), find(2, 3)}
    # two memories per node, two routed links at each: one process per routed link
    assert rt.processes == tuple(1 if ell in routed else 0 for ell in range(len(inst.links)))
    # eq. 1 of the chain [v0, v1] + [v1, v3] (both routes are alike), leaves at the
    # one-memory-per-link-end rate
    g = float(slot_link_rate(inst, model)[find(0, 1)])
    d = model.classical_distance
    t = (1.5 / g + 10e-6 + max(d[1, 0], d[1, 3]) / inst.physics.classical_speed) / 0.5
    assert rt.latency[0] == pytest.approx(t)


def test_a_node_short_of_memories_keeps_a_requests_only_next_hop():
    # v2 has two memories for three routed links; v2–v4 is r1's only way on, so it keeps
    # one, although v0–v2 and v2–v3 carry r0 and are faster
    pos = [(0, 0), (10, 5), (10, -5), (20, 0), (10, -25)]
    inst = graph_instance(pos, [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4)],
                          [(0, 3), (3, 4)], memories=4)
    inst = replace(inst, nodes=tuple(replace(nd, memories=2) if i == 2 else nd
                                     for i, nd in enumerate(inst.nodes)))
    rt = routing(inst, link_model(inst))
    assert rt.processes[inst.find_link(2, 4)] >= 1
    assert all(rt.hops)


def test_connectionless_on_a_chain_extends_one_hop_at_a_time_and_never_leaves_the_route():
    # path v0 … v4 with a spur v2–v5: every delivered pair is the source's link pair
    # extended by one link at a time, and the spur never makes a pair
    pos = [(10.0 * i, 0.0) for i in range(5)] + [(20.0, 10.0)]
    links = [(i, i + 1) for i in range(4)] + [(2, 5)]
    inst = graph_instance(pos, links, [(0, 4)], memories=3)
    plan = balanced_plan(path_instance(4), 100.0)  # not read: the baseline has no plan
    run = run_once(inst, plan, DYNAMIC.with_(duration=2.0), seed=0)
    assert {(r[6], r[7]) for r in run.trace if r[1] == "herald"} <= {
        (i, i + 1) for i in range(4)}
    assert _lineage_ok(run.trace, 0, lambda x, y: y == x + 1) == run.delivered.sum() > 0


def test_connectionless_chooses_the_next_hop_at_run_time_and_waits_per_hop():
    inst = diamond()
    run = run_once(inst, balanced_plan(path_instance(2), 100.0), DYNAMIC.with_(duration=2.0),
                   seed=1)
    trace = run.trace
    graph = nx.Graph([(link.u, link.v) for link in inst.links])
    to_d = nx.single_source_shortest_path_length(graph, 3)
    # pairs only move toward the destination, on the two shortest routes
    assert _lineage_ok(trace, 0, lambda x, y: to_d[y] == to_d[x] - 1) > 0
    swaps = [r for r in trace if r[1] == "swap"]
    assert {r[7] for r in swaps} == {1, 2}  # both next hops taken, as pairs came
    assert not {(r[6], r[7]) for r in trace if r[1] == "herald"} & {(0, 4), (4, 5), (3, 5),
                                                                      (1, 6)}
    # per-hop waiting: a swap happens when the later of its two inputs is there
    at_node = {r[2]: r[0] for r in trace if r[1] in ("start", "herald")}
    at_node.update({r[2]: r[0] for r in trace if r[1] == "ready" and r[3] >= 0})
    for r in swaps:
        assert r[0] == max(at_node[r[2]], at_node[r[3]])
    waited = [r for r in swaps if at_node[r[2]] < at_node[r[3]]]
    assert waited  # chains did wait at v1 / v2 for their next link pair


def test_connectionless_ignores_the_plan_and_replays_its_seed():
    inst = waxman_instance(12, density=0.3, requests=3, seed=4)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    other = plan_from_trees(inst, iterative_trees(inst)[:1], method="iterative",
                            variant="published", rate_model=LATENCY)
    cfg = DYNAMIC.with_(duration=0.5)
    a = run_once(inst, plan, cfg, seed=7)
    assert len(a.trace) > 100
    assert a.trace == run_once(inst, other, cfg, seed=7).trace
    assert a.trace != run_once(inst, plan, cfg, seed=8).trace
    old = run_once(inst, plan, cfg.with_(connectionless="plan-routes"), seed=7)
    assert old.trace != a.trace


def test_connectionless_options():
    with pytest.raises(ValueError, match="connectionless must be"):
        RuntimeConfig(connectionless="nope")
    with pytest.raises(ValueError, match="no plan"):
        RuntimeConfig(policy="connectionless", predistribution="batch")
    RuntimeConfig(policy="connectionless", connectionless="plan-routes",
                  predistribution="batch")
    assert RuntimeConfig(policy="connectionless").label == "connectionless+discard"
    assert (RuntimeConfig(policy="connectionless", connectionless="plan-routes").label
            == "connectionless[plan-routes]+discard")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(5, 10), seed=st.integers(0, 10_000), early=st.booleans(),
       memories=st.integers(1, 4), stream=st.booleans())
def test_connectionless_invariants_on_random_small_networks(n, seed, early, memories, stream):
    inst = waxman_instance(n, density=0.4, requests=3, seed=seed, memories=memories)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    cfg = DYNAMIC.with_(early_discard=early, duration=0.2,
                        arrivals=20 if stream else 0, arrival_interval=0.01)
    run = run_once(inst, plan, cfg, seed=seed)
    _replay_checks(inst, run, exec_trees(inst, plan, link_model(inst)))
    assert (run.peak_memory <= np.array([nd.memories for nd in inst.nodes])).all()
    rt = routing(inst, link_model(inst))
    for r in run.trace:
        if r[1] == "swap":  # a chain of request k only moves along k's routes
            assert rt.next_hops[r[5]][r[7]].get(r[8]) is not None
            assert r[6] == inst.requests[r[5]].source
    if stream:
        assert run.delivered.sum() + run.unserved == run.arrivals


# -- centralised GEM with a service time ------------------------------------------------
def _trace_hash(run) -> str:
    return hashlib.sha256(repr(run.trace).encode()).hexdigest()


def test_zero_service_time_replays_the_centralised_baseline_without_a_server():
    # digests of the traces made by the centralised baseline before it had a server
    # (commit 8b17193); a service time of 0 must give exactly the same runs
    inst = waxman_instance(12, density=0.3, requests=3, seed=4)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    cfg = RuntimeConfig(policy="centralized", duration=1.0, trace=True,
                        central_service_time=0.0)
    expected = {True: "4727abd91e1d945398f4cd36f966ec5bf738d05254429d6627c432e2886f1aa7",
                False: "fe0ca3e7073a046853a203136f57a204bbbe9e63e5832725acf1e47020a76d97"}
    for early, digest in expected.items():
        run = run_once(inst, plan, cfg.with_(early_discard=early), seed=7)
        assert _trace_hash(run) == digest
        assert run.central_wait == 0.0 and run.central_queries > 0
    stream = cfg.with_(duration=2.0, arrivals=30, arrival_interval=0.05,
                       predistribution="continuous", predist_warmup=0.2,
                       stock_cutoff_factor=float("inf"))
    assert _trace_hash(run_once(inst, plan, stream, seed=3)) == (
        "1514af71779db4ce645a3e57ea5668e2b3d005bc41081f016a3a76be558b920d")


def test_centralised_swap_waits_for_the_centre_its_service_and_the_answer():
    inst = path_instance(3, memories=[1, 2, 2, 1], length=100.0)
    plan = balanced_plan(inst, 100.0)
    service = 2e-3
    cfg = RuntimeConfig(policy="centralized", duration=2.0, trace=True,
                        central_service_time=service)
    run = run_once(inst, plan, cfg, seed=0)
    ready = {r[2]: r[0] for r in run.trace if r[1] == "ready"}
    link = {r[2]: r[4] for r in run.trace if r[1] == "herald"}
    one_way = 100.0 / inst.physics.classical_speed
    # the centre is v1: a swap at v2 of two link pairs waits until the centre has heard
    # of the v2–v3 pair (from v2), then for one service time and the answer (100 km)
    both_links = [r for r in run.trace if r[1] == "swap" and r[7] == 2
                  and r[2] in link and r[3] in link]
    assert both_links
    for r in both_links:
        assert r[0] >= max(ready[r[2]], ready[r[3]] + one_way) + service + one_way - 1e-12


def test_a_slow_centre_saturates_and_delivers_less():
    inst = waxman_instance(12, density=0.3, requests=3, seed=4)
    plan = plan_from_trees(inst, iterative_trees(inst), method="iterative",
                           variant="published", rate_model=LATENCY)
    cfg = RuntimeConfig(policy="centralized", duration=2.0)
    fast = run_once(inst, plan, cfg.with_(central_service_time=0.0), seed=0)
    slow = run_once(inst, plan, cfg.with_(central_service_time=10e-3), seed=0)
    assert slow.delivered.sum() < 0.5 * fast.delivered.sum()
    # saturated: the server is busy almost all the run and queries queue for it (each
    # node asks once at a time, so the queue is at most the nodes waiting for answers)
    assert slow.central_queries * 10e-3 > 0.9 * cfg.duration
    assert slow.central_wait / slow.central_queries > 0.25 * 10e-3
    with pytest.raises(ValueError, match="central_service_time"):
        RuntimeConfig(central_service_time=-1.0)
    assert math.isclose(RuntimeConfig().central_service_time, 100e-6)
