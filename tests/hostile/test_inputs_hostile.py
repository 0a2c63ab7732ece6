"""Hostile instance and plan files, family by family: each is refused with exit code 2 and
one message naming the file, the field and the rule — no traceback, no hang, no memory
blow-up.

Every case starts from a shipped instance, changes a few fields (written back as JSON,
which also carries ``NaN`` and ``Infinity``) and runs the command line in-process.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qdcopt.cli import app

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances"
runner = CliRunner()

GRID = "linklayer/grid2x2.toml"
PATH3 = "network/path3.toml"
HUB = "service/modenhub.toml"
STAR = "service/star6_cka.toml"
LINE = "service/line3.toml"
TINY = "tiny/double_switch.toml"

DELETE = object()


def _edited(base: str, edits: dict[str, Any]) -> dict[str, Any]:
    """The shipped instance ``base`` with ``edits`` (dotted paths; list items by index)."""
    with (INSTANCES / base).open("rb") as f:
        doc = copy.deepcopy(tomllib.load(f))
    for path, value in edits.items():
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        node = doc
        for k in keys[:-1]:
            node = node[k]
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return doc


def _write(tmp_path: Path, base: str, edits: dict[str, Any]) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_edited(base, edits)))
    return path


def _refused(argv: list[str], file: Path | str, field: str, rule: str) -> None:
    res = runner.invoke(app, argv)
    text = res.output
    assert res.exit_code == 2, text
    assert "Traceback" not in text, text
    assert res.exception is None or isinstance(res.exception, SystemExit), text
    where = f"{file}: {field}: " if field else f"{file}: "
    assert where in text, text
    assert rule in text, text


# (case id, base instance, edits, command, expected field, a fragment of the rule)
LOAD_CASES = [
    # -- link layer: sizes the model materialises, physical bounds --------------------
    ("ll-grid-rows", GRID, {"topology.rows": 10**9}, "solve", "topology",
     "a topology holds at most 100000"),
    ("ll-complete-n", GRID, {"topology": {"graph": "complete", "n": 10**6}}, "solve",
     "topology", "499999500000 links"),
    ("ll-explicit-nodes", GRID, {"topology": {"nodes": [f"n{i}" for i in range(100_001)],
                                              "edges": [["n0", "n1"]]}}, "solve",
     "topology.nodes", "at most 100000"),
    ("ll-link-length", GRID, {"hardware": {"link_length": 1e30}}, "solve",
     "hardware.link_length", "must be at most 2e+08 km"),
    ("ll-signal-speed", GRID, {"hardware": {"signal_speed": 1e-300}}, "solve",
     "hardware.link_length", "herald round trip"),
    ("ll-link-length-nan", GRID, {"hardware": {"link_length": float("nan")}}, "solve",
     "hardware.link_length", "finite"),
    ("ll-size-max", GRID, {"hardware": {"qubits_per_node": 10**9},
                           "traffic": {"size_max": 10**9}}, "solve", "traffic.size_max",
     "must be at most 10000"),
    ("ll-efficiency", GRID, {"hardware": {"efficiency": 1e-300}}, "solve",
     "traffic.size_max", "attempts on average"),
    ("ll-fidelity", GRID, {"traffic": {"fidelity": 0.9999999999999}}, "solve",
     "traffic.size_max", "attempts on average"),
    ("ll-service", GRID, {"hardware": {"clock_min": "1 s", "clock_max": "1 s",
                                       "detection_window": "1 ns"}}, "solve",
     "traffic.size_max", "served within 1000 s"),
    ("ll-backoff", GRID, {"traffic": {"backoff_mean": "1 ns"}}, "solve", "trace.duration",
     "a trace holds at most 1e+06"),
    ("ll-seed-negative", GRID, {"trace.seed": -1}, "solve", "trace.seed", "≥ 0"),
    ("ll-name-empty", GRID, {"name": ""}, "solve", "name", "non-empty"),
    ("ll-rows-text", GRID, {"topology.rows": "2"}, "solve", "topology.rows",
     "must be an integer"),
    ("ll-edges-empty", GRID, {"topology": {"nodes": ["A", "B"], "edges": []}}, "solve",
     "topology.edges", "non-empty list of node pairs"),
    ("ll-duplicate-node", GRID, {"topology": {"nodes": ["A", "A"], "edges": [["A", "A"]]}},
     "solve", "topology.nodes[1]", "duplicate node"),
    # -- datacenter: values read only with circuits are still checked ------------------
    ("dc-gate-nan", TINY, {"qpus.0.gate_1q": float("nan")}, "solve", "qpus[0].gate_1q",
     "finite"),
    ("dc-gate-text", TINY, {"qpus.0.gate_2q": "x"}, "solve", "qpus[0].gate_2q",
     "a number with an optional unit"),
    ("dc-circuit-defaults", TINY, {"circuit_defaults": {"gate_1q": "x"}}, "solve",
     "circuit_defaults", "only to an instance with jobs"),
    # -- network: positions, lengths, sizes, connectivity ------------------------------
    ("net-x-huge", PATH3, {"nodes.0.x": 1e308}, "solve", "nodes[0].x", "must be ≤ 1e+06"),
    ("net-y-negative-huge", PATH3, {"nodes.1.y": -1e308}, "solve", "nodes[1].y",
     "must be ≥ -1e+06"),
    ("net-x-inf", PATH3, {"nodes.0.x": float("inf")}, "solve", "nodes[0].x", "finite"),
    ("net-length", PATH3, {"links.0.length": 1e30}, "solve", "links[0].length",
     "must be at most 2e+08 km"),
    ("net-disconnected", PATH3, {"links": [{"u": "A", "v": "B", "rate": 100.0}]}, "solve",
     "requests[0]", "are disconnected"),
    ("net-duplicate-link", PATH3, {"links.1": {"u": "B", "v": "A", "rate": 100.0}}, "solve",
     "links[1].v", "duplicate link"),
    ("net-too-many-requests", PATH3, {"requests": [
        {"id": f"r{i}", "source": "A", "destination": "C"} for i in range(10_001)]},
     "solve", "requests", "at most 10000"),
    ("net-weight-nan", PATH3, {"requests.0.weight": float("nan")}, "solve",
     "requests[0].weight", "finite"),
    ("net-memories-negative", PATH3, {"nodes.0.memories": -3}, "solve",
     "nodes[0].memories", "positive integer"),
    # -- service: the ModEn-Hub ---------------------------------------------------------
    ("hub-kappa", HUB, {"hub.kappa": 1e30}, "simulate", "hub.kappa",
     "at most 1000 attempts per round"),
    ("hub-requests", HUB, {"hub.requests": 10**9}, "simulate", "hub.requests",
     "array cells per run"),
    ("hub-sizes-huge", HUB, {"hub.sizes": [10**30]}, "simulate", "hub.sizes",
     "integers from 2 to 1000000000"),
    ("hub-strategies-empty", HUB, {"hub.strategies": []}, "simulate", "hub.strategies",
     "at least one strategy"),
    ("hub-strategies-twice", HUB, {"hub.strategies": ["naive", "naive"]}, "simulate",
     "hub.strategies", "twice"),
    ("hub-p0-tiny", HUB, {"hub.p0": 1e-300}, "simulate", "hub.p0", "p_eff(N)"),
    ("hub-cache", HUB, {"hub.cache": 10**9}, "simulate", "hub.cache", "at most 1000"),
    ("hub-rounds", HUB, {"hub.rounds": 10**9}, "simulate", "hub.requests",
     "array cells per run"),
    ("hub-t-cut", HUB, {"hub.t_cut": 1e9, "hub.request_interval": 1e-9}, "simulate",
     "hub.t_cut", "cells"),
    ("hub-t-cut-huge", HUB, {"hub.t_cut": 1e308}, "simulate", "hub.t_cut", "cells"),
    ("hub-runs", HUB, {"hub.runs": 10**9}, "simulate", "hub.runs", "at most 1000"),
    # -- service: the demand service on a star or a graph --------------------------------
    ("star-clients", STAR, {"network.clients": 10**9}, "solve", "network.clients",
     "at most 999"),
    ("star-days", STAR, {"controller.days": 1e30}, "simulate", "controller.days",
     "at most 36500 days"),
    ("star-days-inf", STAR, {"controller.days": float("inf")}, "simulate",
     "controller.days", "finite"),
    ("star-p-link", STAR, {"network.p_link": 1e-300}, "solve", "network.p_link",
     "must be at least 1e-12"),
    ("star-interval", STAR, {"controller.interval": 1e30}, "simulate",
     "controller.interval", "at most 100000"),
    ("star-t-cycle-tiny", STAR, {"network.t_cycle": 1e-300}, "simulate",
     "controller.interval", "at most 100000"),
    ("star-t-cycle-huge", STAR, {"network.t_cycle": 1e30}, "simulate", "network.t_cycle",
     "no PGA would ever end"),
    ("star-expiry", STAR, {"demands.expiry": 1e30}, "simulate", "demands.expiry",
     "PGAs before it expires"),
    ("star-renewal", STAR, {"demands.renewal_rate": 1e30}, "simulate", "controller.days",
     "events per run"),
    ("star-offset", STAR, {"controller.offset": 10**9}, "simulate", "controller.offset",
     "after every demand has expired"),
    ("star-packet-size", STAR, {"demands.packet_size": 10**9}, "simulate",
     "demands.packet_size", "no PGA would ever end"),
    ("graph-long-pga", LINE, {"network.links.0.p_link": 1e-4}, "simulate",
     "controller.interval", "never scheduled"),
    ("graph-duplicate-link", LINE, {"network.links.1": {"u": "b", "v": "a", "p_link": 0.3}},
     "solve", "network.links[1].v", "duplicate link"),
    ("graph-disconnected", LINE, {"network.links": [{"u": "a", "v": "b", "p_link": 0.3}]},
     "solve", "demands.pairs[0]", "disconnected"),
    ("graph-pair-twice", LINE, {"demands.pairs": ["a-b", "b-a"]}, "solve",
     "demands.pairs[1]", "already asked for"),
    ("graph-too-many-nodes", LINE, {"network.nodes": [
        {"id": f"n{i}", "comm_qubits": 1} for i in range(1001)]}, "solve", "network.nodes",
     "at most 1000"),
]


@pytest.mark.parametrize(("base", "edits", "command", "field", "rule"),
                         [c[1:] for c in LOAD_CASES], ids=[c[0] for c in LOAD_CASES])
def test_hostile_instance_is_refused(tmp_path, base, edits, command, field, rule):
    path = _write(tmp_path, base, edits)
    _refused([command, str(path)], path, field, rule)


SIMULATE_CASES = [
    ("ll-huge", GRID, ["--duration", "1e30"], "duration", "at most 1000 s"),
    ("ll-seeds", GRID, ["--seeds", "1000000000"], "seeds", "from 1 to 1000"),
    ("net-huge", PATH3, ["--duration", "1e30"], "duration", "at most 1000 s"),
    ("star-days", STAR, ["--days", "1e30"], "days", "at most 36500 days"),
    ("hub-seeds", HUB, ["--seeds", "1000000000"], "seeds", "from 1 to 1000"),
]


@pytest.mark.parametrize(("base", "options", "field", "rule"),
                         [c[1:] for c in SIMULATE_CASES], ids=[c[0] for c in SIMULATE_CASES])
def test_unbounded_simulation_is_refused_at_once(base, options, field, rule):
    path = INSTANCES / base
    _refused(["simulate", str(path), *options], path, field, rule)


@pytest.mark.parametrize("base", [GRID, PATH3])
@pytest.mark.parametrize("duration", ["inf", "nan", "-1"])
def test_non_finite_duration_is_refused(base, duration):
    res = runner.invoke(app, ["simulate", str(INSTANCES / base), "--duration", duration])
    assert res.exit_code == 2, res.output
    assert "duration" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("base", [GRID, PATH3])
@pytest.mark.parametrize("duration", [float("inf"), float("nan"), 1e30])
def test_family_simulate_bounds_its_horizon(base, duration):
    # the bound sits in each family's simulate entry, whatever front end calls it
    import qdcopt
    from qdcopt.errors import InstanceError

    inst = qdcopt.load_instance(INSTANCES / base)
    with pytest.raises(InstanceError) as info:
        qdcopt.simulate(inst, duration=duration, seeds=1)
    assert info.value.field == "duration" and info.value.file == str(INSTANCES / base)


def test_linklayer_simulation_events_are_capped(tmp_path):
    # 1000 s is a valid time, but at a 1 µs back-off it would make ~10¹¹ events
    path = _write(tmp_path, GRID, {"traffic": {"backoff_mean": "10 us"},
                                   "trace": {"duration": "1 ms"}})
    _refused(["simulate", str(path), "--duration", "1000"], path, "duration",
             "events per run")


def test_gml_self_loop_is_refused(tmp_path):
    (tmp_path / "loop.gml").write_text(
        'graph [\n  node [ id 0 label "A" ]\n  node [ id 1 label "B" ]\n'
        "  edge [ source 0 target 1 ]\n  edge [ source 1 target 1 ]\n]\n")
    path = tmp_path / "loop.toml"
    path.write_text('kind = "linklayer"\n[topology]\nfile = "loop.gml"\n')
    _refused(["solve", str(path)], path, "topology.file", "to itself")


def test_gml_duplicate_link_is_refused(tmp_path):
    (tmp_path / "multi.gml").write_text(
        'graph [\n  multigraph 1\n  node [ id 0 label "A" ]\n  node [ id 1 label "B" ]\n'
        "  edge [ source 0 target 1 ]\n  edge [ source 1 target 0 ]\n]\n")
    path = tmp_path / "multi.toml"
    path.write_text('kind = "linklayer"\n[topology]\nfile = "multi.gml"\n')
    _refused(["solve", str(path)], path, "topology.file", "twice")


def test_linklayer_milp_slot_too_short_is_refused(tmp_path):
    # the slot forms of the link-layer MILP (the precedence form has no slots)
    path = _write(tmp_path, GRID, {"trace.slot": "1 us"})
    _refused(["solve", str(path), "-m", "milp", "-o", "form=x"], path, "trace.slot",
             "slots of")
    _refused(["solve", str(INSTANCES / GRID), "-m", "milp", "-o", "form=z", "-o",
              "slot=1e-6"], INSTANCES / GRID, "slot", "slots of")


# -- plan folders ----------------------------------------------------------------------
def _plan(tmp_path: Path, base: str, method: str) -> Path:
    out = tmp_path / "plan"
    res = runner.invoke(app, ["solve", str(INSTANCES / base), "-m", method, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _set_cell(csv: Path, column: str, row: int, value: str) -> None:
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")


def _manifest(out: Path, **changes: Any) -> None:
    data = json.loads((out / "plan.json").read_text())
    data.update(changes)
    (out / "plan.json").write_text(json.dumps(data))


def _validate_refused(base: str, out: Path, file: Path, field: str, rule: str) -> None:
    _refused(["validate", str(INSTANCES / base), str(out)], file, field, rule)


def test_executions_with_a_nan_start_are_refused(tmp_path):
    out = _plan(tmp_path, GRID, "greedy-matching")
    _set_cell(out / "executions.csv", "start", 1, "nan")
    _validate_refused(GRID, out, out / "executions.csv", "row 2.start", "finite time")


def test_plan_naming_a_trace_too_long_is_refused(tmp_path):
    out = _plan(tmp_path, GRID, "greedy-matching")
    _manifest(out, trace_duration=1e30)
    _validate_refused(GRID, out, out / "plan.json", "trace_duration", "(0, 1000]")


def test_pgas_naming_an_unknown_demand_are_refused(tmp_path):
    out = _plan(tmp_path, STAR, "edf")
    _set_cell(out / "pgas.csv", "demand", 1, "99")
    _validate_refused(STAR, out, out / "pgas.csv", "row 2.demand", "the row names '99'")


def test_pgas_with_a_start_slot_beyond_any_interval_are_refused(tmp_path):
    out = _plan(tmp_path, STAR, "edf")
    _set_cell(out / "pgas.csv", "start_slot", 1, "1e20")
    _validate_refused(STAR, out, out / "pgas.csv", "row 2.start_slot",
                      "must be an integer of at most 1000000000")


def test_unknown_plan_format_version_is_refused(tmp_path):
    out = _plan(tmp_path, TINY, "edf")
    _manifest(out, format_version=99)
    _validate_refused(TINY, out, out / "plan.json", "format_version", "must be 1")


@pytest.mark.parametrize("target", ["../outside.csv", "/etc/hostname"])
def test_plan_tables_outside_the_folder_are_refused(tmp_path, target):
    out = _plan(tmp_path, TINY, "edf")
    (tmp_path / "outside.csv").write_text("x\n1\n")
    data = json.loads((out / "plan.json").read_text())
    name = next(iter(data["tables"]))
    data["tables"][name] = target
    (out / "plan.json").write_text(json.dumps(data))
    _validate_refused(TINY, out, out / "plan.json", f"tables.{name}",
                      "must name a file inside the plan folder")


def test_empty_plan_table_is_refused(tmp_path):
    out = _plan(tmp_path, TINY, "edf")
    (out / "deliveries.csv").write_text("")
    _validate_refused(TINY, out, out / "deliveries.csv", "", "is empty")


def test_plan_row_with_too_many_cells_is_refused(tmp_path):
    out = _plan(tmp_path, TINY, "edf")
    csv = out / "deliveries.csv"
    lines = csv.read_text().splitlines()
    lines[1] += ",extra"
    csv.write_text("\n".join(lines) + "\n")
    _validate_refused(TINY, out, csv, "row 2", "cells, the header has")


def test_pga_lasting_a_billion_slots_is_judged_without_a_billion_cells(tmp_path):
    out = _plan(tmp_path, STAR, "edf")
    _set_cell(out / "pgas.csv", "duration_slots", 1, "1000000000")
    res = runner.invoke(app, ["validate", str(INSTANCES / STAR), str(out)])
    assert res.exit_code == 1, res.output
    assert "D6-DURATION" in res.output or "D3-INTERVAL" in res.output


@pytest.mark.parametrize("problem", [None, {"n_slots": "x"}, [1, 2]])
def test_plan_with_a_broken_interval_problem_is_refused(tmp_path, problem):
    out = _plan(tmp_path, STAR, "edf")
    _manifest(out, problem=problem)
    _validate_refused(STAR, out, out / "plan.json", "problem", "is not an interval problem")


def test_requests_csv_row_with_too_many_cells_is_refused(tmp_path):
    doc = _edited(TINY, {"requests": DELETE, "requests_csv": "requests.csv"})
    path = tmp_path / "dc.json"
    path.write_text(json.dumps(doc))
    csv = tmp_path / "requests.csv"
    csv.write_text("id,job,qpu_a,qpu_b,t_need_ns\nr1,j,A,B,4\nr2,j,C,D,8,9\n")
    _refused(["solve", str(path)], csv, "row 3", "has 6 cells, the header has 5")


def test_trace_duration_option_follows_the_trace_rules():
    path = INSTANCES / GRID
    _refused(["solve", str(path), "-o", "trace_duration=1e30"], path, "trace_duration",
             "at most 1000 s")


def test_loading_checks_keep_the_instance_name():
    import qdcopt

    assert qdcopt.load_instance(INSTANCES / TINY).name == "tiny-double-switch"
