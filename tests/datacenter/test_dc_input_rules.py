"""Every input gives a result or one line naming the file, the field and the rule.

Times beyond 1000 s and counts beyond 10^9 are refused with the limit; CSV cells, folders
given as files, circuits without qubits and instances built in code follow the same rules
as the loaded files.
"""

from __future__ import annotations

import csv
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.load import read_requests_csv
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.errors import InstanceError
from qdcopt.timebase import MAX_TICKS, TimeValueError, parse_duration, parse_rate

ROOT = Path(__file__).resolve().parents[2]
TINY = (ROOT / "instances" / "tiny" / "double_switch.toml").read_text()
TOFFOLI = (ROOT / "instances" / "jobs" / "toffoli.toml").read_text()
runner = CliRunner()


def _cli_error(args: list[str]) -> str:
    """Run the command, check exit 2 without a traceback, return stderr's first line."""
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- times and counts beyond what qdcopt represents ---------------------------------------
BEYOND = [
    ('t_need = "4 ns"', 't_need = "10000 s"', "requests[0].t_need", "1000 s"),
    ('t_need = "4 ns"', 't_need = "1e30 s"', "requests[0].t_need", "1000 s"),
    ('t_need = "4 ns"', 't_need = "1e999999999 s"', "requests[0].t_need", "1000 s"),
    ('t_max = "4 ns"', 't_max = "20000 s"', "t_max", "1000 s"),
    ('rate = "1 GHz"', 'rate = "1e-30 Hz"', "sources[0].rate", "0.001 Hz"),
    ('rate = "1 GHz"', 'rate = "1 GHz"\nstart = "1e6 s"', "sources[0].start", "1000 s"),
    ('id = "A"\ndata_qubits = 4', 'id = "A"\ndata_qubits = 4\ncomm_qubits = ' + str(10**23),
     "qpus[0].comm_qubits", "1000000000"),
    ('id = "A"\ndata_qubits = 4', 'id = "A"\ndata_qubits = ' + str(10**23),
     "qpus[0].data_qubits", "1000000000"),
]


@pytest.mark.parametrize(("old", "new", "field", "limit"), BEYOND)
def test_out_of_range_is_exit_2_with_the_limit(tmp_path, old, new, field, limit):
    assert old in TINY
    path = _write(tmp_path, "big.toml", TINY.replace(old, new, 1))
    line = _cli_error(["solve", str(path)])
    word = "least" if field.endswith("rate") else "most"
    assert line.startswith(f"error: {path}: {field}: must be at {word} {limit}"), line


def test_comm_qubits_limit_comes_from_the_data_class(tmp_path):
    # The loader leaves the upper limit to Qpu and adds the file and the path to its error.
    path = _write(tmp_path, "comm.toml", TINY.replace(
        'id = "B"\ndata_qubits = 4', 'id = "B"\ndata_qubits = 4\ncomm_qubits = 1000000001'))
    with pytest.raises(InstanceError) as err:
        qdcopt.load_instance(path)
    assert err.value.field == "qpus[1].comm_qubits"
    assert '"unlimited" in files' in err.value.rule
    with pytest.raises(InstanceError) as err:
        Qpu("B", 4, 1000000001)
    assert err.value.field == "comm_qubits" and err.value.rule == err.value.rule


def test_times_at_the_limit_solve_exactly(tmp_path):
    # Every window reaches back to 0 ns: the three requests fit (one pair each, moves of
    # 2 ns and 10 ns are far inside the 1000 s window) — exact arithmetic near 10^18 ticks.
    text = (TINY.replace('t_max = "4 ns"', 't_max = "1000 s"')
            .replace('t_need = "4 ns"', 't_need = "1000 s"')
            .replace('t_need = "8 ns"', 't_need = "999.999999999 s"'))
    inst = qdcopt.load_instance(_write(tmp_path, "edge.toml", text))
    assert inst.t_max == MAX_TICKS and int(inst.requests.t_need.max()) == MAX_TICKS
    for method in ("greedy", "edf", "milp"):
        plan, _ = qdcopt.solve(inst, method)
        report = qdcopt.validate(inst, plan)
        assert report.ok and report.objective == 3, (method, report)


def test_parse_limits_are_exact():
    assert parse_duration("1000 s") == MAX_TICKS
    assert parse_rate("0.001 Hz") == MAX_TICKS
    with pytest.raises(TimeValueError, match="at most 1000 s"):
        parse_duration("1000.000000000000001 s")
    with pytest.raises(TimeValueError, match=r"at least 0\.001 Hz"):
        parse_rate("0.000999 Hz")
    assert parse_duration("1e-999999999 s") == 0


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.floats(allow_nan=True, allow_infinity=True),
                 st.integers(min_value=-10**40, max_value=10**40),
                 st.from_regex(r"\A[-+]?[0-9]{0,3}\.?[0-9]{1,3}[eE][-+]?[0-9]{1,12} ?"
                               r"(s|ns|fs|Hz|GHz)?\Z")))
def test_any_time_or_rate_is_ticks_in_range_or_one_rule(value):
    for parse in (parse_duration, parse_rate):
        try:
            ticks = parse(value)
        except TimeValueError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(ticks, int) and 0 <= ticks <= MAX_TICKS


# -- request CSV files ---------------------------------------------------------------------
CSV_TOML = TINY.split("[[requests]]")[0] + 'requests_csv = "req.csv"\n'
CSV_TOML = CSV_TOML.replace('t_max = "4 ns"', 't_max = "4 ns"\nrequests_csv = "req.csv"', 1)
CSV_TOML = CSV_TOML.rsplit('requests_csv = "req.csv"\n', 1)[0]


def _csv_instance(tmp_path: Path, table: str) -> Path:
    _write(tmp_path, "req.csv", table)
    return _write(tmp_path, "inst.toml", CSV_TOML)


@pytest.mark.parametrize(("column", "cell"), [("t_need_ns", "1e300"), ("t_need_s", "10000"),
                                              ("t_need_fs", "9223372036854775807")])
def test_csv_time_beyond_range_names_the_limit(tmp_path, column, cell):
    path = _csv_instance(tmp_path, f"id,qpu_a,qpu_b,{column}\nr1,A,B,5\nr2,A,C,{cell}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        line = _cli_error(["solve", str(path)])
    assert line.startswith(f"error: {tmp_path / 'req.csv'}: row 3.{column}: must be at most")
    assert "1000 s" in line and "negative" not in line


def test_csv_garbage_row_is_one_line(tmp_path):
    path = _csv_instance(tmp_path, "id,qpu_a,qpu_b,t_need_ns\nr1,A,B,5\nx,y,z,1,2,3,4,5,6\n")
    line = _cli_error(["solve", str(path)])
    assert line.startswith(f"error: {tmp_path / 'req.csv'}: row 3: has 9 cells, the header "
                           "has 4")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=12), st.floats().map(repr),
                          st.integers(-10**30, 10**30).map(str), st.sampled_from("ABC")),
                min_size=4, max_size=4))
def test_random_request_cells_never_give_a_traceback(cells):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "req.csv"
        with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "qpu_a", "qpu_b", "t_need_ns"])
            writer.writerow(["r0", "A", "B", "5"])
            writer.writerow(cells)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                requests = read_requests_csv(path, {"A": 0, "B": 1, "C": 2})
        except InstanceError as exc:
            assert "\n" not in exc.message and exc.file == str(path)
        else:
            assert ((requests.t_need >= 0) & (requests.t_need <= MAX_TICKS)).all()
            assert (requests.a < requests.b).all()


# -- folders given as files ------------------------------------------------------------------
def test_folder_as_instance_says_is_a_directory(tmp_path):
    line = _cli_error(["solve", str(tmp_path)])
    assert line == f"error: {tmp_path}: is a directory, expected a file"


def test_folder_as_requests_csv_says_is_a_directory(tmp_path):
    (tmp_path / "req.csv").mkdir()
    path = _write(tmp_path, "inst.toml", CSV_TOML)
    line = _cli_error(["solve", str(path)])
    assert line == f"error: {tmp_path / 'req.csv'}: is a directory, expected a requests file"


def test_folder_as_qasm_file_says_is_a_directory(tmp_path):
    (tmp_path / "toffoli.qasm").mkdir()
    path = _write(tmp_path, "job.toml", TOFFOLI)
    line = _cli_error(["solve", str(path)])
    assert line.startswith(f"error: {path}: jobs[0].qasm: 'toffoli.qasm' is a directory")


def test_file_as_plan_folder_says_is_a_file(tmp_path):
    plan = _write(tmp_path, "plan", "not a folder")
    line = _cli_error(["validate", str(ROOT / "instances" / "tiny" / "double_switch.toml"),
                       str(plan)])
    assert line == f"error: {plan}: is a file, expected a plan folder"


# -- circuits without qubits -----------------------------------------------------------------
@pytest.mark.parametrize("text", ["", 'OPENQASM 2.0;\ninclude "qelib1.inc";\n',
                                  "OPENQASM 3.0;\n"])
def test_qasm_without_qubits_names_the_file_and_the_job(tmp_path, text):
    _write(tmp_path, "empty.qasm", text)
    path = _write(tmp_path, "job.toml", TOFFOLI.replace("toffoli.qasm", "empty.qasm"))
    line = _cli_error(["solve", str(path)])
    assert line.startswith(f"error: {path}: jobs[0].qasm: "), line
    assert "empty.qasm" in line and "'toffoli'" in line and "no qubits" in line


# -- export ----------------------------------------------------------------------------------
def test_export_without_plan_or_method_is_exit_2(tmp_path):
    out = tmp_path / "out"
    line = _cli_error(["export", str(ROOT / "instances" / "tiny" / "double_switch.toml"),
                       "--out", str(out)])
    assert "--plan" in line and "-m" in line
    assert not out.exists()


# -- instances built in code -----------------------------------------------------------------
def _parts():
    qpus = (Qpu("A", 4), Qpu("B", 4), Qpu("C", 4))
    src = Source("S", 10**6, 0, 2 * 10**6, 10 * 10**6, (0, 1, 2))
    reqs = Requests.from_columns(["r1", "r2"], ["j", "j"], [0, 1], [1, 2], [4 * 10**6, 8 * 10**6])
    return qpus, src, reqs


def test_code_built_instance_is_checked_like_a_file():
    qpus, src, reqs = _parts()
    ok = DatacenterInstance("ok", qpus, (src,), 3 * 10**6, reqs)
    assert qdcopt.validate(ok, qdcopt.solve(ok, "greedy")[0]).ok
    cases = [
        (dict(qpus=(Qpu("A", 4), Qpu("A", 4), Qpu("C", 4))), "qpus[1].id", "duplicate id 'A'"),
        (dict(sources=(Source("S", 10**6, 0, 0, 0, (0, 1, 5)),)), "sources[0].ports[2]",
         "names QPU index 5"),
        (dict(t_max=-1), "t_max", "must not be negative"),
        (dict(t_max=MAX_TICKS + 1), "t_max", "must be at most"),
        (dict(qpus=qpus[:2], sources=(Source("S", 1, 0, 0, 0, (0, 1)),)), "requests[1].qpu_b",
         "names QPU index 2"),
    ]
    base = dict(name="x", qpus=qpus, sources=(src,), t_max=3 * 10**6, requests=reqs)
    for change, field, rule in cases:
        with pytest.raises(InstanceError) as err:
            DatacenterInstance(**{**base, **change})
        assert err.value.field == field and rule in err.value.rule, (change, err.value)


@pytest.mark.parametrize(("build", "field", "rule"), [
    (lambda: Requests.from_columns(["r"], ["j"], [1], [1], [0]), "requests[0].qpu_b",
     "two different QPUs"),
    (lambda: Requests.from_columns(["r", "r"], ["j", "j"], [0, 0], [1, 1], [0, 0]),
     "requests[1].id", "duplicate id 'r'"),
    (lambda: Requests.from_columns(["r"], ["j"], [0], [1], [-5]), "requests[0].t_need",
     "must not be negative"),
    (lambda: Qpu("A", 0), "data_qubits", "positive integer"),
    (lambda: Qpu("", 3), "id", "non-empty string"),
    (lambda: Source("S", 0, 0, 0, 0, (0, 1)), "period", "must be positive"),
    (lambda: Source("S", 1, 0, 5, 2, (0, 1)), "t_double", "at least t_single"),
    (lambda: Source("S", 1, 0, 0, 0, (0, 0)), "ports", "must not repeat"),
])
def test_code_built_parts_are_checked(build, field, rule):
    with pytest.raises(InstanceError) as err:
        build()
    assert err.value.field == field and rule in err.value.rule
    assert err.value.message.startswith(f"<input>: {field}: ")


def test_generator_shares_the_rules():
    # The generator builds Qpu objects: their rules refuse what a file may not hold.
    with pytest.raises(InstanceError) as err:
        random_instance(10, comm_qubits=0, seed=1)
    assert err.value.field == "comm_qubits" and "positive integer" in err.value.rule
    with pytest.raises(InstanceError) as err:
        random_instance(10, comm_qubits=10**23, seed=1)
    assert err.value.field == "comm_qubits" and "at most 1000000000" in err.value.rule
    # Need times beyond 1000 s are refused before numpy would wrap them around int64.
    with pytest.raises(ValueError, match="beyond 1000 s"):
        random_instance(40, layer="600 s", rate="1 GHz", load=1e-12, seed=1)
    inst = random_instance(40, seed=1)
    assert len(inst.requests) == 40 and np.all(inst.requests.a < inst.requests.b)


def test_code_built_instance_error_names_its_file():
    qpus, src, reqs = _parts()
    with pytest.raises(InstanceError) as err:
        DatacenterInstance("x", (qpus[0], qpus[0]), (src,), 0, reqs, file="built.toml")
    assert err.value.message == "built.toml: qpus[1].id: duplicate id 'A' (first at [0])"


# -- jobs whose circuits run beyond the time limit -------------------------------------------
LIBRARY = (ROOT / "instances" / "jobs" / "library_mix.toml").read_text()


def test_job_running_beyond_1000_s_names_the_job(tmp_path):
    # qaoa on 10 qubits with 1000 s two-qubit gates would need times far beyond int64
    # femtoseconds once summed over its layers.
    assert 'gate_2q = "50 ns"' in LIBRARY
    path = _write(tmp_path, "long.toml", LIBRARY.replace('gate_2q = "50 ns"', 'gate_2q = "1000 s"'))
    line = _cli_error(["eds", str(path)])
    assert line.startswith(f"error: {path}: jobs[0]: job 'qaoa' would run until "), line
    assert "beyond 1000 s" in line


def test_job_seed_beyond_64_bits_is_refused(tmp_path):
    path = _write(tmp_path, "seed.toml", LIBRARY.replace("seed = 3", f"seed = {10**23}", 1))
    line = _cli_error(["eds", str(path)])
    assert line.startswith(f"error: {path}: jobs[0].seed: must be at most {2**64 - 1}"), line
    ok = _write(tmp_path, "seed_ok.toml", LIBRARY.replace("seed = 3", f"seed = {2**64 - 1}", 1))
    assert len(qdcopt.load_instance(ok).requests) > 0


def test_job_methods_keep_candidate_starts_inside_the_limit(tmp_path):
    # Every job arrives 0.8 us before the limit; a delayed candidate start would end beyond
    # it. Shifting all arrivals by a whole number of source periods changes nothing else,
    # so each method serves what it serves with arrivals at 0.
    text = (ROOT / "instances" / "jobs" / "buffer_small.toml").read_text()
    shifted = text.replace('circuit = "ghz"', 'circuit = "ghz"\nstart = "999.9999992 s"')
    assert shifted.count("999.9999992 s") == 4
    base = qdcopt.load_instance(_write(tmp_path, "base.toml", text))
    late = qdcopt.load_instance(_write(tmp_path, "late.toml", shifted))
    for method in ("admit-lp", "admit-utilisation", "pipeline-retry"):
        plan, _ = qdcopt.solve(late, method)
        report = qdcopt.validate(late, plan)
        expected = qdcopt.validate(base, qdcopt.solve(base, method)[0]).objective
        assert report.ok and report.objective == expected, (method, report)


def test_plan_job_start_beyond_the_limit_is_a_violation(tmp_path):
    import json

    import pandas as pd

    inst_path = ROOT / "instances" / "jobs" / "buffer_small.toml"
    out = tmp_path / "plan"
    assert runner.invoke(app, ["solve", str(inst_path), "-m", "admit-lp", "--out",
                               str(out)]).exit_code == 0
    jobs = pd.read_csv(out / "jobs.csv", keep_default_na=False)
    jobs.loc[0, "start"] = MAX_TICKS - 10**6  # 1 ns before the limit: the job ends beyond it
    jobs.to_csv(out / "jobs.csv", index=False)
    res = runner.invoke(app, ["validate", str(inst_path), str(out), "--json"])
    assert res.exit_code == 1, res.output
    codes = {v["code"] for v in json.loads(res.stdout)["report"]["violations"]}
    assert "A7-HORIZON" in codes
