"""Loading family-A instances: good files load exactly, bad files give one clear message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.datacenter.storage import pair_fidelity, storage_window
from qdcopt.errors import InstanceError
from qdcopt.timebase import TICKS_PER_SECOND, parse_duration, parse_rate

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "expected_fields.json").read_text())
ROOT = Path(__file__).resolve().parents[2]


def test_tiny_instance_loads_in_ticks():
    inst = qdcopt.load_instance(ROOT / "instances/tiny/match_and_change.toml")
    assert [q.id for q in inst.qpus] == ["A", "B", "C"]
    src = inst.sources[0]
    assert src.period == 10**6  # 1 GHz -> 1 ns = 1e6 fs
    assert (src.t_single, src.t_double) == (2 * 10**6, 10 * 10**6)
    assert inst.t_max == 3 * 10**6
    assert inst.requests.t_need.tolist() == [5 * 10**6, 6 * 10**6, 6 * 10**6, 9 * 10**6]
    # r4 was written C-A; pairs are unordered and stored as (low, high) indices
    assert (inst.requests.a[3], inst.requests.b[3]) == (0, 2)
    with pytest.raises(ValueError):
        inst.requests.t_need[0] = 1  # read-only data


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_names_file_field_and_rule(name):
    with pytest.raises(InstanceError) as err:
        qdcopt.load_instance(DATA / name)
    exc = err.value
    assert exc.field == EXPECTED[name]
    assert exc.rule
    assert str(exc).startswith(exc.file)


def test_transit_moves_is_off_unless_asked(tmp_path):
    text = (DATA / "bad_transit_moves.toml").read_text()
    for line, want in (("", False), ("transit_moves = true", True),
                       ("transit_moves = false", False)):
        path = tmp_path / "inst.toml"
        path.write_text(text.replace('transit_moves = "yes"', line))
        assert qdcopt.load_instance(path).transit_moves is want


@pytest.mark.parametrize("name", ["bad_negative_comm_qubits.toml", "bad_malformed.json",
                                  "bad_requests_csv_unknown_qpu.toml"])
def test_cli_bad_input_exit_2_one_line_no_traceback(name):
    result = CliRunner().invoke(app, ["solve", str(DATA / name)])
    assert result.exit_code == 2
    text = result.output
    assert "Traceback" not in text
    assert name.split(".")[0] in text or "bad_requests_unknown_qpu.csv" in text


def test_units_are_exact():
    assert parse_duration("1 ms") == 10**12
    assert parse_duration(1e-9) == 10**6
    assert parse_duration("2.5 ns") == 2_500_000
    assert parse_rate("1 MHz") == 10**9
    assert parse_rate(1e9) == 10**6
    assert TICKS_PER_SECOND == 10**15


def test_storage_window_from_fidelity():
    # F(t) = (1 + e^{-2t/T1} + 2 e^{-2t/T2}) / 4 for equal memories; with T1 = T2 = T,
    # F = 0.8  <=>  e^{-2t/T} = 11/15  <=>  t = T/2 * ln(15/11).
    t = 500 * 10**9  # 0.5 ms in ticks
    window = storage_window(0.8, t, t, t, t)
    expected = t / 2 * np.log(15 / 11)
    assert abs(window - expected) <= 1
    assert pair_fidelity(window, t, t, t, t) >= 0.8 > pair_fidelity(window + 1, t, t, t, t)


def test_min_fidelity_instance_derives_t_max(tmp_path):
    text = (DATA / "bad_min_fidelity_without_t1.toml").read_text().replace(
        "comm_qubits = 2", 'comm_qubits = 2\nt1 = "0.5 ms"\nt2 = "0.5 ms"').replace(
        'data_qubits = 4\n\n[[sources]]',
        'data_qubits = 4\nt1 = "0.5 ms"\nt2 = "0.5 ms"\n\n[[sources]]')
    path = tmp_path / "fid.toml"
    path.write_text(text)
    inst = qdcopt.load_instance(path)
    assert inst.min_fidelity == 0.8
    assert abs(inst.t_max - 250 * 10**9 * np.log(15 / 11)) <= 1


def test_requests_csv_exact_integer_times(tmp_path):
    csv = tmp_path / "req.csv"
    csv.write_text("id,job,qpu_a,qpu_b,t_need_ns\n007,j,A,B,5\n8,j,B,A,1000000001\n")
    base = (DATA / "bad_requests_csv_unknown_qpu.toml").read_text().replace(
        "bad_requests_unknown_qpu.csv", "req.csv")
    path = tmp_path / "inst.toml"
    path.write_text(base)
    inst = qdcopt.load_instance(path)
    assert inst.requests.id.tolist() == ["007", "8"]
    # 1 000 000 001 ns = 1.000000001 s, exact in ticks
    assert inst.requests.t_need.tolist() == [5 * 10**6, 1_000_000_001 * 10**6]
