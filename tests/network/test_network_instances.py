"""Loading family-B instances: hand instances, bad files, graph files, Waxman generator."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from qdcopt.errors import InstanceError
from qdcopt.network import load_graph_file
from qdcopt.network.instance import load_network, to_document
from qdcopt.network.physics import link_model, swap_gain
from qdcopt.network.topology.waxman import waxman_instance

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances" / "network"
DATA = Path(__file__).resolve().parent / "data"

BAD = {
    "bad_negative_length.toml": "links[0].length",
    "bad_unknown_node.toml": "links[0].v",
    "bad_duplicate_link.toml": "links[1].v",
    "bad_swap_success.toml": "physics.swap_success",
    "bad_self_request.toml": "requests[0].destination",
    "bad_unknown_field.toml": "nodes[0].memorys",
    "bad_zero_memories.toml": "nodes[0].memories",
    "bad_duplicate_node.toml": "nodes[1].id",
    "bad_zero_rate.toml": "links[0].rate",
    "bad_negative_generation_time.toml": "physics.generation_time",
    "bad_no_requests.toml": "requests",
    "bad_negative_weight.toml": "requests[0].weight",
}


@pytest.mark.parametrize(("name", "field"), sorted(BAD.items()))
def test_network_bad_file_names_its_field(name: str, field: str) -> None:
    with pytest.raises(InstanceError) as err:
        load_network(DATA / name)
    assert err.value.field == field
    assert name in err.value.message


def test_network_bad_graph_file() -> None:
    with pytest.raises(InstanceError):
        load_graph_file(DATA / "bad_truncated.gml")
    with pytest.raises(InstanceError):
        load_graph_file(DATA / "missing.graphml")


@pytest.mark.parametrize("name", ["path3", "path4", "diamond", "star", "waxman100"])
def test_network_shipped_instances_load(name: str) -> None:
    inst = load_network(INSTANCES / f"{name}.toml")
    assert inst.family == "network"
    assert inst.requests and inst.links


def test_network_link_model_from_physics() -> None:
    # d = 20 km = L0: p = 0.33 · 0.33 · e^-1 · 0.2; C = 5 / 50 µs = 1e5 attempts/s.
    inst = waxman_instance(5, requests=1, seed=3)
    doc = to_document(inst)
    doc["links"] = [{"u": "0", "v": "1", "length": 20.0}]
    doc["requests"] = [{"id": "r", "source": "0", "destination": "1"}]
    one = load_network("x.toml", doc)
    model = link_model(one)
    p = 0.33 * 0.33 * math.exp(-1.0) * 0.2
    assert model.success[0] == pytest.approx(p, rel=1e-12)
    assert model.node_capacity[0] == pytest.approx(1e5)
    assert model.capacity[0] == pytest.approx(p * 1e5)
    assert swap_gain(np.array([0.4]), "published")[0] == pytest.approx(0.4 * 2 / 3)
    assert swap_gain(np.array([0.4]), "steady_state")[0] == pytest.approx(0.4)


def test_network_explicit_rate_gives_capacity() -> None:
    inst = load_network(INSTANCES / "path3.toml")
    model = link_model(inst)
    assert np.allclose(model.success, 0.1)
    assert np.allclose(model.capacity, 100.0)
    assert np.allclose(model.node_capacity, 1000.0)


def test_network_waxman_is_deterministic_and_paper_like() -> None:
    a = waxman_instance(50, requests=10, seed=7)
    b = waxman_instance(50, requests=10, seed=7)
    c = waxman_instance(50, requests=10, seed=8)
    assert a == b
    assert a.links != c.links
    m = round(0.1 * 50 * 49 / 2)
    assert m <= len(a.links) <= m + 49  # exact density plus joins of stray components
    assert all(n.memories == 5 and n.swap_success == 0.4 for n in a.nodes)
    assert a.physics.optical_bsm_success == pytest.approx(0.2)
    assert len({(r.source, r.destination) for r in a.requests}) == 10


def test_network_default_waxman_file_matches_generator() -> None:
    inst = waxman_instance(100, requests=10, seed=0, name="waxman100")
    back = load_network(INSTANCES / "waxman100.toml")
    assert back.nodes == inst.nodes and back.links == inst.links
    assert back.requests == inst.requests and back.physics == inst.physics


def test_network_document_round_trip() -> None:
    inst = waxman_instance(12, requests=3, seed=1)
    back = load_network("x.toml", to_document(inst))
    assert back.nodes == inst.nodes and back.links == inst.links
    assert back.requests == inst.requests and back.physics == inst.physics


def test_network_graphml_and_gml(tmp_path: Path) -> None:
    import networkx as nx

    g = nx.Graph(requests="a-c")
    g.add_node("a", x=0.0, y=0.0, memories=2)
    g.add_node("b", x=10.0, y=0.0)
    g.add_node("c", x=20.0, y=0.0)
    g.add_edge("a", "b", length=10.0)
    g.add_edge("b", "c", rate=50.0)
    nx.write_graphml(g, tmp_path / "n.graphml")
    nx.write_gml(g, tmp_path / "n.gml")
    for file in ("n.graphml", "n.gml"):
        inst = load_graph_file(tmp_path / file, swap_success=0.5)
        assert [n.id for n in inst.nodes] == ["a", "b", "c"]
        assert inst.nodes[0].memories == 2 and inst.nodes[1].swap_success == 0.5
        assert inst.links[0].length == 10.0 and inst.links[1].rate == 50.0
        assert [(r.source, r.destination) for r in inst.requests] == [(0, 2)]
