"""GHZ requests: loading, planning as fusion structures (hand-computed rates), plan files,
refusals and the validator's fusion rules, each broken in exactly one way."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.errors import InstanceError
from qdcopt.network.ghz.model import expected_max
from qdcopt.network.instance import GhzRequest, Link, NetworkInstance, Node, Physics, Request
from qdcopt.network.methods import METHODS
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.validate import validate

runner = CliRunner()
Q_FUSION = 0.8


def _node(name: str, memories: int, q: float = 0.5) -> Node:
    # one attempt per ms at each memory, every attempt's photon usable
    return Node(id=name, x=0.0, y=0.0, memories=memories, generation_time=1e-3,
                generation_success=1.0, swap_success=q)


def _links(index: dict[str, int], pairs: list[tuple[str, str, float]]) -> tuple[Link, ...]:
    out = []
    for a, b, rate in pairs:
        u, v = sorted((index[a], index[b]))
        out.append(Link(u=u, v=v, length=0.0, rate=rate))
    return tuple(out)


def star(rates: dict[str, float], parties: tuple[str, ...], hub_memories: int,
         fusion: float | None = Q_FUSION) -> NetworkInstance:
    """Hub H with one leaf per entry of ``rates``, zero-length links whose pairs come at
    exactly ``rate`` per second per reserved memory pair (one memory per leaf)."""
    names = ["H", *rates]
    nodes = tuple(_node(x, hub_memories if x == "H" else 1) for x in names)
    index = {x: i for i, x in enumerate(names)}
    links = _links(index, [("H", x, r) for x, r in rates.items()])
    return NetworkInstance(name="star", nodes=nodes, links=links, requests=(),
                           physics=Physics(swap_latency=0.0, fusion_success=fusion),
                           ghz=(GhzRequest("G", tuple(index[p] for p in parties)),))


def dumbbell(rate: float = 100.0) -> NetworkInstance:
    """A, B – x – y – C, D with three memories at x and y: no star fits (a centre needs
    four memories, or the leaves would), the tree of fusions at x and y does.  Every
    link makes ``rate`` pairs/s per reserved pair of memories (an explicit link rate is
    for all the ends' memories: x–y states three times as much)."""
    names = ["A", "B", "x", "y", "C", "D"]
    nodes = tuple(_node(n, 3 if n in "xy" else 1) for n in names)
    index = {n: i for i, n in enumerate(names)}
    links = _links(index, [("A", "x", rate), ("B", "x", rate), ("x", "y", rate),
                           ("y", "C", rate), ("y", "D", rate)])
    links = tuple(dataclasses.replace(link, rate=3 * rate) if {link.u, link.v} == {2, 3}
                  else link for link in links)
    return NetworkInstance(name="dumbbell", nodes=nodes, links=links, requests=(),
                           physics=Physics(swap_latency=0.0, fusion_success=0.5),
                           ghz=(GhzRequest("G", (0, 1, 4, 5)),))


# -- planning, hand-computed ---------------------------------------------------------------
def test_three_leaves_of_a_star_with_equal_links() -> None:
    """One copy (the hub has three memories): fusion_success / (11/6 · T), T = 1/100 s."""
    inst = star({"A": 100.0, "B": 100.0, "C": 100.0}, ("A", "B", "C"), hub_memories=3)
    plan, info = METHODS["iterative"](inst)
    report = validate(inst, plan)
    assert report.ok, report.violations
    expected = Q_FUSION / (Fraction(11, 6) * Fraction(1, 100))
    assert dict(plan.requests)["G"] == pytest.approx(float(expected), rel=1e-12)
    assert report.objective == pytest.approx(float(expected), rel=1e-12)
    assert info.objective == pytest.approx(float(expected), rel=1e-12)
    (fusion,) = plan.fusions
    assert fusion.centre == "H" and fusion.parent == -1 and len(fusion.trees) == 3
    assert fusion.rate == pytest.approx(float(expected) / Q_FUSION, rel=1e-12)


def test_unequal_branches_take_the_exact_maximum() -> None:
    inst = star({"A": 100.0, "B": 50.0, "C": 25.0}, ("A", "B", "C"), hub_memories=3)
    plan, _ = METHODS["iterative"](inst)
    assert validate(inst, plan).ok
    # rates 100, 50, 25: E[max] = Σ 1/λ − Σ 1/(λi + λj) + 1/Σ λ
    wait = (Fraction(1, 100) + Fraction(1, 50) + Fraction(1, 25) - Fraction(1, 150)
            - Fraction(1, 125) - Fraction(1, 75) + Fraction(1, 175))
    assert dict(plan.requests)["G"] == pytest.approx(Q_FUSION / float(wait), rel=1e-12)


def test_four_leaves_and_two_copies() -> None:
    """Four parties: H_4 = 25/12; a hub of eight memories runs two copies (leaves of two
    memories: a link rate of 200 at both memories is 100 per copy)."""
    inst = star({x: 200.0 for x in "ABCD"}, tuple("ABCD"), hub_memories=8)
    inst = dataclasses.replace(inst, nodes=tuple(
        dataclasses.replace(n, memories=2) if n.id != "H" else n for n in inst.nodes))
    plan, _ = METHODS["iterative"](inst)
    assert validate(inst, plan).ok
    one = Q_FUSION / (Fraction(25, 12) / 100)
    assert len(plan.fusions) == 2
    assert dict(plan.requests)["G"] == pytest.approx(2 * float(one), rel=1e-12)


def test_a_party_at_the_centre_keeps_its_qubit() -> None:
    """GHZ among H, A, B: two branches at H, H_2 = 3/2."""
    inst = star({"A": 100.0, "B": 100.0, "C": 100.0}, ("H", "A", "B"), hub_memories=2)
    plan, _ = METHODS["iterative"](inst)
    assert validate(inst, plan).ok
    assert dict(plan.requests)["G"] == pytest.approx(Q_FUSION / (1.5 / 100), rel=1e-12)


def test_default_fusion_success_is_the_centres_swap_success() -> None:
    inst = star({"A": 100.0, "B": 100.0, "C": 100.0}, ("A", "B", "C"), hub_memories=3,
                fusion=None)
    plan, _ = METHODS["iterative"](inst)
    assert plan.fusions[0].success == 0.5
    assert dict(plan.requests)["G"] == pytest.approx(0.5 / (11 / 6 / 100), rel=1e-12)


def test_a_tree_of_fusions_where_no_star_fits() -> None:
    """Rooted at x or y alike: the child fuses its two leaves and the x–y pair
    (T_c = H_3 / R / q), the root waits for two leaves and the child."""
    inst = dumbbell(100.0)
    plan, _ = METHODS["iterative"](inst)
    report = validate(inst, plan)
    assert report.ok, report.violations
    q, a = 0.5, 100.0
    child = float(Fraction(11, 6) / 100) / q
    b = 1 / child
    # E[max] of rates a, a, b: 2/a + 1/b − 1/(2a) − 2/(a + b) + 1/(2a + b)
    wait = 2 / a + 1 / b - 1 / (2 * a) - 2 / (a + b) + 1 / (2 * a + b)
    assert wait == pytest.approx(expected_max([1 / a, 1 / a, child]), rel=1e-12)
    assert dict(plan.requests)["G"] == pytest.approx(q / wait, rel=1e-12)
    assert len(plan.fusions) == 2
    root = [f for f in plan.fusions if f.parent == -1]
    assert len(root) == 1 and root[0].centre in ("x", "y")


def waxman_with_ghz(seed: int) -> NetworkInstance:
    """A seeded Waxman-30 network with two pair requests and two GHZ requests."""
    inst = waxman_instance(30, density=0.15, requests=2, seed=seed)
    return dataclasses.replace(inst, ghz=(GhzRequest("G", (0, 7, 14, 21)),
                                          GhzRequest("H", (1, 9, 17))))


def test_ghz_and_pair_requests_on_waxman_networks_validate() -> None:
    for seed in range(3):
        inst = waxman_with_ghz(seed)
        plan, info = METHODS["iterative"](inst)
        report = validate(inst, plan)
        assert report.ok, report.violations
        assert report.objective == pytest.approx(info.objective, rel=1e-9)
        rates = dict(plan.requests)
        assert set(rates) == {"r0", "r1", "G", "H"}
        for g in ("G", "H"):
            assert rates[g] > 0 or plan.reason(g)


def test_plan_files_round_trip(tmp_path: Path) -> None:
    inst = dumbbell()
    plan, _ = METHODS["iterative"](inst)
    from qdcopt.api import load_plan, save_plan

    save_plan(plan, tmp_path / "p")
    assert (tmp_path / "p" / "fusions.csv").is_file()
    back, _ = load_plan(tmp_path / "p")
    assert back.fusions == plan.fusions
    assert back.requests == plan.requests
    assert validate(inst, back).ok


# -- refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "options"), [
    ("lp", {"resources": "attempts"}), ("lp-hyperflow", {}), ("lp-pruned", {}),
    ("lp-pyomo", {}), ("greedy", {}), ("iterative", {"resources": "attempts"}),
    ("lp-calibrated", {})])
def test_methods_without_fusions_refuse_ghz_requests(method: str, options: dict) -> None:
    inst = dumbbell()
    with pytest.raises(ValueError, match="GHZ requests are planned by iterative"):
        METHODS[method](inst, **options)


# -- loading -----------------------------------------------------------------------------------
STAR_FILE = """kind = "network"
name = "ghz"
[physics]
swap_latency = 0
{physics}
[[nodes]]
id = "H"
memories = 3
[[nodes]]
id = "A"
[[nodes]]
id = "B"
[[nodes]]
id = "C"
[[nodes]]
id = "Z"
[[links]]
u = "H"
v = "A"
rate = 100
[[links]]
u = "H"
v = "B"
rate = 100
[[links]]
u = "H"
v = "C"
rate = 100
[[requests]]
id = "p"
source = "A"
destination = "B"
[[requests]]
id = "G"
{request}
"""


def _file(tmp_path: Path, request: str, physics: str = "") -> Path:
    path = tmp_path / "ghz.toml"
    path.write_text(STAR_FILE.format(request=request, physics=physics))
    return path


def test_a_ghz_request_loads_beside_a_pair_request(tmp_path: Path) -> None:
    inst = qdcopt.load_instance(_file(tmp_path, 'nodes = ["A", "C", "B"]\nweight = 2.5',
                                      "fusion_success = 0.9"))
    assert [r.id for r in inst.requests] == ["p"]
    assert inst.ghz == (GhzRequest("G", (1, 3, 2), 2.5),)
    assert inst.physics.fusion_success == 0.9
    assert inst.ghz[0].parties == (1, 3, 2) and inst.requests[0].parties == (1, 2)


@pytest.mark.parametrize(("request_text", "physics", "field", "rule"), [
    ('nodes = ["A", "B", "C"]\nsource = "A"', "", "requests[1].nodes", "remove source"),
    ('nodes = ["A", "B", "C"]\ndestination = "C"', "", "requests[1].nodes",
     "remove destination"),
    ('nodes = ["A", "B"]', "", "requests[1].nodes", "needs 3 to 16 distinct nodes"),
    ('nodes = ["A", "B", "A"]', "", "requests[1].nodes", "named twice"),
    ('nodes = ["A", "B", "Q"]', "", "requests[1].nodes", "unknown node id 'Q'"),
    ('nodes = ["A", "B", "Z"]', "", "requests[1].nodes", "disconnected"),
    ('nodes = "A B C"', "", "requests[1].nodes", "must be a list of node ids"),
    ('nodes = ["A", "B", "C"]\nmin_fidelity = 0.9', "", "requests[1].min_fidelity",
     "needs the fidelity of fresh link pairs"),
    ('nodes = ["A", "B", "C"]', "fusion_success = 0", "physics.fusion_success", "> 0"),
    ('nodes = ["A", "B", "C"]', "fusion_success = 1.5", "physics.fusion_success", "≤ 1"),
])
def test_bad_ghz_requests_are_load_errors(tmp_path: Path, request_text: str, physics: str,
                                          field: str, rule: str) -> None:
    path = _file(tmp_path, request_text, physics)
    with pytest.raises(InstanceError) as exc:
        qdcopt.load_instance(path)
    assert exc.value.field == field
    assert rule in exc.value.rule
    res = runner.invoke(app, ["solve", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    line = res.stderr.strip()
    assert line.count("\n") == 0 and str(path.name) in line and field in line


def test_code_built_ghz_requests_are_checked() -> None:
    with pytest.raises(InstanceError, match="distinct"):
        GhzRequest("G", (1, 1, 2))
    with pytest.raises(InstanceError, match="3 to 16"):
        GhzRequest("G", (1, 2))
    with pytest.raises(InstanceError, match="fusion_success"):
        Physics(fusion_success=0.0)
    inst = dumbbell()
    with pytest.raises(InstanceError, match="duplicate id"):
        dataclasses.replace(inst, requests=(Request("G", 0, 1),))


def test_instance_documents_round_trip_ghz_requests(tmp_path: Path) -> None:
    import json

    from qdcopt.network.instance import load_network, to_document

    inst = dumbbell()
    path = tmp_path / "d.json"
    path.write_text(json.dumps(to_document(inst)))
    back = load_network(path)
    assert back.ghz == inst.ghz
    assert back.physics.fusion_success == inst.physics.fusion_success


# -- the validator's fusion rules, each broken in exactly one way ------------------------------
def _codes(inst: NetworkInstance, plan) -> set[str]:
    return {v.code for v in validate(inst, plan).violations}


def _valid() -> tuple[NetworkInstance, object]:
    inst = dumbbell()
    plan, _ = METHODS["iterative"](inst)
    assert _codes(inst, plan) == set()
    return inst, plan


def test_b10_a_centre_without_an_end_of_its_trees_pair() -> None:
    inst, plan = _valid()
    a, b = plan.fusions
    swapped = (dataclasses.replace(a, trees=b.trees), dataclasses.replace(b, trees=a.trees))
    assert _codes(inst, dataclasses.replace(plan, fusions=swapped)) == {"B10-FUSION-SHAPE"}


def test_b10_a_tree_that_feeds_no_fusion() -> None:
    inst, plan = _valid()
    root = next(f for f in plan.fusions if f.parent == -1)
    leaf_branch = root.trees[0]
    fusions = tuple(dataclasses.replace(f, trees=tuple(t for t in f.trees
                                                       if t != leaf_branch))
                    for f in plan.fusions)
    report = validate(inst, dataclasses.replace(plan, fusions=fusions))
    assert {v.code for v in report.violations} == {"B10-FUSION-SHAPE"}
    assert any("feeds no fusion" in v.message for v in report.violations)


def test_b10_a_state_over_other_parties() -> None:
    inst, plan = _valid()
    other = dataclasses.replace(inst, ghz=(GhzRequest("G", (0, 1, 4, 3)),))  # y, not D
    report = validate(other, plan)
    assert {v.code for v in report.violations} == {"B10-FUSION-SHAPE"}
    assert any("not the request's parties" in v.message for v in report.violations)


def test_b11_a_success_the_centre_does_not_have() -> None:
    inst, plan = _valid()
    child = next(f for f in plan.fusions if f.parent != -1)
    fusions = tuple(dataclasses.replace(f, success=0.9) if f is child else f
                    for f in plan.fusions)
    report = validate(inst, dataclasses.replace(plan, fusions=fusions))
    assert {v.code for v in report.violations} == {"B11-FUSION-RATE"}


def test_b11_a_request_rate_its_fusions_do_not_make() -> None:
    inst, plan = _valid()
    requests = tuple((rid, rate * 1.01) for rid, rate in plan.requests)
    assert _codes(inst, dataclasses.replace(plan, requests=requests)) == {"B11-FUSION-RATE"}


def test_b11_a_fusion_faster_than_a_tree_feeding_it() -> None:
    inst, plan = _valid()
    root = next(f for f in plan.fusions if f.parent == -1)
    slow = root.trees[0]
    # the tree delivers less than the fusion takes; its links and the plan's flows
    # still cover the fusion, so no other rule breaks
    trees = tuple(dataclasses.replace(t, rate=t.rate * 0.9) if t.tree == slow else t
                  for t in plan.trees)
    assert _codes(inst, dataclasses.replace(plan, trees=trees)) == {"B11-FUSION-RATE"}


def test_b12_a_structure_faster_than_its_latency_allows() -> None:
    inst, plan = _valid()
    k = 1.2
    fusions = tuple(dataclasses.replace(f, rate=f.rate * k) for f in plan.fusions)
    trees = tuple(dataclasses.replace(t, rate=t.rate * k) for t in plan.trees)
    requests = tuple((rid, rate * k) for rid, rate in plan.requests)
    broken = dataclasses.replace(plan, fusions=fusions, trees=trees, requests=requests)
    assert _codes(inst, broken) == {"B12-FUSION-LATENCY"}


def test_compare_on_a_network_with_ghz_requests_runs_the_method_that_plans_them(
        tmp_path: Path) -> None:
    # greedy refuses GHZ requests: compare's default is lp and iterative there, and the
    # usual three elsewhere
    from qdcopt.network import COMPARE_METHODS, compare_for

    path = _file(tmp_path, 'nodes = ["A", "C", "B"]')
    inst = qdcopt.load_instance(path)
    assert compare_for(inst) == ("lp", "iterative")
    plain = qdcopt.load_instance(Path(__file__).resolve().parents[2] / "instances" / "network"
                                 / "path3.toml")
    assert compare_for(plain) == COMPARE_METHODS
    res = CliRunner().invoke(app, ["compare", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert '"iterative"' in res.output and '"lp"' in res.output
    assert '"greedy"' not in res.output


# -- fidelity targets ------------------------------------------------------------------------
def _targeted(tmp_path: Path, target: float | None) -> NetworkInstance:
    # the star file without its pair request: the hub's 3 memories hold one star copy
    extra = "" if target is None else f"\nmin_fidelity = {target!r}"
    text = STAR_FILE.replace('[[requests]]\nid = "p"\nsource = "A"\ndestination = "B"\n',
                             "")
    path = tmp_path / "target.toml"
    path.write_text(text.format(request='nodes = ["A", "C", "B"]' + extra,
                                physics="link_fidelity = 0.95"))
    return qdcopt.load_instance(path)


@pytest.mark.parametrize("method", ["iterative", "lp"])
def test_a_ghz_target_keeps_only_structures_that_reach_it(tmp_path: Path, method: str) -> None:
    from qdcopt.network.validate import validate as check

    free = _targeted(tmp_path, None)
    plan, _ = METHODS[method](free)
    rate = dict(plan.requests)["G"]
    assert rate > 0
    # the star's fidelity, from the plan's own fusion row and branch trees
    fid = _plan_ghz_fidelity(free, plan)
    below, above = _targeted(tmp_path, round(fid - 1e-4, 6)), _targeted(tmp_path,
                                                                       round(fid + 1e-4, 6))
    served, _ = METHODS[method](below)
    assert dict(served.requests)["G"] == pytest.approx(rate, rel=1e-12)
    assert check(below, served).ok
    refused, _ = METHODS[method](above)
    assert dict(refused.requests)["G"] == 0.0
    assert "min_fidelity" in dict(refused.reasons)["G"]
    assert check(above, refused).ok
    # the plan made without the target breaks B9 under it, and only B9
    report = check(above, plan)
    assert report.codes() == {"B9-FIDELITY"}


def _plan_ghz_fidelity(instance: NetworkInstance, plan) -> float:
    from qdcopt.network.ghz.model import ROOT, Fusion, FusionStructure, structure_fidelity
    from qdcopt.network.validate import _tree_indices

    trees = {t.tree: _tree_indices(instance, t, lambda *_, **__: None) for t in plan.trees}
    root = next(f for f in plan.fusions if f.parent == ROOT)  # the first copy's star
    branch = [trees[t] for t in root.trees]
    s = FusionStructure(request=0, rate=0.0, fusions=(Fusion(
        instance.node_index[root.centre], ROOT, tuple(range(len(branch)))),),
        trees=tuple(branch))
    return structure_fidelity(instance, s)


def test_ghz_targets_load_check_and_round_trip(tmp_path: Path) -> None:
    import json

    from qdcopt.network.instance import load_network, to_document

    inst = _targeted(tmp_path, 0.8)
    assert inst.ghz[0].min_fidelity == 0.8
    path = tmp_path / "t.json"
    path.write_text(json.dumps(to_document(inst)))
    again = load_network(path)
    assert again.ghz == inst.ghz and again.physics == inst.physics
    for request, physics, field in (
            ('nodes = ["A", "C", "B"]\nmin_fidelity = 0.8', "", "requests[1].min_fidelity"),
            ('nodes = ["A", "C", "B"]\nmin_fidelity = 0.3', "link_fidelity = 0.95",
             "requests[1].min_fidelity")):
        res = CliRunner().invoke(app, ["solve", str(_file(tmp_path, request, physics))])
        assert res.exit_code == 2 and field in res.output, res.output


@pytest.mark.parametrize("method", ["iterative", "lp"])
def test_a_ghz_target_above_the_plain_star_is_met_with_purified_branches(
        tmp_path: Path, method: str) -> None:
    # a hub of 6 memories leaves room to purify the branches: a target just above the
    # plain star's fidelity is then served, slower, by a star whose branches purify
    from qdcopt.network.validate import validate as check

    def load(target: float | None) -> NetworkInstance:
        extra = "" if target is None else f"\nmin_fidelity = {target!r}"
        text = STAR_FILE.replace('[[requests]]\nid = "p"\nsource = "A"\ndestination = "B"\n',
                                 "").replace("memories = 3", "memories = 6")
        path = tmp_path / "wide.toml"
        path.write_text(text.format(request='nodes = ["A", "C", "B"]' + extra,
                                    physics="link_fidelity = 0.95"))
        return qdcopt.load_instance(path)

    plain = load(None)
    plan, _ = METHODS[method](plain)
    fid = _plan_ghz_fidelity(plain, plan)
    target = round(fid + 0.01, 6)
    inst = load(target)
    purified, _ = METHODS[method](inst)
    rate = dict(purified.requests)["G"]
    assert 0 < rate < dict(plan.requests)["G"]
    assert purified.purifications  # the branches purify
    assert check(inst, purified).ok  # B9 included: every structure reaches the target
    assert check(inst, plan).codes() == {"B9-FIDELITY"}
