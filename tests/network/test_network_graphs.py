"""Real topologies load as they are: Topology-Zoo-style GML files and networkx graphs.

``data/zoo_small.gml`` (see its header): five Dutch cities with lat/lon, three edges with
``dist`` and two without, no x/y and no requests.  The lengths of the two edges without
``dist`` are checked against the spherical law of cosines (a different formula from the
loader's haversine) and a flat-earth estimate done by hand.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import qdcopt
from qdcopt.errors import InstanceError
from qdcopt.network import load_graph_file, network_instance_from_graph
from qdcopt.network.topology.graphs import parse_requests, random_requests

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
ZOO = DATA / "zoo_small.gml"
R = 6371.0


def _cosines_km(lat1, lon1, lat2, lon2):
    a, b, c, d = map(math.radians, (lat1, lon1, lat2, lon2))
    return R * math.acos(math.sin(a) * math.sin(c)
                         + math.cos(a) * math.cos(c) * math.cos(d - b))


def _lengths(inst):
    ids = [n.id for n in inst.nodes]
    return {frozenset((ids[k.u], ids[k.v])): k.length for k in inst.links}


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", "from qdcopt.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, check=False)


def test_zoo_lengths_from_dist_and_from_lat_lon():
    inst = load_graph_file(ZOO, requests="Amsterdam-Eindhoven")
    assert [n.id for n in inst.nodes] == ["Amsterdam", "Den-Haag", "Utrecht", "Rotterdam",
                                          "Eindhoven"]
    length = _lengths(inst)
    assert length[frozenset(("Amsterdam", "Den-Haag"))] == 60.0
    assert length[frozenset(("Den-Haag", "Rotterdam"))] == 24.5
    assert length[frozenset(("Utrecht", "Eindhoven"))] == 91.0
    au = length[frozenset(("Amsterdam", "Utrecht"))]
    ru = length[frozenset(("Rotterdam", "Utrecht"))]
    assert au == pytest.approx(_cosines_km(52.37, 4.90, 52.09, 5.12), rel=1e-9)
    assert ru == pytest.approx(_cosines_km(51.92, 4.48, 52.09, 5.12), rel=1e-9)
    # by hand: 1 degree = 111.195 km; Amsterdam-Utrecht 0.28 deg north, 0.22 deg east at
    # cos(52.23 deg) = 0.6124 -> sqrt(31.13^2 + 14.98^2) = 34.55 km
    assert au == pytest.approx(34.55, abs=0.05)
    assert ru == pytest.approx(47.71, abs=0.05)
    assert all(k.length > 0 for k in inst.links)  # no link silently 0 km long


def test_zoo_keys_of_the_zoo_itself_and_x_y(tmp_path):
    g = nx.Graph()
    g.add_node("p", Latitude=0.0, Longitude=0.0)
    g.add_node("q", Latitude=0.0, Longitude=1.0)
    g.add_node("s", x=0.0, y=0.0)
    g.add_node("t", x=3.0, y=4.0)
    g.add_edge("p", "q")
    g.add_edge("s", "t")
    g.add_edge("q", "s", length=7.0)
    inst = network_instance_from_graph(g, requests=[("p", "t")])
    length = _lengths(inst)
    # one degree of the equator: 2*pi*6371/360
    assert length[frozenset("pq")] == pytest.approx(2 * math.pi * R / 360, rel=1e-12)
    assert length[frozenset("st")] == 5.0
    assert length[frozenset("qs")] == 7.0


def test_no_length_is_refused_with_exit_2_and_one_line():
    with pytest.raises(InstanceError, match="edge A–B: has no length"):
        load_graph_file(DATA / "bad_zoo_no_length.gml", requests="A-C")
    res = _run("solve", str(DATA / "bad_zoo_no_length.gml"), "--requests", "A-C")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert "bad_zoo_no_length.gml" in lines[0] and "edge A–B" in lines[0]
    assert "dist" in lines[0] and "lat" in lines[0]


def test_graph_without_requests_is_refused():
    res = _run("solve", str(ZOO))
    assert res.returncode == 2
    assert "names no requests" in res.stderr and "--requests" in res.stderr


IDS = ["Amsterdam", "Den-Haag", "Utrecht", "Rotterdam", "Eindhoven"]


@pytest.mark.parametrize(("text", "pairs"), [
    ("Amsterdam-Utrecht", [("Amsterdam", "Utrecht")]),
    ("Amsterdam-Den-Haag", [("Amsterdam", "Den-Haag")]),  # the one split into two ids
    ("Den-Haag-Eindhoven, Utrecht - Rotterdam",
     [("Den-Haag", "Eindhoven"), ("Utrecht", "Rotterdam")]),
    ("Den-Haag~Utrecht,Den-Haag->Eindhoven",
     [("Den-Haag", "Utrecht"), ("Den-Haag", "Eindhoven")]),
    ("Amsterdam~Utrecht;Rotterdam~Eindhoven",
     [("Amsterdam", "Utrecht"), ("Rotterdam", "Eindhoven")]),
])
def test_request_text(text, pairs):
    assert parse_requests(text, IDS) == pairs


def test_request_text_with_commas_in_ids():
    ids = ["Washington, DC", "Boston", "New-York"]
    assert parse_requests("Washington, DC~Boston; New-York-Boston", ids) == [
        ("Washington, DC", "Boston"), ("New-York", "Boston")]


@pytest.mark.parametrize(("text", "rule"), [
    ("Amsterdam-Nowhere", "unknown node id 'Nowhere'"),
    ("Amsterdam", "must join two node ids"),
    ("Amsterdam-Amsterdam", "two different nodes"),
    ("x-y-z", "more than one way"),
    ("Amsterdam~Utrecht~Rotterdam", "exactly two"),
    ("Amsterdam-Utrecht,,Rotterdam-Utrecht", "empty pair"),
    ("", "names no request"),
])
def test_bad_request_text(text, rule):
    with pytest.raises(InstanceError, match=rule):
        parse_requests(text, [*IDS, "x", "x-y", "y-z", "z"], file="g.gml", field="--requests")


def test_requests_on_the_command_line_with_dashed_ids():
    res = _run("solve", str(ZOO), "-m", "greedy", "--json", "--requests",
               "Amsterdam-Den-Haag,Den-Haag~Eindhoven")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["report"]["valid"] and len(out["report"]["metrics"]["rate_per_request"]) == 2
    inst = load_graph_file(ZOO, requests="Amsterdam-Den-Haag,Den-Haag~Eindhoven")
    ids = [n.id for n in inst.nodes]
    assert [(ids[r.source], ids[r.destination]) for r in inst.requests] == [
        ("Amsterdam", "Den-Haag"), ("Den-Haag", "Eindhoven")]


def test_request_options_are_refused_for_instance_files():
    res = _run("solve", "instances/network/path3.toml", "--requests", "A-C")
    assert res.returncode == 2
    assert "apply only to graph files" in res.stderr


def test_random_requests_are_seeded_distinct_and_connected():
    g = nx.path_graph(6)
    g.add_edge(10, 11)  # a second component: 10-11 is the only pair across it
    nx.set_edge_attributes(g, 10.0, "length")
    draws = {s: random_requests(g, 8, s) for s in range(5)}
    assert draws[3] == random_requests(g, 8, 3)  # same seed, same pairs
    assert len({tuple(d) for d in draws.values()}) > 1  # the seed matters
    comp = {str(n): c for c, part in enumerate(nx.connected_components(g)) for n in part}
    for pairs in draws.values():
        assert len({frozenset(p) for p in pairs}) == 8  # distinct pairs
        assert all(comp[a] == comp[b] and a != b for a, b in pairs)
    assert len(random_requests(g, 16, 0)) == 16  # 15 pairs in the path + 1
    with pytest.raises(InstanceError, match="17 distinct node pairs"):
        random_requests(g, 17, 0)
    with pytest.raises(InstanceError, match="positive integer"):
        random_requests(g, 0, 0)


def test_random_requests_on_the_command_line_are_deterministic():
    first = _run("solve", str(ZOO), "-m", "greedy", "--json", "--random-requests", "3",
                 "--seed", "4")
    again = _run("solve", str(ZOO), "-m", "greedy", "--json", "--random-requests", "3",
                 "--seed", "4")
    assert first.returncode == again.returncode == 0, first.stderr
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert a["report"] == b["report"]
    inst = qdcopt.load_instance(ZOO, random_requests=3, seed=4)
    assert len(inst.requests) == 3
    assert inst.requests == qdcopt.load_instance(ZOO, random_requests=3, seed=4).requests


def test_networkx_graph_through_the_api():
    g = nx.read_gml(ZOO, label="label")
    inst = qdcopt.load_instance(g, requests=[("Amsterdam", "Eindhoven")])
    from_file = load_graph_file(ZOO, requests="Amsterdam-Eindhoven")
    assert inst.links == from_file.links and inst.requests == from_file.requests
    assert inst.name == "zoo-small"
    plan, _ = qdcopt.solve(inst, "lp")
    report = qdcopt.validate(inst, plan)
    assert report.ok and report.objective > 0
    with pytest.raises(InstanceError, match="unknown node id"):
        qdcopt.load_instance(g, requests=[("Amsterdam", "Paris")])
