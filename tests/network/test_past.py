"""Purification-augmented swapping trees: without a target they are today's DP trees;
with one, the tree found meets it, beats every enumerated tree that meets it with margin,
and purifies only when a swap alone cannot meet it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qdcopt.network.dp import min_latency_tree
from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request
from qdcopt.network.physics import link_model
from qdcopt.network.purification import bbpssw, swap_fidelity
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.trees.past import PURIFY, fastest_past


def _chain(hops: int, q: float = 0.5) -> NetworkInstance:
    nodes = tuple(Node(id=f"v{i}", x=10.0 * i, y=0.0, memories=4, generation_time=1e-3,
                       generation_success=1.0, swap_success=q) for i in range(hops + 1))
    links = tuple(Link(u=i, v=i + 1, length=10.0, rate=200.0) for i in range(hops))
    return NetworkInstance(name="chain", nodes=nodes, links=links,
                           requests=(Request(id="r", source=0, destination=hops),),
                           physics=Physics(swap_latency=10e-6))


def _dp_latency(inst, model, s, d, leaf):
    nodes = min_latency_tree(inst, model, s, d, leaf)
    assert nodes is not None
    # eq. 1 recomputed bottom-up over the DP's tree
    phys = inst.physics

    def value(i):
        nd = nodes[i]
        if nd.is_leaf:
            k = next(j for j in range(len(model.link_u))
                     if {int(model.link_u[j]), int(model.link_v[j])} == {nd.u, nd.v})
            return leaf[k]
        a, b = value(nd.left), value(nd.right)
        m = nd.swap_at
        extra = phys.swap_latency + max(model.classical_distance[m, nd.u],
                                        model.classical_distance[m, nd.v]) / phys.classical_speed
        return (1.5 * max(a, b) + extra) / model.swap_success[m]
    return value(0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_without_a_target_it_is_the_swapping_tree_dp(seed):
    inst = waxman_instance(9, density=0.4, requests=2, seed=seed)
    model = link_model(inst)
    leaf = np.random.default_rng(seed).uniform(0.001, 0.02, len(model.link_u))
    for req in inst.requests:
        past = fastest_past(inst, model, req.source, req.destination, leaf, 0.95, None)
        assert past is not None and past.purifications == 0
        assert past.latency == pytest.approx(
            _dp_latency(inst, model, req.source, req.destination, leaf), rel=1e-12)


def test_a_swap_alone_misses_the_target_so_it_purifies():
    inst = _chain(2)
    model = link_model(inst)
    leaf = np.full(2, 0.005)
    assert swap_fidelity(0.85, 0.85) == pytest.approx(0.73)  # below 0.8
    assert fastest_past(inst, model, 0, 2, leaf, 0.85, 0.8, purification=False) is None
    past = fastest_past(inst, model, 0, 2, leaf, 0.85, 0.8, protocol="bbpssw")
    assert past is not None and past.purifications >= 1 and past.fidelity >= 0.8
    # and a target the swap meets needs none, at the plain tree's latency
    plain = fastest_past(inst, model, 0, 2, leaf, 0.85, 0.7)
    assert plain.purifications == 0 and plain.fidelity == pytest.approx(0.73)
    assert plain.latency == pytest.approx(_dp_latency(inst, model, 0, 2, leaf))


def _enumerate_chain2(leaf: float, f0: float, q: float, ts: float, speed: float):
    """Every PAST on a 2-hop chain of 10 km links with up to 2 BBPSSW steps on each
    link pair and up to 2 on the end-to-end pair (recurrence or pumping shapes):
    (latency, fidelity) by eq. 1."""
    def purify_options(options, rounds, dist):
        out = list(options)
        frontier = list(options)
        for _ in range(rounds):
            nxt = []
            for (t1, f1), (t2, f2) in itertools.product(frontier, out):
                p, f = bbpssw(f1, f2)
                if f <= max(f1, f2):
                    continue
                nxt.append(((1.5 * max(t1, t2) + ts + dist / speed) / p, f))
            out += nxt
            frontier = nxt
        return out

    links = purify_options([(leaf, f0)], 2, 10.0)
    ends = [((1.5 * max(t1, t2) + ts + 10.0 / speed) / q, swap_fidelity(f1, f2))
            for (t1, f1), (t2, f2) in itertools.product(links, links)]
    return purify_options(ends, 2, 20.0)


def _recomputed(past, inst, model):
    """Latency and fidelity of a PAST recomputed from its nodes alone."""
    phys = inst.physics

    def value(i):
        nd = past.nodes[i]
        if nd.kind == "link":
            return nd.latency, nd.fidelity
        (ta, fa), (tb, fb) = value(nd.left), value(nd.right)
        if nd.kind == "swap":
            m = nd.swap_at
            extra = phys.swap_latency + max(model.classical_distance[m, nd.u],
                                            model.classical_distance[m, nd.v]) / \
                phys.classical_speed
            return (1.5 * max(ta, tb) + extra) / model.swap_success[m], swap_fidelity(fa, fb)
        p, f = bbpssw(fa, fb)
        extra = phys.swap_latency + model.classical_distance[nd.u, nd.v] / phys.classical_speed
        return (1.5 * max(ta, tb) + extra) / p, f
    return value(0)


@pytest.mark.parametrize(("f0", "target"), [(0.85, 0.8), (0.9, 0.85), (0.8, 0.75),
                                             (0.85, 0.86), (0.99, 0.98)])
def test_fastest_past_is_never_slower_than_an_enumerated_tree_meeting_the_target(f0,
                                                                                 target):
    inst = _chain(2)
    model = link_model(inst)
    leaf = 0.005
    past = fastest_past(inst, model, 0, 2, np.full(2, leaf), f0, target, protocol="bbpssw",
                        resolution=0)
    assert past is not None and past.fidelity >= target - 1e-12
    # its latency and fidelity follow from its own nodes
    lat, fid = _recomputed(past, inst, model)
    assert lat == pytest.approx(past.latency, rel=1e-12)
    assert fid == pytest.approx(past.fidelity, rel=1e-12)
    trees = _enumerate_chain2(leaf, f0, 0.5, inst.physics.swap_latency,
                              inst.physics.classical_speed)
    meeting = [t for t, f in trees if f >= target]
    assert meeting and past.latency <= min(meeting) * (1 + 1e-9)


def test_a_coarser_label_resolution_still_meets_the_target():
    inst = _chain(3)
    model = link_model(inst)
    exact = fastest_past(inst, model, 0, 3, np.full(3, 0.005), 0.9, 0.85, resolution=0)
    coarse = fastest_past(inst, model, 0, 3, np.full(3, 0.005), 0.9, 0.85, resolution=8)
    assert exact.fidelity >= 0.85 and coarse.fidelity >= 0.85
    assert coarse.latency >= exact.latency * (1 - 1e-12)  # pruning can only lose


def test_unreachable_target_and_bad_arguments():
    inst = _chain(2)
    model = link_model(inst)
    leaf = np.full(2, 0.005)
    assert fastest_past(inst, model, 0, 2, leaf, 0.5, 0.9) is None  # no gain at F = 1/2
    with pytest.raises(ValueError, match="exceed 1/2"):
        fastest_past(inst, model, 0, 2, leaf, 0.9, 0.5)
    with pytest.raises(ValueError, match="protocol"):
        fastest_past(inst, model, 0, 2, leaf, 0.9, 0.8, protocol="x")
    with pytest.raises(ValueError, match="fidelity"):
        fastest_past(inst, model, 0, 2, leaf, 0.9, 1.5)
    assert math.isfinite(fastest_past(inst, model, 0, 2, leaf, 0.99, 0.98).latency)
    assert any(n.kind == PURIFY for n in fastest_past(inst, model, 0, 2, leaf, 0.9,
                                                      0.9).nodes)
