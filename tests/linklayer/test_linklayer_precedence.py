"""The continuous-time precedence MILP: exact against brute force, cuts valid, bound sound."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ll_traces import hand_trace, small

from qdcopt.linklayer.heuristics.greedy import greedy_matching, serial_schedule
from qdcopt.linklayer.heuristics.local_search import improve_order, order_cost
from qdcopt.linklayer.models.matching_milp import (
    BRANCH_NODES,
    solve_matching_milp,
    total_latency,
)
from qdcopt.linklayer.models.precedence_milp import MS, build_precedence

# Each solve runs with the branch and bound first (which finishes on these sizes) and
# without it (the MILP alone), so both exact paths face the same checks.
PATHS = (0, BRANCH_NODES)

GRAPHS = (("star", {"n": 3}), ("grid", {"rows": 2, "cols": 2}), ("complete", {"n": 4}),
          ("cycle", {"n": 5}), ("friendship", {"n": 2}))


def brute(trace, n):
    """Least total latency and its schedule: the best serial schedule over every order
    (an optimal schedule's start order, placed as early as possible, starts none later)."""
    ids = [r.id for r in trace.requests]
    return min(((total_latency(trace, s), s) for s in (
        serial_schedule(trace, n, p) for p in itertools.permutations(ids))),
        key=lambda c: c[0])


def random_trace(inst, rnd, k):
    rows = []
    for _ in range(k):
        u, v = rnd.choice(inst.edges)
        a, b = (u, v) if rnd.random() < 0.5 else (v, u)
        rows.append((rnd.uniform(0, 5), a, b, rnd.randint(1, 4)))
    return hand_trace(inst, rows, period=rnd.uniform(0.7, 1.3))


@pytest.mark.parametrize("branch", PATHS)
def test_waiting_for_a_short_request_by_hand(branch):
    # A (t = 0, 10 s) and B (t = 1, 1 s) on one link.  A first: 10 + (11 − 1) = 20;
    # idling until B arrives and serving it first: (2 − 1) + 12 = 13, the optimum.
    inst = small("star", n=3)
    trace = hand_trace(inst, [(0.0, 0, 1, 10), (1.0, 0, 1, 1)], period=1.0)
    res = solve_matching_milp(trace, inst.n, 1.0, branch_nodes=branch)
    assert res.total_latency == pytest.approx(13.0)
    assert res.bound == pytest.approx(13.0, rel=1e-6)
    assert res.status == "optimal"
    assert res.starts == pytest.approx({0: 2.0, 1: 1.0})


@pytest.mark.parametrize("branch", PATHS)
def test_shortest_first_on_a_star_by_hand(branch):
    # Three requests at the hub at time 0 of 3, 1, 2 s: 1 + 3 + 6 = 10.
    inst = small("star", n=3)
    trace = hand_trace(inst, [(0.0, 0, 1, 3), (0.0, 0, 2, 1), (0.0, 0, 3, 2)], period=1.0)
    res = solve_matching_milp(trace, inst.n, 1.0, branch_nodes=branch)
    assert res.total_latency == pytest.approx(10.0) and res.bound == pytest.approx(10.0)


@pytest.mark.parametrize("branch", PATHS)
@pytest.mark.parametrize("seed", range(10))
def test_milp_optimum_is_the_brute_force_optimum(seed, branch):
    rnd = random.Random(500 + seed)
    name, params = GRAPHS[seed % len(GRAPHS)]
    inst = small(name, **params)
    trace = random_trace(inst, rnd, 6)
    best, _ = brute(trace, inst.n)
    res = solve_matching_milp(trace, inst.n, 1.0, edges=inst.edges, branch_nodes=branch)
    assert (res.stats["branch_proven"] == 1) == (branch > 0)
    # No slots, no rounding: proven optimal at the brute-force value.
    assert res.status == "optimal"
    assert res.total_latency == pytest.approx(best, rel=1e-9)
    assert res.bound == pytest.approx(best, rel=1e-6) and res.bound <= best + 1e-9


@pytest.mark.parametrize("seed", range(10))
def test_every_row_holds_at_the_brute_force_optimum(seed):
    rnd = random.Random(700 + seed)
    name, params = GRAPHS[seed % len(GRAPHS)]
    inst = small(name, **params)
    trace = random_trace(inst, rnd, 6)
    best, schedule = brute(trace, inst.n)
    reqs = sorted(trace.requests, key=lambda r: (r.created, r.id))
    # The latest starts come from this very optimum: no room to spare anywhere.
    model = build_precedence(trace, reqs, best)
    x = model.columns_for(schedule)
    assert model.n_cut_rows > 0
    assert model.violation(x) <= 1e-9 * MS * 10
    assert model.cost @ x + model.offset == pytest.approx(best * MS)


def test_an_overlap_breaks_one_order_row():
    inst = small("star", n=3)
    trace = hand_trace(inst, [(0.0, 0, 1, 2), (0.0, 0, 2, 2)], period=1.0)
    reqs = list(trace.requests)
    model = build_precedence(trace, reqs, 10.0)
    good = model.columns_for({0: 0.0, 1: 2.0})
    assert model.violation(good) == 0.0
    # Second request one second early: both at the hub during [1, 2).
    bad = model.columns_for({0: 0.0, 1: 1.0})
    assert model.violation(bad) == pytest.approx(1.0 * MS)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), k=st.integers(1, 6),
       form=st.sampled_from(["precedence", "x"]), branch=st.sampled_from([0, 3, BRANCH_NODES]))
def test_bound_below_optimum_below_plan(seed, k, form, branch):
    rnd = random.Random(seed)
    name, params = GRAPHS[seed % len(GRAPHS)]
    inst = small(name, **params)
    trace = random_trace(inst, rnd, k)
    best, _ = brute(trace, inst.n)
    # a budget of 3 search nodes stops the branch and bound before it finishes: the MILP
    # then runs, with the better of the two bounds
    res = solve_matching_milp(trace, inst.n, 0.5, form=form, edges=inst.edges, window=4,
                              branch_nodes=branch)
    assert res.bound <= best + 1e-9 <= res.total_latency + 2e-9
    assert total_latency(trace, res.starts) == pytest.approx(res.total_latency)


@pytest.mark.parametrize("seed", range(4))
def test_local_search_never_worse_than_its_starts(seed):
    rnd = random.Random(900 + seed)
    inst = small("grid", rows=2, cols=2)
    trace = random_trace(inst, rnd, 7)
    fifo = greedy_matching(trace, inst.n)
    start = sorted(fifo, key=lambda i: (fifo[i], i))
    order, cost = improve_order(trace, inst.n, [start], evaluations=3000, seed=seed)
    assert sorted(order) == sorted(start)
    assert cost == pytest.approx(order_cost(trace, inst.n, order))
    assert cost <= total_latency(trace, fifo) + 1e-12
    assert cost >= brute(trace, inst.n)[0] - 1e-12
    # Same seed, same order.
    assert improve_order(trace, inst.n, [start], evaluations=3000, seed=seed)[0] == order


def test_windows_bound_is_certified_on_a_real_trace():
    from qdcopt.linklayer.trace import realise_trace

    inst = small("cycle", n=5, duration=0.12)
    trace = realise_trace(inst)
    whole = solve_matching_milp(trace, inst.n, 1e-3, edges=inst.edges, branch_nodes=0)
    cut = solve_matching_milp(trace, inst.n, 1e-3, window=4)
    # the branch and bound proves the same optimum as the MILP alone
    searched = solve_matching_milp(trace, inst.n, 1e-3, edges=inst.edges)
    assert searched.stats["branch_proven"] == 1 and searched.stats["nodes"] == 0
    assert searched.total_latency == pytest.approx(whole.total_latency, rel=1e-9)
    assert whole.status == "optimal"
    assert cut.stats["windows"] > 1
    assert cut.bound <= whole.total_latency + 1e-9 <= cut.total_latency + 2e-9
    assert np.isclose(whole.bound, whole.total_latency, rtol=1e-6)
