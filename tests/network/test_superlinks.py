"""Choosing super-links to pre-distribute: paper 003 §IV-C's benefit-to-cost greedy ([21])."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_runtime import balanced_plan, path_instance  # the shared hand-checkable path

from qdcopt.network.methods import METHODS
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, link_model
from qdcopt.network.runtime.routes import (
    PREDISTRIBUTED,
    exec_trees,
    latency_with_superlinks,
    predistribution_trees,
)
from qdcopt.network.topology.waxman import waxman_instance

SPEED = 2e5  # km/s, the default classical speed
TS = 10e-6


def _tree(hops: int, q: float, g: float = 50.0):
    inst = path_instance(hops, q=q, link_rate=g)
    model = link_model(inst)
    return exec_trees(inst, balanced_plan(inst, g), model)[0], model.swap_success.tolist()


@pytest.mark.parametrize("q", [1.0, 0.5])
def test_a_stocked_half_leaves_the_root_waiting_for_the_other_half_alone(q):
    # 4 links of 10 km, leaves of 1/g = 0.02 s; v1 and v3 signal 10 km, v2 20 km
    t, qs = _tree(4, q)
    leaf = 1 / 50.0
    half = (MAX_OF_TWO_EXPONENTIALS * leaf + TS + 10 / SPEED) / q
    root = (MAX_OF_TWO_EXPONENTIALS * half + TS + 20 / SPEED) / q
    assert t.latency == pytest.approx(root, rel=1e-12)
    assert latency_with_superlinks(t, set(), qs) == t.latency
    assert latency_with_superlinks(t, {(0, 2)}, qs) == pytest.approx(
        (half + TS + 20 / SPEED) / q, rel=1e-12)
    assert latency_with_superlinks(t, {(0, 2), (2, 4)}, qs) == pytest.approx(
        (TS + 20 / SPEED) / q, rel=1e-12)
    # a stocked link pair shortens its parent, but eq. 1 waits 3/2 of the longer child,
    # and the other half is now the longer one: the root does not gain
    assert latency_with_superlinks(t, {(0, 1)}, qs) == t.latency
    # with v2–v4 stocked as well, the root waits for v0–v2, whose v0–v1 is at hand
    assert latency_with_superlinks(t, {(0, 1), (2, 4)}, qs) == pytest.approx(
        ((leaf + TS + 10 / SPEED) / q + TS + 20 / SPEED) / q, rel=1e-12)


def test_two_disjoint_halves_are_both_chosen_the_lower_indices_first():
    t, qs = _tree(4, 1.0)
    chosen = predistribution_trees([t], 5, qs)
    assert [c.route for c in chosen] == [(0, 1, 2), (2, 3, 4)]  # a tie: v0–v2 first
    assert all(c.request == PREDISTRIBUTED for c in chosen)
    assert [c.index for c in chosen] == [1, 2]
    assert predistribution_trees([t], 1, qs)[0].route == (0, 1, 2)


def _ratio(t, chosen: set, seg, qs) -> float:
    """Benefit over cost of adding ``seg`` for a single tree, straight from the formula."""
    before = latency_with_superlinks(t, chosen, qs)
    return (before - latency_with_superlinks(t, chosen | {seg}, qs)) / t.segments[seg][2]


@pytest.mark.parametrize("q", [1.0, 0.5, 0.2])
def test_each_choice_has_the_best_ratio_among_link_disjoint_candidates(q):
    # 8 links: candidates v0–v4, v4–v8 and the four quarter pairs; brute force each step
    t, qs = _tree(8, q)
    chosen = predistribution_trees([t], 6, qs)
    segs = [(c.route[0], c.route[-1]) for c in chosen]
    for a, b in itertools.combinations(segs, 2):
        assert a[1] <= b[0] or b[1] <= a[0]  # on disjoint links
    taken: set = set()
    for seg in segs:
        free = [s for s, (m, _, _) in t.segments.items()
                if m >= 0 and s != (0, 8) and s not in taken
                and all(s[1] <= o[0] or o[1] <= s[0] for o in taken)]
        best = max(_ratio(t, taken, s, qs) for s in free)
        assert _ratio(t, taken, seg, qs) == pytest.approx(best, rel=1e-12)
        taken.add(seg)
    # nothing left that lowers the latency on free links
    rest = [s for s, (m, _, _) in t.segments.items() if m >= 0 and s != (0, 8)
            and all(s[1] <= o[0] or o[1] <= s[0] for o in taken)]
    assert all(_ratio(t, taken, s, qs) <= 0 for s in rest if s not in taken)


def test_at_q_1_the_halves_beat_the_quarters():
    # stocking a half removes its whole wait (ratio 1/q); a quarter saves a third of
    # its parent's 3/2 factor: (3/2 x - x) / x = 1/2 at q = 1
    t, qs = _tree(8, 1.0)
    first = predistribution_trees([t], 1, qs)[0]
    assert (first.route[0], first.route[-1]) == (0, 4)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), count=st.integers(1, 6))
def test_on_waxman_plans_the_super_links_are_disjoint_and_each_lowers_latency(seed, count):
    inst = waxman_instance(14, density=0.3, requests=4, seed=seed)
    plan, _ = METHODS["iterative"](inst)
    model = link_model(inst)
    trees = exec_trees(inst, plan, model)
    qs = model.swap_success.tolist()
    chosen = predistribution_trees(trees, count, qs)
    assert len(chosen) <= count
    links = [{lf.link for lf in c.leaves} for c in chosen]
    for a, b in itertools.combinations(links, 2):
        assert not a & b
    keys = [(min(c.route[0], c.route[-1]), max(c.route[0], c.route[-1])) for c in chosen]
    assert len(set(keys)) == len(keys)
    for t in trees:
        assert latency_with_superlinks(t, set(), qs) == t.latency
    # each chosen node pair is an intermediate segment of some tree, and stocking it
    # lowers that tree's latency
    for key in keys:
        hit = False
        for t in trees:
            pos = {v: i for i, v in enumerate(t.route)}
            if key[0] in pos and key[1] in pos:
                seg = tuple(sorted((pos[key[0]], pos[key[1]])))
                if seg in t.segments and t.segments[seg][0] >= 0 and seg != (0, t.hops):
                    hit = True
                    assert latency_with_superlinks(t, {seg}, qs) < t.latency
        assert hit
    assert predistribution_trees(trees, count, qs) == chosen  # deterministic
