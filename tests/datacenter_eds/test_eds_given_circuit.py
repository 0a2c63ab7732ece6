"""A qiskit ``QuantumCircuit`` is accepted wherever a job's QASM file is.

The same circuit given as an object in a document built in Python and written to a QASM
file must give the same requests; different circuits must not share a cached reduction;
changing the caller's circuit after loading must not change the job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm2

import qdcopt
from qdcopt.datacenter.demand.circuits import CircuitSpec
from qdcopt.errors import InstanceError


def _document(job: dict) -> dict:
    return {
        "kind": "datacenter", "name": "given", "t_max": "1 us", "job_buffer": True,
        "circuit_defaults": {"placement": "contiguous"},
        "qpus": [{"id": q, "data_qubits": 2} for q in "ABCD"],
        "sources": [{"id": "S", "rate": "1 GHz"}],
        "jobs": [{"id": "j", **job}],
    }


def _star(n: int, target_last: bool = False) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(0)
    for t in range(1, n):
        qc.cx(0, t)
    if target_last:
        qc.cz(1, n - 1)
    return qc


def _table(inst):
    r = inst.requests
    return list(zip(r.job.tolist(), r.a.tolist(), r.b.tolist(), r.t_need.tolist(), strict=True))


def test_circuit_object_equals_its_qasm_file(tmp_path: Path):
    qc = _star(4)
    (tmp_path / "star.qasm").write_text(qasm2.dumps(qc))
    from_file = qdcopt.load_instance(_write(tmp_path, 'qasm = "star.qasm"'))
    for key in ("circuit", "qasm"):
        given = qdcopt.load_instance(_document({key: qc}))
        assert _table(given) == _table(from_file)
        assert len(given.requests) == 2  # cx(0,2) and cx(0,3) cross from A to B


def _write(tmp_path: Path, circuit_line: str) -> Path:
    text = (
        'kind = "datacenter"\nname = "given"\nt_max = "1 us"\njob_buffer = true\n'
        '[circuit_defaults]\nplacement = "contiguous"\n'
        + "".join(f'[[qpus]]\nid = "{q}"\ndata_qubits = 2\n' for q in "ABCD")
        + '[[sources]]\nid = "S"\nrate = "1 GHz"\n'
        + f'[[jobs]]\nid = "j"\n{circuit_line}\n')
    path = tmp_path / "given.toml"
    path.write_text(text)
    return path


def test_different_circuits_do_not_share_a_cached_reduction():
    a = qdcopt.load_instance(_document({"circuit": _star(4)}))
    b = qdcopt.load_instance(_document({"circuit": _star(4, target_last=True)}))
    assert len(b.requests) == len(a.requests) + 1  # cz(1,3) also crosses
    assert CircuitSpec.of(_star(4)) == CircuitSpec.of(_star(4))  # equal circuits share


def test_the_job_keeps_the_circuit_as_given():
    qc = _star(4)
    inst = qdcopt.load_instance(_document({"circuit": qc}))
    before = _table(inst)
    qc.cx(1, 3)  # the caller changes its object afterwards
    assert _table(qdcopt.load_instance(_document({"circuit": _star(4)}))) == before
    plan, _ = qdcopt.solve(inst, "pipeline-parallel")
    report = qdcopt.validate(inst, plan)
    assert report.ok and report.objective == len(before)
    assert np.array_equal(inst.requests.t_need, np.array([t for *_, t in before]))


@pytest.mark.parametrize(("job", "rule"), [
    ({"circuit": _star(4), "qubits": 4}, "does not apply"),
    ({"circuit": _star(4), "qasm": "x.qasm"}, "exactly one"),
])
def test_bad_jobs_with_a_given_circuit(job, rule):
    with pytest.raises(InstanceError, match=rule):
        qdcopt.load_instance(_document(job))
