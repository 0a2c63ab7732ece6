"""Swapping trees: eq. 1, the DP against exhaustive enumeration, LP ≥ iterative ≥ 0."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request, load_network
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.trees.builders import (
    SwapTree,
    TreeNode,
    enumerate_trees,
    iterative_trees,
    optimal_tree,
    tree_from_nodes,
    tree_latency,
)

INSTANCES = Path(__file__).resolve().parents[2] / "instances" / "network"


def _path(k: int, seed: int) -> NetworkInstance:
    """A path of k nodes with random lengths, memories and swap probabilities."""
    rng = np.random.default_rng(seed)
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(2.0, 30.0, k - 1))])
    nodes = tuple(Node(id=f"n{i}", x=float(xs[i]), y=0.0, memories=int(rng.integers(1, 6)),
                       generation_time=50e-6, generation_success=0.33,
                       swap_success=float(rng.uniform(0.2, 0.9))) for i in range(k))
    links = tuple(Link(u=i, v=i + 1, length=float(xs[i + 1] - xs[i])) for i in range(k - 1))
    return NetworkInstance(name=f"path{k}", nodes=nodes, links=links,
                           requests=(Request(id="r", source=0, destination=k - 1),),
                           physics=Physics())


def test_network_eq1_by_hand() -> None:
    # Path A–B–C of path3.toml: leaf rates 50 pairs/s each (B shares its capacity), so
    # T = (1.5 · 1/50 + t_swap + t_cl) / q with t_cl = 10 km / 2e5 km/s = 50 µs.
    inst = load_network(INSTANCES / "path3.toml")
    tree = optimal_tree(inst, 0)
    assert tree is not None
    want = (1.5 / 50 + 10e-6 + 10.0 / 2e5) / 0.5
    assert tree_latency(tree, inst) == pytest.approx(want, rel=1e-12)
    assert tree.rate == pytest.approx(1 / want, rel=1e-12)
    assert [leaf.link_rate for leaf in tree.leaves()] == pytest.approx([50.0, 50.0])


@pytest.mark.parametrize(("k", "seed"), [(3, 0), (4, 1), (5, 2), (6, 3), (7, 4), (8, 5)])
def test_network_dp_matches_enumeration_on_a_path(k: int, seed: int) -> None:
    inst = _path(k, seed)
    model = link_model(inst)
    best = optimal_tree(inst, 0, model=model)
    assert best is not None
    rates = []
    for nodes in enumerate_trees(list(range(k))):
        tree = tree_from_nodes(inst, model, 0, nodes)
        rates.append(0.0 if tree is None else tree.rate)
    swaps = k - 2
    assert len(rates) == math.comb(2 * swaps, swaps) // (swaps + 1)  # Catalan many trees
    assert best.rate == pytest.approx(max(rates), rel=1e-12)


def test_network_dp_tree_is_well_formed() -> None:
    inst = waxman_instance(40, requests=5, seed=3)
    for r in range(len(inst.requests)):
        tree = optimal_tree(inst, r)
        assert tree is not None
        root = tree.nodes[0]
        req = inst.requests[r]
        assert {root.u, root.v} == {req.source, req.destination}
        for node in tree.nodes:
            if node.is_leaf:
                assert inst.find_link(node.u, node.v) is not None
            else:
                left, right = tree.nodes[node.left], tree.nodes[node.right]
                assert {left.u, left.v} == {node.u, node.swap_at}
                assert {right.u, right.v} == {node.swap_at, node.v}


@pytest.mark.parametrize("seed", range(5))
def test_network_lp_at_least_iterative_at_least_zero(seed: int) -> None:
    inst = waxman_instance(20 + 5 * seed, requests=6, seed=seed)
    _lp_plan, lp_info = METHODS["lp"](inst)
    it_plan, it_info = METHODS["iterative"](inst)
    _gr_plan, gr_info = METHODS["greedy"](inst)
    assert it_info.objective >= 0 and gr_info.objective >= 0
    assert lp_info.objective >= it_info.objective * (1 - 1e-9)
    assert lp_info.objective >= gr_info.objective * (1 - 1e-9)
    served = [rate for _, rate in it_plan.requests if rate > 0]
    assert served  # the first request always has a tree on a connected network


def test_network_iterative_marks_resources_used() -> None:
    # Diamond: the first tree takes all of its middle node's attempts (500 per link) and
    # half of A's and D's, so a second request between A and D must swap at the other
    # middle node.
    inst = load_network(INSTANCES / "diamond.toml")
    twice = NetworkInstance(name="d2", nodes=inst.nodes, links=inst.links,
                            requests=(inst.requests[0], Request(id="again", source=0,
                                                                destination=3)),
                            physics=inst.physics)
    trees = iterative_trees(twice)
    assert len(trees) == 2
    assert {trees[0].nodes[0].swap_at, trees[1].nodes[0].swap_at} == {1, 2}
    assert trees[0].rate == pytest.approx(trees[1].rate)


def test_network_latency_of_a_hand_tree() -> None:
    inst = load_network(INSTANCES / "path4.toml")
    nodes = (TreeNode(0, 3, 1, 1, 2), TreeNode(0, 1, link_rate=100.0),
             TreeNode(1, 3, 2, 3, 4), TreeNode(1, 2, link_rate=50.0),
             TreeNode(2, 3, link_rate=50.0))
    tree = SwapTree(request=0, rate=0.0, nodes=nodes)
    inner = (1.5 / 50 + 10e-6 + 10.0 / 2e5) / 0.5
    want = (1.5 * inner + 10e-6 + 20.0 / 2e5) / 0.5
    assert tree_latency(tree, inst) == pytest.approx(want, rel=1e-12)
    assert tree.depth() == 2


def test_lp_hands_its_mip_gap_to_the_reserved_master():
    from qdcopt.network.methods import solver_options
    from qdcopt.network.options import LpParams

    assert solver_options(LpParams(mip_gap=0.25)).mip_gap == 0.25
    assert "mip_gap" in LpParams.USES
