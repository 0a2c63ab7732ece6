"""Circuit sources and their reduction to one- and two-qubit operations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from qdcopt.datacenter.demand.circuits import (
    CircuitSpec,
    build_circuit,
    library_circuit,
    random_job_circuit,
)
from qdcopt.datacenter.demand.qasm import load_qasm
from qdcopt.datacenter.demand.reduction import (
    K_BARRIER,
    K_CTRL,
    K_DIAG,
    K_MEASURE,
    CircuitError,
    flatten,
    to_two_qubit_basis,
)
from qdcopt.errors import InstanceError

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
JOBS = ROOT / "instances" / "jobs"

SMALL = [
    ("qft", {"qubits": 5}),
    ("ghz", {"qubits": 5}),
    ("quantum_volume", {"qubits": 4, "seed": 3}),
    ("qaoa", {"qubits": 6, "reps": 2, "seed": 2}),
    ("adder", {"bits": 2}),
    ("multiplier", {"bits": 1}),
]


@pytest.mark.parametrize(("name", "kwargs"), SMALL)
def test_library_circuits_reduce_to_the_same_unitary(name, kwargs):
    qc = library_circuit(name, **kwargs)
    reduced = to_two_qubit_basis(qc)
    assert max(len(inst.qubits) for inst in reduced.data) <= 2
    assert Operator(reduced).equiv(Operator(qc))
    flat = flatten(qc)
    # flatten times exactly the operations of the reduced circuit, and its depth is qiskit's
    assert len(flat) == len(reduced.data)
    assert flat.depth == reduced.depth()
    assert int(flat.two_qubit.sum()) == sum(len(i.qubits) == 2 for i in reduced.data)


@pytest.mark.parametrize("max_operands", [3, 4])
def test_random_circuits_with_large_gates_are_decomposed_not_dropped(max_operands):
    qc = random_job_circuit(6, 6, seed=11, max_operands=max_operands)
    assert max(len(i.qubits) for i in qc.data) > 2
    reduced = to_two_qubit_basis(qc)
    assert Operator(reduced).equiv(Operator(qc))
    flat = flatten(qc)
    assert flat.depth == reduced.depth()
    assert len(flat) == len(reduced.data)


def test_only_controlled_and_diagonal_gates_stay_whole():
    qc = QuantumCircuit(2)
    qc.cp(0.3, 0, 1)
    qc.crx(0.2, 0, 1)
    qc.rzz(0.4, 0, 1)
    qc.swap(0, 1)  # three CX
    qc.rxx(0.5, 0, 1)  # two CX
    flat = flatten(qc)
    two = flat.kind[flat.two_qubit].tolist()
    assert two == [K_DIAG, K_CTRL, K_DIAG, K_CTRL, K_CTRL, K_CTRL, K_CTRL, K_CTRL]
    assert Operator(to_two_qubit_basis(qc)).equiv(Operator(qc))


def test_random_circuit_is_seeded():
    a = flatten(random_job_circuit(30, 8, seed=5))
    b = flatten(random_job_circuit(30, 8, seed=5))
    c = flatten(random_job_circuit(30, 8, seed=6))
    for name in ("kind", "q0", "q1"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not (len(a) == len(c) and np.array_equal(a.q0, c.q0))


def test_paper_workload_size():
    # qiskit's random_circuit with two-qubit gates at most, 200 qubits x depth 20: about
    # a third of the qubit slots hold a two-qubit gate (36 000 at 1000 x 200).
    qc = random_job_circuit(200, 20, seed=0)
    n2 = sum(len(i.qubits) == 2 for i in qc.data)
    assert 0.25 * 200 * 20 / 2 < n2 < 0.5 * 200 * 20


def test_measure_barrier_and_delay_are_timed():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.barrier()
    qc.delay(30, 1, unit="ns")
    qc.measure(0, 0)
    flat = flatten(qc)
    assert flat.kind.tolist()[1] == K_BARRIER and flat.barriers == ((0, 1),)
    assert flat.arg.tolist()[2] == 30 * 10**6
    assert flat.kind.tolist()[3] == K_MEASURE
    # barrier synchronises: the delay starts after H
    assert flat.depth == 2


def test_delay_in_dt_is_rejected():
    qc = QuantumCircuit(1)
    qc.delay(10, 0, unit="dt")
    with pytest.raises(CircuitError, match="dt"):
        flatten(qc)


def test_qasm2_and_qasm3_files_load():
    halves = load_qasm(JOBS / "two_halves.qasm")
    assert halves.num_qubits == 8 and halves.name == "two_halves"
    toffoli = load_qasm(JOBS / "toffoli.qasm")
    assert toffoli.count_ops()["ccx"] == 1
    spec = CircuitSpec(name="qasm", file=JOBS / "toffoli.qasm")
    assert build_circuit(spec).num_qubits == 4


@pytest.mark.parametrize(("name", "line", "words"), [
    ("bad_qasm_syntax.qasm", 5, "argument list"),
    ("bad_qasm3_syntax.qasm", 6, "Expected"),
    ("bad_qasm_undefined_gate.qasm", 5, "frobnicate"),
])
def test_qasm_errors_name_the_file_and_the_line(name, line, words):
    with pytest.raises(InstanceError) as info:
        load_qasm(DATA / name)
    assert info.value.file.endswith(name)
    assert info.value.field == f"line {line}"
    assert words in info.value.rule


def test_control_flow_is_rejected():
    qc = load_qasm(DATA / "bad_qasm_control_flow.qasm")
    with pytest.raises(CircuitError, match="if_else"):
        flatten(qc)


def test_unknown_library_name():
    with pytest.raises(ValueError, match="unknown circuit"):
        library_circuit("grover", qubits=3)
