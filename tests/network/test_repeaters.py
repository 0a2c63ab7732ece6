"""Repeaters on long links: the graph transformation, files, plans and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.errors import InstanceError
from qdcopt.network.instance import Link, NetworkInstance, Node, Request
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model, swap_latency_term
from qdcopt.network.resources import both_ready, slot_link_rate
from qdcopt.network.topology.repeaters import insert_repeaters, repeater_id

ROOT = Path(__file__).resolve().parents[2]
ABILENE = ROOT / "instances" / "network" / "abilene.gml"
runner = CliRunner()


def _pair(length: float) -> NetworkInstance:
    nodes = tuple(Node(id=i, x=x, y=0.0, memories=2, generation_time=1e-3,
                       generation_success=1.0, swap_success=0.5)
                  for i, x in (("A", 0.0), ("B", length)))
    return NetworkInstance(name="pair", nodes=nodes, links=(Link(u=0, v=1, length=length),),
                           requests=(Request(id="r", source=0, destination=1),))


def test_a_120_km_link_at_50_km_becomes_three_40_km_links():
    inst = insert_repeaters(_pair(120.0), 50.0)
    assert [n.id for n in inst.nodes] == ["A", "B", "A..B#1", "A..B#2"]
    assert [(link.u, link.v, link.length) for link in inst.links] == [
        (0, 2, 40.0), (2, 3, 40.0), (1, 3, 40.0)]
    assert [n.x for n in inst.nodes[2:]] == [40.0, 80.0]
    assert [(r.u, r.v, r.position, r.segments) for r in inst.repeaters] == [
        ("A", "B", 1, 3), ("A", "B", 2, 3)]
    assert inst.requests == _pair(120.0).requests  # ends keep their indices
    # a link no longer than the spacing is kept; the ids do not depend on the spacing
    assert insert_repeaters(_pair(50.0), 50.0).links == _pair(50.0).links
    assert repeater_id("A", "B", 1) in {n.id for n in insert_repeaters(_pair(120.0), 41.0).nodes}


def test_bad_spacing_and_memories_are_refused():
    for bad in (0, -5, float("nan"), float("inf"), "50"):
        with pytest.raises(InstanceError, match="repeater_spacing"):
            insert_repeaters(_pair(120.0), bad)
    with pytest.raises(InstanceError, match="repeater_memories"):
        insert_repeaters(_pair(120.0), 50.0, memories=0)
    with pytest.raises(InstanceError, match="would add 999999 repeaters"):
        insert_repeaters(_pair(1000.0), 1e-3)
    # a spacing near zero names the count by its order of magnitude, in one short line
    with pytest.raises(InstanceError, match=r"would add about 1\.0e\+303 repeaters") as err:
        insert_repeaters(_pair(1000.0), 1e-300)
    assert len(str(err.value)) < 200


def test_lp_on_a_chain_with_repeaters_is_the_hand_computed_rate():
    # 60 km at 30 km spacing: A – R – B, two 30 km links, one swap at the repeater
    inst = insert_repeaters(_pair(60.0), 30.0)
    model = link_model(inst)
    g = slot_link_rate(inst, model)
    # p = p_gen² · exp(-30 / 20) · p_obsm, p_gen = 1, p_obsm = 0.4 / 2 (physics default)
    p = math.exp(-1.5) * 0.2
    assert model.success[0] == pytest.approx(p)
    assert g == pytest.approx([p / 1e-3, p / 1e-3])  # one attempt per millisecond
    latency = (both_ready(1 / g[0], 1 / g[1]) + swap_latency_term(model, inst, 2, 0, 1)) / 0.5
    plan, info = METHODS["lp"](inst)
    # the repeater holds one copy's two link ends: one copy at 1/T
    assert info.status == "optimal" and info.objective == pytest.approx(1 / latency)
    assert [t.nodes[0].swap_at for t in plan.trees] == ["A..B#1"]


def test_toml_physics_asks_for_repeaters(tmp_path):
    text = """kind = "network"
[physics]
repeater_spacing = 50
repeater_memories = 3
[[nodes]]
id = "A"
[[nodes]]
id = "B"
x = 120.0
[[links]]
u = "A"
v = "B"
[[requests]]
id = "r"
source = "A"
destination = "B"
"""
    path = tmp_path / "long.toml"
    path.write_text(text)
    inst = qdcopt.load_instance(path)
    assert len(inst.links) == 3 and [n.memories for n in inst.nodes[2:]] == [3, 3]
    assert inst.physics.repeater_spacing is None  # applied, not to be applied again
    path.write_text(text.replace("repeater_spacing = 50\n", ""))
    with pytest.raises(InstanceError, match="repeater_memories"):
        qdcopt.load_instance(path)


def test_abilene_plans_and_the_mapping_survives_the_plan_folder(tmp_path):
    out = tmp_path / "plan"
    res = runner.invoke(app, ["solve", str(ABILENE), "-m", "greedy", "--requests",
                              "New York-Washington", "--repeater-spacing", "100",
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["report"]["objective"] > 0
    plan, _ = qdcopt.load_plan(out)
    rows = {r[0]: r for r in plan.repeaters}
    # New York – Washington is about 330 km: four segments, three repeaters
    assert [rows[f"New York..Washington#{k}"][3:5] for k in (1, 2, 3)] == [
        (1, 4), (2, 4), (3, 4)]
    inst = qdcopt.load_instance(ABILENE, requests="New York-Washington",
                                repeater_spacing=100)
    assert qdcopt.validate(inst, plan).ok


def test_simulate_takes_graph_options():
    res = runner.invoke(app, ["simulate", str(ABILENE), "-m", "greedy", "--requests",
                              "New York-Washington", "--repeater-spacing", "100",
                              "--duration", "2", "--seeds", "1", "--policy", "fixed",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["requests"][0]["request"] == "r0"


# -- links below the success floor --------------------------------------------------------
def test_a_link_below_the_floor_gives_rate_zero_naming_it_and_repeaters_fix_it():
    inst = _pair(600.0)  # exp(-30) · 0.2 ≈ 1.9e-14 per attempt: below 1e-9
    for method, opts in (("lp", {}), ("lp", {"resources": "attempts"}),
                         ("lp-hyperflow", {}), ("iterative", {}), ("greedy", {})):
        plan, info = METHODS[method](inst, **opts)
        assert dict(plan.requests)["r"] == 0.0 and info.objective == 0.0, method
        why = plan.reason("r")
        assert "A–B (600 km" in why and "--repeater-spacing" in why, (method, why)
        assert qdcopt.validate(inst, plan).ok
    plan, _ = METHODS["lp"](insert_repeaters(inst, 50.0))
    assert dict(plan.requests)["r"] > 0


def test_column_generation_near_the_floor_is_an_honest_status():
    # a chain whose middle link sits just above the floor: costs up to 1e9 in the master
    nodes = tuple(Node(id=i, x=10.0 * k, y=0.0, memories=2, generation_time=1e-3,
                       generation_success=1.0, swap_success=0.5)
                  for k, i in enumerate("ABCD"))
    links = (Link(u=0, v=1, length=10.0), Link(u=1, v=2, length=20.0 * math.log(0.2 / 2e-9)),
             Link(u=2, v=3, length=10.0), Link(u=0, v=3, length=400.0))
    inst = NetworkInstance(name="near", nodes=nodes, links=links,
                           requests=(Request(id="r", source=0, destination=3),))
    for opts in ({}, {"resources": "attempts"}):
        plan, info = METHODS["lp"](inst, **opts)
        assert info.status in {"optimal", "restricted", "feasible", "time_limit"}
        report = qdcopt.validate(inst, plan)
        assert report.ok and report.objective == pytest.approx(info.objective, rel=1e-6)
