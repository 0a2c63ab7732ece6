"""The solver-free bounds: hand cases, an independent matching, and validity."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_milp_cases import NS, make, solve

import qdcopt
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.switch.bounds import (
    event_bound,
    interval_bound,
    pair_bound,
    stretch_bound,
)
from qdcopt.datacenter.switch.data import preprocess


def bound_of(inst: DatacenterInstance) -> int:
    return sum(event_bound(b) for b in preprocess(inst).blocks)


def matching_bound(inst: DatacenterInstance) -> int:
    """Maximum matching of requests to (source, event) inside their windows."""
    g = nx.Graph()
    req = inst.requests
    left = []
    for i in range(len(req)):
        node = ("r", i)
        g.add_node(node)
        left.append(node)
        lo, hi = int(req.t_need[i]) - inst.t_max, int(req.t_need[i])
        for si, s in enumerate(inst.sources):
            if int(req.a[i]) not in s.ports or int(req.b[i]) not in s.ports:
                continue
            for k in range(s.first_event_at_or_after(lo), s.last_event_at_or_before(hi) + 1):
                g.add_edge(node, ("e", si, k))
    return len(nx.bipartite.maximum_matching(g, top_nodes=left)) // 2


def test_hand_case() -> None:
    # Window 3 ns: events 2..5 for need 5 ns, 3..6 for 6 ns.  Five requests on 5 events
    # (2, 3, 4, 5, 6) — but three need 5 ns and only 4 events (2..5) serve them, and the
    # two needing 6 ns take 6 and one of 3..5: all five fit.  A sixth request at 5 ns
    # exceeds the four events before 5 ns once the two 6 ns requests are counted.
    five = [("A", "B", 5 * NS)] * 3 + [("A", "C", 6 * NS)] * 2
    assert bound_of(make(five)) == 5
    six = [("A", "B", 5 * NS)] * 4 + [("A", "C", 6 * NS)] * 2
    assert bound_of(make(six)) == 5
    # A burst of ten requests needing the same instant gets the t_max / period + 1 events.
    burst = [("A", "B", 9 * NS)] * 10
    assert bound_of(make(burst, t_max=3 * NS)) == 4


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.sampled_from(["1 ns", "3 ns", "20 ns"]),
       st.integers(1, 2), st.integers(0, 10_000))
def test_equals_an_independent_maximum_matching(n: int, t_max: str, sources: int,
                                                seed: int) -> None:
    inst = random_instance(n, n_qpus=4, t_max=t_max, layer="5 ns", n_sources=sources,
                           seed=seed)
    assert bound_of(inst) == matching_bound(inst)


@pytest.mark.parametrize("kw", [dict(t_max="3 ns"), dict(t_max="20 ns", comm_qubits=1),
                                dict(t_max="100 ns")])
def test_bounds_every_heuristic_and_the_milp(kw: dict) -> None:
    inst = random_instance(120, n_qpus=5, seed=7, **kw)
    data = preprocess(inst)
    pair = sum(pair_bound(b, data.costs) for b in data.blocks)
    short = sum(interval_bound(b, data.costs, lengths=(1, 2)) for b in data.blocks)
    assert short <= pair <= bound_of(inst)
    bound = short
    for method in ("greedy", "edf", "scoring", "milp"):
        plan, info = qdcopt.solve(inst, method, time_limit=10)
        assert qdcopt.validate(inst, plan).objective <= bound
        if method == "milp":
            assert info.bound <= bound


def test_pair_bound_hand_case() -> None:
    # One window (events 3..9, seven events) and demand AB x4, AC x3, BD x2.  A change
    # between pairs sharing a QPU leaves two events dead (2 ns reconfiguration starting
    # after the delivery tick), so two pairs give at most 7 - 2 = 5, three at most 3:
    # the bound is 5, which the MILP reaches (AB at 3..6, dead 7, 8, AC at 9).
    reqs = ([("A", "B", 9 * NS)] * 4 + [("A", "C", 9 * NS)] * 3 + [("B", "D", 9 * NS)] * 2)
    inst = make(reqs, t_max=6 * NS)
    data = preprocess(inst)
    (block,) = data.blocks
    assert event_bound(block) == 7
    assert pair_bound(block, data.costs) == 5
    _, info, rep = solve(inst)
    assert rep.objective == 5 and info.bound == 5 and info.status == "optimal"


def test_stretch_bound_sees_switching_inside_long_windows() -> None:
    # 10 QPUs (45 pairs), windows of 100 events, load 1: every short stretch has to pay
    # for the pairs it serves, which the pair bound of the whole block spreads thin
    from qdcopt.datacenter.switch.milp import best_heuristic

    inst = random_instance(2_000, n_qpus=10, seed=1, load=1.0)
    data = preprocess(inst)
    (block,) = data.blocks
    stretch = stretch_bound(block, data.costs)
    assert stretch < pair_bound(block, data.costs) < 2_000
    assert interval_bound(block, data.costs) <= stretch
    start, _, _ = best_heuristic(inst)
    assert stretch >= start.n_accepted
