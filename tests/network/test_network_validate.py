"""The family-B validator: every plan validates, every rule broken on purpose is caught."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qdcopt.network import FAMILY
from qdcopt.network.instance import load_network
from qdcopt.network.plan import LATENCY, NetworkPlan, PlanTree, PlanTreeNode
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.validate import validate
from qdcopt.tables import read_folder, write_folder

INSTANCES = Path(__file__).resolve().parents[2] / "instances" / "network"
SMALL = ["path3", "path4", "diamond", "star"]


def _instances():
    return [load_network(INSTANCES / f"{name}.toml") for name in SMALL] + [
        waxman_instance(18, requests=4, seed=2), waxman_instance(30, requests=6, seed=5)]


@pytest.mark.parametrize("method", sorted(FAMILY.methods))
def test_network_every_plan_validates_and_round_trips(method: str, tmp_path: Path) -> None:
    for inst in _instances():
        plan, info = FAMILY.methods[method](inst, time_limit=60)
        report = FAMILY.validate(inst, plan)
        assert report.ok, [v.message for v in report.violations]
        assert report.objective == pytest.approx(info.objective, rel=1e-6, abs=1e-9)
        folder = write_folder(tmp_path / inst.name / method, "network", plan.to_tables(),
                              plan.meta())
        family, tables, manifest = read_folder(folder)
        assert family == "network"
        back = FAMILY.plan_from_tables(tables, manifest, folder)
        assert back == plan
        files = FAMILY.export(inst, plan, tmp_path / "export" / inst.name / method)
        assert all(f.is_file() for f in files)


def test_network_lp_plan_metrics_on_star() -> None:
    inst = load_network(INSTANCES / "star.toml")
    plan, _ = FAMILY.methods["lp"](inst, objective="maxmin", resources="attempts")
    report = validate(inst, plan)
    assert report.ok
    m = report.metrics
    assert m["rate_per_request"]["r12"] == pytest.approx(100 / 9, rel=1e-6)
    assert m["min_rate"] == pytest.approx(50 / 9, rel=1e-6)
    assert m["aggregate_rate"] == pytest.approx(50 / 3, rel=1e-6)
    assert m["max_node_utilisation"] == pytest.approx(1.0, rel=1e-6)


@pytest.fixture(scope="module")
def base() -> tuple:
    inst = load_network(INSTANCES / "path4.toml")
    plan, _ = FAMILY.methods["lp"](inst)
    assert validate(inst, plan).ok
    return inst, plan


def _scale_links(plan: NetworkPlan, k: float) -> NetworkPlan:
    return dataclasses.replace(plan, links=tuple((u, v, r * k) for u, v, r in plan.links))


def _codes(inst, plan) -> set[str]:
    return validate(inst, plan).codes()


def test_network_rule_reference(base) -> None:
    inst, plan = base
    assert "B0-REFERENCE" in _codes(inst, dataclasses.replace(
        plan, links=(*plan.links, ("A", "D", 1.0))))
    assert "B0-REFERENCE" in _codes(inst, dataclasses.replace(
        plan, requests=(("nope", 1.0),)))
    assert "B0-REFERENCE" in _codes(inst, dataclasses.replace(
        plan, swaps=(("B", "B", "C", 1.0),)))
    assert "B0-REFERENCE" in _codes(inst, dataclasses.replace(plan, variant="other"))


def test_network_rule_link_capacity() -> None:
    inst = load_network(INSTANCES / "path3.toml")
    plan = NetworkPlan(method="hand", variant="published", rate_model="hyperflow",
                       requests=(("AC", 0.0),), links=(("A", "B", 120.0),), swaps=(),
                       trees=())
    codes = _codes(inst, plan)
    assert "B1-LINK-CAPACITY" in codes  # 120 > p · min(C) = 100
    assert "B2-NODE-CAPACITY" in codes  # 1200 attempts/s > 1000


def test_network_rule_node_capacity(base) -> None:
    inst, plan = base
    # +50 % on every link keeps each link under 100 pairs/s but B and C go over.
    assert "B2-NODE-CAPACITY" in _codes(inst, _scale_links(plan, 1.5))
    assert "B1-LINK-CAPACITY" not in _codes(inst, _scale_links(plan, 1.5))


def test_network_rule_conservation(base) -> None:
    inst, plan = base
    codes = _codes(inst, _scale_links(plan, 0.5))
    assert "B3-CONSERVATION" in codes
    assert "B5-TREE-FLOW" in codes  # the trees now draw more than the links make


def test_network_rule_tree_shape(base) -> None:
    inst, plan = base
    tree = plan.trees[0]
    # A leaf that is not a link.
    bad_leaf = dataclasses.replace(tree, nodes=(PlanTreeNode(u="A", v="D", link_rate=1.0),))
    # A swap whose children do not meet at the swap node.
    root = tree.nodes[0]
    wrong = dataclasses.replace(root, swap_at="C" if root.swap_at == "B" else "B")
    bad_swap = dataclasses.replace(tree, nodes=(wrong, *tree.nodes[1:]))
    # A child index that points back at the root.
    loop = dataclasses.replace(tree, nodes=(dataclasses.replace(root, left=0),
                                            *tree.nodes[1:]))
    for broken in (bad_leaf, bad_swap, loop):
        assert "B4-TREE-SHAPE" in _codes(inst, dataclasses.replace(
            plan, trees=(broken, *plan.trees[1:])))


def test_network_rule_tree_flow(base) -> None:
    inst, plan = base
    tree = plan.trees[0]
    thin = tuple(dataclasses.replace(n, link_rate=n.link_rate / 2) if n.is_leaf else n
                 for n in tree.nodes)
    assert "B5-TREE-FLOW" in _codes(inst, dataclasses.replace(
        plan, trees=(dataclasses.replace(tree, nodes=thin), *plan.trees[1:])))
    assert "B5-TREE-FLOW" in _codes(inst, dataclasses.replace(plan, swaps=()))


def test_network_rule_request_rate(base) -> None:
    inst, plan = base
    (rid, rate), = plan.requests
    assert "B6-REQUEST-RATE" in _codes(inst, dataclasses.replace(
        plan, requests=((rid, rate * 0.9),)))


def test_network_rule_tree_latency() -> None:
    inst = load_network(INSTANCES / "path3.toml")
    plan, _ = FAMILY.methods["iterative"](inst, resources="attempts")
    assert plan.rate_model == LATENCY and validate(inst, plan).ok
    # The LP-like rate 50/3 beats the eq.-1 rate of the same tree: latency rule broken.
    (tree,) = plan.trees
    fast = dataclasses.replace(tree, rate=50 / 3 * 0.999)
    broken = dataclasses.replace(plan, trees=(fast,), requests=(("AC", fast.rate),))
    assert "B7-TREE-LATENCY" in _codes(inst, broken)
    assert "B7-TREE-LATENCY" not in _codes(inst, dataclasses.replace(broken,
                                                                      rate_model="hyperflow"))


def test_network_plan_tree_is_plain_data() -> None:
    tree = PlanTree(tree=0, request="r", rate=1.0, nodes=(PlanTreeNode(u="a", v="b"),))
    assert tree.nodes[0].is_leaf
