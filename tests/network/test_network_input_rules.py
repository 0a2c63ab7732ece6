"""Family-B inputs beyond what the models represent, and instances built in code.

Times beyond 1000 s, counts beyond 10^9, links no pair crosses, explicit rates above what
the ends attempt and weights HiGHS cannot price are refused with one line naming the
file, the field and the limit; the data classes hold the same rules for code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.errors import InstanceError
from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request
from qdcopt.network.topology.waxman import waxman_instance

ROOT = Path(__file__).resolve().parents[2]
PATH3 = (ROOT / "instances" / "network" / "path3.toml").read_text()
runner = CliRunner()


def _first_error_line(path: Path) -> str:
    res = runner.invoke(app, ["solve", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


CASES = [
    ('generation_time = "2 ms"', 'generation_time = "1e30 s"', "physics.generation_time",
     "must be at most 1000 s"),
    ('swap_latency = "10 us"', 'swap_latency = "20000 s"', "physics.swap_latency",
     "must be at most 1000 s"),
    ("memories = 2\n", f"memories = {10**23}\n", "physics.memories",
     "must be at most 1000000000"),
    ('x = 20.0', 'x = 1e308', "nodes[2].x", "must be ≤ 1e+06"),
    ('u = "A"\nv = "B"\nrate = 100.0', 'u = "A"\nv = "B"\nrate = 1e6', "links[0].rate",
     "must be at most 1000 pairs/s"),
    ('destination = "C"', 'destination = "C"\nweight = 1e300', "requests[0].weight",
     "must be ≤ 1e+09"),
]


@pytest.mark.parametrize(("old", "new", "field", "rule"), CASES)
def test_network_out_of_range_is_one_line(tmp_path, old, new, field, rule):
    assert old in PATH3
    text = PATH3.replace(old, new, 1)
    if field == "links[1].length":  # let B–C take its length from the positions
        text = text.replace('u = "B"\nv = "C"\nrate = 100.0', 'u = "B"\nv = "C"')
    path = tmp_path / "net.toml"
    path.write_text(text)
    line = _first_error_line(path)
    assert line.startswith(f"error: {path}: {field}: {rule}"), line


def test_folder_as_graph_file_says_is_a_directory(tmp_path):
    folder = tmp_path / "topology.gml"
    folder.mkdir()
    with pytest.raises(InstanceError) as err:
        qdcopt.load_instance(folder)
    assert err.value.rule.startswith("is a directory")


def _nodes(ids=("A", "B", "C")):
    return tuple(Node(i, float(k), 0.0, 5, 50e-6, 0.33, 0.4) for k, i in enumerate(ids))


def test_code_built_network_is_checked_like_a_file():
    links = (Link(0, 1, 10.0), Link(1, 2, 10.0))
    reqs = (Request("r", 0, 2),)
    ok = NetworkInstance("ok", _nodes(), links, reqs)
    assert qdcopt.validate(ok, qdcopt.solve(ok, "lp")[0]).ok
    cases = [
        (dict(nodes=_nodes(("A", "B", "A"))), "nodes[2].id", "duplicate id 'A'"),
        (dict(links=(Link(0, 1, 10.0), Link(1, 3, 1.0))), "links[1].v", "names node index 3"),
        (dict(links=(Link(0, 1, 10.0), Link(0, 1, 5.0))), "links[1].v", "duplicate link A–B"),
        (dict(requests=(Request("r", 0, 7),)), "requests[0].destination", "names node index 7"),
        (dict(requests=(Request("r", 0, 1), Request("r", 1, 2))), "requests[1].id",
         "duplicate id 'r'"),
        (dict(links=(Link(0, 1, 1e6), Link(1, 2, 10.0))), "links[0].length", "must be at most"),
    ]
    base = dict(name="x", nodes=_nodes(), links=links, requests=reqs)
    for change, field, rule in cases:
        with pytest.raises(InstanceError) as err:
            NetworkInstance(**{**base, **change})
        assert err.value.field == field and rule in err.value.rule, (change, err.value)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: Link(1, 1, 3.0), "v"),
    (lambda: Link(0, 1, float("nan")), "length"),
    (lambda: Request("r", 2, 2), "destination"),
    (lambda: Request("r", 0, 1, weight=0.0), "weight"),
    (lambda: Node("A", 0.0, 0.0, 0, 50e-6, 0.33, 0.4), "memories"),
    (lambda: Node("A", 0.0, 0.0, 5, 2000.0, 0.33, 0.4), "generation_time"),
    (lambda: Node("A", 0.0, 0.0, 5, 50e-6, 1.5, 0.4), "generation_success"),
    (lambda: Physics(classical_speed=-1.0), "classical_speed"),
])
def test_code_built_network_parts_are_checked(build, field):
    with pytest.raises(InstanceError) as err:
        build()
    assert err.value.field == field


def test_waxman_generator_builds_checked_instances():
    inst = waxman_instance(30, requests=5, seed=3)
    assert len(inst.requests) == 5
    with pytest.raises(InstanceError) as err:
        waxman_instance(10, requests=2, seed=3, memories=0)
    assert err.value.field == "memories"
