"""Job instances: loading, scheduling, validation, determinism, bad files."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.datacenter.load import extract_eds, read_requests_csv
from qdcopt.errors import InstanceError

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
JOBS = ROOT / "instances" / "jobs"
runner = CliRunner()

INSTANCES = sorted(JOBS.glob("*.toml"))
BAD = sorted(DATA.glob("bad_*.toml"))


def test_there_are_job_instances():
    assert len(INSTANCES) >= 5


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_every_job_instance_schedules_with_greedy_and_validates(path):
    inst = qdcopt.load_instance(path)
    result = extract_eds(path)
    assert len(inst.requests) == len(result.requests)
    assert inst.job_runtime == result.job_runtime
    assert np.array_equal(inst.requests.t_need, result.requests.t_need)
    plan, _ = qdcopt.solve(inst, "greedy")
    report = qdcopt.validate(inst, plan)
    assert report.ok, [v.message for v in report.violations]


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_requests_are_sorted_and_per_job_consistent(path):
    result = extract_eds(path)
    req = result.requests
    assert np.all(np.diff(req.t_need) >= 0)
    assert np.all(req.a < req.b)
    summary = result.summary_frame().set_index("job")
    counts = dict(zip(*np.unique(req.job.astype(str), return_counts=True), strict=True))
    for job, row in summary.iterrows():
        assert counts.get(job, 0) == row.requests
        assert row.distributed_depth >= row.depth
        per_gate = 2 if row.protocol == "teleport" else 1
        assert row.requests == per_gate * row.non_local_gates - row.requests_saved


def test_jobs_on_shared_qpus_do_not_overlap():
    result = extract_eds(JOBS / "library_mix.toml")
    busy: dict[int, list[tuple[int, int]]] = {}
    for eds in result.jobs:
        for q in eds.placement.qpus:
            busy.setdefault(q, []).append((eds.start, eds.start + eds.runtime))
    for spans in busy.values():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert start >= end
    # each job's requests lie inside its run
    for eds in result.jobs:
        sel = result.requests.job == eds.job
        t = result.requests.t_need[sel]
        assert np.all(t >= eds.start) and np.all(t < eds.start + eds.runtime)


def test_same_seed_gives_the_same_schedule_and_another_seed_another(tmp_path):
    text = (JOBS / "random_four_qpus.toml").read_text(encoding="utf-8")
    a, b = extract_eds(JOBS / "random_four_qpus.toml"), extract_eds(JOBS / "random_four_qpus.toml")
    assert a.requests_frame().equals(b.requests_frame())
    assert a.summary_frame().equals(b.summary_frame())
    other = tmp_path / "other_seed.toml"
    other.write_text(text.replace("seed = 7", "seed = 8"), encoding="utf-8")
    c = extract_eds(other)
    assert not a.requests_frame().equals(c.requests_frame())


def test_request_csv_is_readable_as_explicit_requests(tmp_path):
    result = extract_eds(JOBS / "library_mix.toml")
    req_csv, jobs_csv = result.write_csv(tmp_path)
    assert jobs_csv.is_file()
    qindex = {q: i for i, q in enumerate(result.qpu_ids)}
    back = read_requests_csv(req_csv, qindex)
    assert back.id.tolist() == result.requests.id.tolist()
    assert np.array_equal(back.t_need, result.requests.t_need)
    assert np.array_equal(back.a, result.requests.a) and np.array_equal(back.b, result.requests.b)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_job_files_exit_2_with_a_message(path):
    res = runner.invoke(app, ["solve", str(path), "-m", "greedy"])
    assert res.exit_code == 2, res.output
    assert "error" in res.output and "Traceback" not in res.output
    with pytest.raises(InstanceError):
        qdcopt.load_instance(path)


@pytest.mark.parametrize(("stem", "line"), [("bad_qasm_syntax", 5), ("bad_qasm3_syntax", 6),
                                            ("bad_qasm_undefined_gate", 5)])
def test_qasm_error_exits_2_and_names_the_line(stem, line):
    res = runner.invoke(app, ["solve", str(DATA / f"{stem}.toml"), "-m", "greedy"])
    assert res.exit_code == 2
    message = " ".join(res.output.split())  # rich may wrap long lines
    assert f"{stem}.qasm: line {line}:" in message


def test_job_fields_and_defaults_are_applied(tmp_path):
    path = tmp_path / "fields.toml"
    path.write_text("""
kind = "datacenter"
t_max = "1 us"
[circuit_defaults]
gate_2q = "100 ns"
timing = "asap"
[[qpus]]
id = "A"
data_qubits = 2
[[qpus]]
id = "B"
data_qubits = 2
gate_1q = "10 ns"
[[sources]]
id = "S"
rate = "1 GHz"
[[jobs]]
id = "g"
circuit = "ghz"
qubits = 4
placement = "contiguous"
start = "1 us"
""", encoding="utf-8")
    result = extract_eds(path)
    eds = result.jobs[0]
    assert eds.options.timing == "asap" and eds.start == 10**9
    # H(q0) 5 ns on A, CX(q0,q1) 100 ns on A -> the request at 105 ns after the start
    assert result.requests.t_need.tolist() == [10**9 + 105 * 10**6]
    assert result.job_runtime["g"] == eds.start + eds.runtime


def test_gate_durations_come_from_the_hardware_file(tmp_path):
    (tmp_path / "hw.toml").write_text("""
kind = "datacenter"
t_max = "1 us"
[[qpus]]
id = "A"
data_qubits = 2
gate_2q = "100 ns"
[[qpus]]
id = "B"
data_qubits = 2
[[sources]]
id = "S"
rate = "1 GHz"
""", encoding="utf-8")
    path = tmp_path / "job.toml"
    path.write_text("""
kind = "datacenter"
hardware = "hw.toml"
[circuit_defaults]
placement = "contiguous"
[[jobs]]
circuit = "ghz"
qubits = 4
""", encoding="utf-8")
    result = extract_eds(path)
    # H 5 ns, then CX(q0, q1) on A at 100 ns: the request at 105 ns
    assert result.requests.t_need.tolist() == [105 * 10**6]
    assert result.jobs[0].job == "job0"
    inst = qdcopt.load_instance(path)
    assert inst.requests.t_need.tolist() == [105 * 10**6]
