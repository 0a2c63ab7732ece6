"""Family-C instances: the paper's topologies, the loader's rules, bad input on the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdcopt.api import load_instance
from qdcopt.cli import app
from qdcopt.errors import InstanceError
from qdcopt.linklayer import physics, topologies
from qdcopt.linklayer.instance import load_linklayer

ROOT = Path(__file__).resolve().parents[2]
LL = ROOT / "instances" / "linklayer"

# |E| and ν of every Table V graph, counted by hand from Fig. 5.
EXPECTED = {"K_{1,3}": (4, 3, 1), "K_{1,4}": (5, 4, 1), "K_{2,3}": (5, 6, 2), "K_2": (2, 1, 1),
            "K_3": (3, 3, 1), "K_4": (4, 6, 2), "2x2": (4, 4, 2), "2x3": (6, 7, 3),
            "3x3": (9, 12, 4), "C_5": (5, 5, 2), "C_6": (6, 6, 3), "F_2": (5, 6, 2),
            "F_3": (7, 9, 3), "W_6": (6, 10, 3)}


@pytest.mark.parametrize(("label", "graph", "params"), topologies.PAPER_TOPOLOGIES)
def test_paper_topologies_have_their_sizes(label, graph, params):
    nodes, edges = topologies.build(graph, **params)
    n, m, nu = EXPECTED[label]
    assert (len(nodes), len(edges), topologies.matching_number(len(nodes), edges)) == (n, m, nu)
    assert all(u < v for u, v in edges) and len(set(edges)) == len(edges)


def test_grid_is_labelled_as_the_paper_draws_it():
    nodes, edges = topologies.grid(3, 3)
    names = {(nodes[u], nodes[v]) for u, v in edges}
    assert ("E", "F") in names and ("G", "H") in names and ("A", "E") not in names


@pytest.mark.parametrize("path", sorted(LL.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_instances_load(path):
    inst = load_instance(path)
    assert inst.family == "linklayer" and len(inst.edges) >= 1


def test_grid3x3_carries_table_iv():
    inst = load_instance(LL / "grid3x3.toml")
    hw = inst.hardware
    assert (hw.qubits_per_node, hw.link_length, hw.station_position) == (6, 2.0, 0.5)
    assert hw.detection_window == pytest.approx(20e-9)
    assert (hw.clock_min, hw.clock_max) == pytest.approx((450e-9, 550e-9))
    assert inst.traffic.backoff_mean == pytest.approx(0.05)
    assert (inst.traffic.size_min, inst.traffic.size_max) == (1, 6)
    # Round trip to the station at L/2 and back: 2 km / 2e5 km/s = 10 µs.
    assert hw.round_trip == pytest.approx(1e-5)
    assert hw.message_delay == pytest.approx(1e-5)


def test_gml_graph_is_read():
    inst = load_instance(LL / "ring_gml.toml")
    assert inst.nodes == ("A", "B", "C", "D", "E") and len(inst.edges) == 5


def test_physics_single_photon_model():
    # p = 2 α η, α = 1 − F.
    assert physics.success_probability(0.75, 0.004) == pytest.approx(2 * 0.25 * 0.004)
    assert physics.success_probability(0.9, 0.004) < physics.success_probability(0.6, 0.004)
    assert physics.attempt_period(4.5e-7, 5.5e-7, 1e-5) == pytest.approx(5.5e-7 + 1e-5)
    # Station off-centre: the farther node waits for the longer round trip.
    assert physics.herald_round_trip(2.0, 0.25, 2e5) == pytest.approx(2 * 1.5 / 2e5)


BAD = [
    ({"graph": "torus", "n": 3}, {}, "topology.graph", "must be one of"),
    ({"graph": "cycle", "n": 2}, {}, "topology.n", "≥ 3"),
    ({"graph": "grid", "rows": 2}, {}, "topology.cols", "missing"),
    ({"nodes": ["A", "B"], "edges": [["A", "C"]]}, {}, "topology.edges[0]", "unknown node"),
    ({"nodes": ["A", "B"], "edges": [["A", "A"]]}, {}, "topology.edges[0]", "different"),
    ({"nodes": ["A", "B"], "edges": [["A", "B"], ["B", "A"]]}, {}, "topology.edges[1]",
     "duplicate"),
    ({"graph": "star", "n": 2}, {"traffic": {"fidelity": 0.4}}, "traffic.fidelity", "> 0.5"),
    ({"graph": "star", "n": 2}, {"traffic": {"fidelity": 1.0}}, "traffic.fidelity", "< 1"),
    ({"graph": "star", "n": 2}, {"traffic": {"size_max": 7}}, "traffic.size_max",
     "qubits_per_node"),
    ({"graph": "star", "n": 2}, {"hardware": {"clock_min": "600 ns"}}, "hardware.clock_max",
     "clock_min"),
    ({"graph": "star", "n": 2}, {"hardware": {"detection_window": "1 us"}},
     "hardware.detection_window", "clock cycle"),
    ({"graph": "star", "n": 2}, {"hardware": {"link_lenght": 2}}, "hardware.link_lenght",
     "unknown field"),
    ({"graph": "star", "n": 2}, {"trace": {"duration": -1}}, "trace.duration", ""),
    ({"graph": "star", "n": 2}, {"trace": {"arrivals": "poisson"}}, "trace.arrivals",
     "'greedy'"),
]


@pytest.mark.parametrize(("topology", "extra", "field", "rule"), BAD)
def test_bad_input_names_field_and_rule(tmp_path, topology, extra, field, rule):
    doc = {"kind": "linklayer", "topology": topology, **extra}
    with pytest.raises(InstanceError) as err:
        load_linklayer(tmp_path / "x.toml", doc)
    assert err.value.field == field and rule in err.value.rule


def test_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('kind = "linklayer"\n[topology]\ngraph = "wheel"\nn = 3\n')
    res = CliRunner().invoke(app, ["solve", str(path), "-m", "esp"])
    assert res.exit_code == 2
    lines = [x for x in res.output.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and "topology.n" in lines[0] and "bad.toml" in lines[0]


def test_solve_then_validate_on_the_command_line(tmp_path):
    runner = CliRunner()
    out = tmp_path / "plan"
    res = runner.invoke(app, ["solve", str(LL / "grid2x2.toml"), "-m", "esp", "--out",
                              str(out)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["validate", str(LL / "grid2x2.toml"), str(out)]).exit_code == 0
    # Start the first generation before its request exists: the validator rejects the plan.
    csv = out / "executions.csv"
    lines = csv.read_text().splitlines()
    cells = lines[1].split(",")
    cells[3] = "-1.0"
    csv.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    res = runner.invoke(app, ["validate", str(LL / "grid2x2.toml"), str(out)])
    assert res.exit_code == 1 and "C4-RELEASE" in res.output
