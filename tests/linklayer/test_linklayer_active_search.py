"""Branch and bound over active schedules: hand cases, brute force, budgets."""

from __future__ import annotations

import random

import pytest
from ll_traces import hand_trace, small
from test_linklayer_precedence import GRAPHS, brute, random_trace

from qdcopt.linklayer.heuristics.greedy import greedy_matching
from qdcopt.linklayer.models.active_search import search_active
from qdcopt.linklayer.models.bounds import group_bound
from qdcopt.linklayer.models.matching_milp import total_latency


def _groups(trace):
    return group_bound(trace).groups.values()


def test_idling_for_a_short_request_by_hand():
    # A (t = 0, 10 s) and B (t = 1, 1 s) on one link.  Starting A at once (what a
    # non-delay rule would do) costs 20; the optimum waits for B: (2 − 1) + 12 = 13.
    inst = small("star", n=3)
    trace = hand_trace(inst, [(0.0, 0, 1, 10), (1.0, 0, 1, 1)], period=1.0)
    fifo = {0: 0.0, 1: 10.0}
    assert total_latency(trace, fifo) == pytest.approx(20.0)
    res = search_active(trace, inst.n, fifo, _groups(trace))
    assert res.proven and res.total == pytest.approx(13.0)
    assert res.starts == pytest.approx({0: 2.0, 1: 1.0})
    assert res.bound == pytest.approx(13.0) and res.bound <= 13.0


def test_shortest_first_at_a_hub_by_hand():
    # Three requests at the hub at time 0 of 3, 1, 2 s: 1 + 3 + 6 = 10 (arrival order: 14).
    inst = small("star", n=3)
    trace = hand_trace(inst, [(0.0, 0, 1, 3), (0.0, 0, 2, 1), (0.0, 0, 3, 2)], period=1.0)
    res = search_active(trace, inst.n, {0: 0.0, 1: 3.0, 2: 4.0}, _groups(trace))
    assert res.proven and res.total == pytest.approx(10.0)
    assert res.starts == pytest.approx({0: 3.0, 1: 0.0, 2: 1.0})


@pytest.mark.parametrize("seed", range(40))
def test_proven_optimum_is_the_brute_force_optimum(seed):
    rnd = random.Random(1100 + seed)
    name, params = GRAPHS[seed % len(GRAPHS)]
    inst = small(name, **params)
    trace = random_trace(inst, rnd, 7)
    best, _ = brute(trace, inst.n)
    fifo = greedy_matching(trace, inst.n)
    res = search_active(trace, inst.n, fifo, _groups(trace))
    assert res.proven
    assert res.total == pytest.approx(best, rel=1e-12)
    assert total_latency(trace, res.starts) == pytest.approx(res.total, rel=1e-12)
    assert best * (1 - 1e-8) <= res.bound <= best
    # the schedule is feasible: after its arrivals, one generation per node at a time
    by = {r.id: r for r in trace.requests}
    for r in trace.requests:
        assert res.starts[r.id] >= r.created - 1e-12
    spans = sorted((res.starts[i], res.starts[i] + trace.duration(by[i]), i) for i in by)
    for s1, e1, i in spans:
        for s2, _, j in spans:
            if i != j and {by[i].initiator, by[i].remote} & {by[j].initiator, by[j].remote}:
                assert not (s1 <= s2 < e1 - 1e-12)


@pytest.mark.parametrize("limit", [1, 2, 5, 20])
def test_a_stopped_search_claims_no_more_than_it_proved(limit):
    rnd = random.Random(95)  # a trace the full search needs 87 nodes for
    inst = small("grid", rows=2, cols=2)
    trace = random_trace(inst, rnd, 7)
    best, _ = brute(trace, inst.n)
    fifo = greedy_matching(trace, inst.n)
    res = search_active(trace, inst.n, fifo, _groups(trace), node_limit=limit)
    full = search_active(trace, inst.n, fifo, _groups(trace))
    assert not res.proven and res.nodes == limit
    assert res.bound <= best + 1e-12
    assert best - 1e-12 <= res.total <= total_latency(trace, fifo) + 1e-12
    assert full.proven and full.nodes > max(limit, 20)


def test_same_input_same_search():
    rnd = random.Random(5)
    inst = small("cycle", n=5)
    trace = random_trace(inst, rnd, 7)
    fifo = greedy_matching(trace, inst.n)
    one = search_active(trace, inst.n, fifo, _groups(trace))
    two = search_active(trace, inst.n, fifo, _groups(trace))
    assert one == two


def test_groups_must_partition_the_requests():
    inst = small("star", n=3)
    trace = hand_trace(inst, [(0.0, 0, 1, 1), (0.0, 0, 2, 1)], period=1.0)
    with pytest.raises(ValueError, match="partition"):
        search_active(trace, inst.n, {0: 0.0, 1: 1.0}, [(0,)])


def test_release_times_count_only_while_binding():
    # node 0: released at 5, next arrival there at 7 → not binding (0); node 1: released
    # at 5, an arrival at 3 still to come → binding (5); node 2: nothing left → 0; node 3:
    # request 2 placed (bit 2 set), so its arrival at 1 no longer counts → 0.
    from qdcopt.linklayer.models.active_search import _effective

    at = [[0], [1], [], [2]]
    arr = [7.0, 3.0, 1.0]
    assert _effective((5.0, 5.0, 9.0, 4.0), 0b100, at, arr) == (0.0, 5.0, 0.0, 0.0)
    # an arrival exactly at the release time: not binding either
    assert _effective((7.0, 3.0, 0.0, 0.0), 0, at, arr) == (0.0, 0.0, 0.0, 0.0)
