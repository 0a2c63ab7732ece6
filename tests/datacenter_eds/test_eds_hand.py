"""Hand-derived entanglement demand schedules of small circuits.

Durations throughout: one-qubit gate 5 ns, two-qubit gate 50 ns, measurement 5 ns (the
default: same as a one-qubit gate), classical messages 0 ns.  The cat-entanglement gadget
of a non-local gate with control c on QPU A and target t on QPU B is

    L+0  CX(c, e_A)        A  50 ns   <- the Bell pair is consumed here: the request
    L+1  measure e_A       A   5 ns
    L+2  X(e_B) if 1       B   5 ns
    L+3  gate(e_B, t)      B  50 ns   (or the first layer where t is free)
    L+4  H(e_B)            B   5 ns
    L+5  measure e_B       B   5 ns
    L+6  Z(c) if 1         A   5 ns   -> c free again at layer L+7

where L is the first layer in which c is free.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

import qdcopt
from qdcopt.datacenter.demand.circuits import library_circuit
from qdcopt.datacenter.demand.placement import place
from qdcopt.datacenter.demand.reduction import flatten, to_two_qubit_basis
from qdcopt.datacenter.demand.schedule import EdsOptions, QpuTiming, distribute, extract_job
from qdcopt.datacenter.load import extract_eds

ROOT = Path(__file__).resolve().parents[2]
JOBS = ROOT / "instances" / "jobs"
NS = 10**6  # ticks per nanosecond
TWO = [QpuTiming(), QpuTiming()]


def ghz4() -> QuantumCircuit:
    qc = QuantumCircuit(4, name="ghz4")
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(2, 3)
    return qc


def test_ghz4_on_two_qpus_layers():
    # q0, q1 on A and q2, q3 on B (contiguous blocks of two).
    #   layer 0: H(q0)                         5 ns   [0, 5)
    #   layer 1: CX(q0, q1) local on A        50 ns   [5, 55)
    #   CX(q1, q2) is non-local, q1 is free from layer 2:
    #   layer 2: CX(q1, e_A)                  50 ns   [55, 105)  <- request A-B at 55 ns
    #   layer 3: measure e_A                   5 ns   [105, 110)
    #   layer 4: X(e_B)                        5 ns   [110, 115)
    #   layer 5: CX(e_B, q2)                  50 ns   [115, 165)
    #   layer 6: H(e_B) and CX(q2, q3) local  50 ns   [165, 215)  (q2 free from layer 6)
    #   layer 7: measure e_B                   5 ns   [215, 220)
    #   layer 8: Z(q1)                         5 ns   [220, 225)
    # -> one request (A, B) at 55 ns, distributed depth 9, runtime 225 ns.
    flat = flatten(ghz4())
    eds = extract_job(flat, [0, 1], [2, 2], TWO, placement="contiguous")
    assert eds.placement.part.tolist() == [0, 0, 1, 1]
    assert eds.qpu_a.tolist() == [0] and eds.qpu_b.tolist() == [1]
    assert eds.t_need.tolist() == [55 * NS]
    assert eds.layer.tolist() == [2]
    assert eds.depth == 4
    assert eds.distributed_depth == 9
    assert eds.runtime == 225 * NS
    assert eds.non_local_gates == 1 and eds.n_requests == 1 and eds.requests_saved == 0


def test_ghz4_on_two_qpus_asap():
    # Same circuit, each operation as soon as its qubits are free:
    #   H(q0) [0, 5); CX(q0, q1) [5, 55); gadget from 55: CX(q1, e_A) [55, 105),
    #   measure [105, 110), X(e_B) [110, 115), CX(e_B, q2) [115, 165) -> q2 free at 165;
    #   H [165, 170), measure [170, 175), Z(q1) [175, 180) -> q1 free at 180;
    #   CX(q2, q3) [165, 215).  Runtime = 215 ns; request at 55 ns.
    flat = flatten(ghz4())
    eds = extract_job(flat, [0, 1], [2, 2], TWO, placement="contiguous",
                      options=EdsOptions(timing="asap"))
    assert eds.t_need.tolist() == [55 * NS]
    assert eds.runtime == 215 * NS
    assert eds.runtime_layers == 225 * NS


def test_ghz4_graph_placement_cuts_one_gate():
    # The interaction graph is the path q0-q1-q2-q3; two parts of two cut one edge,
    # best the middle one, so the schedule is the same as with contiguous blocks.
    eds = extract_job(flatten(ghz4()), [0, 1], [2, 2], TWO, placement="graph")
    assert eds.non_local_gates == 1
    assert sorted(eds.placement.part[[0, 1]].tolist()) == [eds.placement.part[0]] * 2
    assert eds.t_need.tolist() == [55 * NS]


def test_ghz4_teleportation():
    # Teleport q1 to B and back; layers:
    #   0 H(q0) 5 | 1 CX(q0,q1) 50 | 2 CX(q1,e_A) 50  <- request 1 at 55 ns
    #   3 H(q1) 5 | 4 measure q1, e_A 5 | 5 correction on e_B 5
    #   6 CX(e_B, q2) 50 | 7 CX(e_B, f_B) 50 and CX(q2, q3) 50  <- request 2 at 170 ns
    #   8 H(e_B) 5 | 9 measure 5 | 10 correction on f_A 5  -> runtime 235 ns, depth 11.
    eds = extract_job(flatten(ghz4()), [0, 1], [2, 2], TWO, placement="contiguous",
                      options=EdsOptions(protocol="teleport"))
    assert eds.t_need.tolist() == [55 * NS, 170 * NS]
    assert eds.n_requests == 2 and eds.non_local_gates == 1
    assert eds.distributed_depth == 11
    assert eds.runtime == 235 * NS


def test_ghz4_instance_file_matches_the_derivation():
    result = extract_eds(JOBS / "ghz4_two_qpus.toml")
    frame = result.requests_frame()
    assert frame[["id", "job", "qpu_a", "qpu_b", "t_need_fs"]].values.tolist() == [
        ["ghz.r0", "ghz", "A", "B", 55 * NS]]
    row = result.summary_frame().iloc[0]
    assert (row.depth, row.distributed_depth, row.runtime_fs) == (4, 9, 225 * NS)


def fan_out() -> QuantumCircuit:
    qc = QuantumCircuit(4)
    qc.h(0)
    qc.cx(0, 2)
    qc.cx(0, 3)
    return qc


def test_cat_link_reuse_for_consecutive_gates_with_same_control():
    # q0 (A) controls q2 and q3 (both on B), nothing touches q0 in between.
    # Without reuse: two gadgets; the second starts when q0 is free at layer 8:
    #   layers 0 H 5 | 1 CX 50 | 2 M 5 | 3 X 5 | 4 CX(e_B,q2) 50 | 5 H 5 | 6 M 5 | 7 Z 5
    #   | 8 CX 50 | 9 M 5 | 10 X 5 | 11 CX(e_B,q3) 50 | 12 H 5 | 13 M 5 | 14 Z 5
    #   -> requests at 5 ns and 130 ns, runtime 255 ns.
    # With reuse: CX(e_B, q3) follows at layer 5 on the same link, then H, M, Z:
    #   layers 0 H 5 | 1 CX 50 | 2 M 5 | 3 X 5 | 4 CX 50 | 5 CX 50 | 6 H 5 | 7 M 5 | 8 Z 5
    #   -> one request at 5 ns, runtime 180 ns, one request saved.
    flat = flatten(fan_out())
    where = place(flat, [0, 1], [2, 2], "contiguous")
    plain = distribute(flat, where, TWO, EdsOptions())
    assert plain.t_need.tolist() == [5 * NS, 130 * NS]
    assert plain.runtime == 255 * NS and plain.distributed_depth == 15
    reuse = distribute(flat, where, TWO, EdsOptions(reuse=True))
    assert reuse.t_need.tolist() == [5 * NS]
    assert reuse.runtime == 180 * NS and reuse.distributed_depth == 9
    assert reuse.requests_saved == 1 and reuse.non_local_gates == 2


def test_reuse_ends_when_the_control_is_touched():
    qc = fan_out()
    qc.h(0)  # acts on the control between the remote gates: the link must close
    qc.cx(0, 2)
    where = place(flatten(qc), [0, 1], [2, 2], "contiguous")
    eds = distribute(flatten(qc), where, TWO, EdsOptions(reuse=True))
    assert eds.non_local_gates == 3
    assert eds.n_requests == 2 and eds.requests_saved == 1


def test_reuse_picks_the_control_of_a_diagonal_gate():
    # CZ is symmetric: after CX(q0, q2) opened a link q0 -> B, CZ(q3, q0) can use it with
    # q0 as the control.
    qc = QuantumCircuit(4)
    qc.cx(0, 2)
    qc.cz(3, 0)
    where = place(flatten(qc), [0, 1], [2, 2], "contiguous")
    eds = distribute(flatten(qc), where, TWO, EdsOptions(reuse=True))
    assert eds.n_requests == 1 and eds.requests_saved == 1


def test_toffoli_is_decomposed_and_its_requests_counted():
    # qiskit's CCX definition: 6 CX + 9 one-qubit gates; CX(1,2), CX(0,2), CX(1,2),
    # CX(0,2) join a control to the target, CX(0,1) twice joins the controls.  With the
    # controls on A and the target on B: 4 non-local gates, 4 requests.
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    flat = flatten(qc)
    assert len(flat) == 15
    assert int(flat.two_qubit.sum()) == 6
    reduced = to_two_qubit_basis(qc)
    assert max(len(i.qubits) for i in reduced.data) == 2
    assert Operator(reduced).equiv(Operator(qc))
    eds = extract_job(flat, [0, 1], [2, 1], TWO, placement="contiguous")
    assert eds.placement.part.tolist() == [0, 0, 1]
    assert eds.non_local_gates == 4 and eds.n_requests == 4
    assert set(zip(eds.qpu_a.tolist(), eds.qpu_b.tolist(), strict=True)) == {(0, 1)}


def test_toffoli_instance_file():
    result = extract_eds(JOBS / "toffoli.toml")
    row = result.summary_frame().iloc[0]
    assert (row.two_qubit_gates, row.non_local_gates, row.requests) == (7, 4, 4)
    inst = qdcopt.load_instance(JOBS / "toffoli.toml")
    assert len(inst.requests) == 4


def two_halves(n: int = 8) -> QuantumCircuit:
    """Even and odd qubits interact only among themselves."""
    qc = QuantumCircuit(n)
    for parity in (0, 1):
        qs = list(range(parity, n, 2))
        qc.h(qs[0])
        for a, b in pairwise(qs):
            qc.cx(a, b)
        qc.cz(qs[-1], qs[0])
    return qc


@pytest.mark.parametrize("n", [8, 12, 40])
def test_two_halves_need_no_requests_under_graph_placement(n):
    flat = flatten(two_halves(n))
    contiguous = extract_job(flat, [0, 1], [n // 2] * 2, TWO, placement="contiguous")
    graph = extract_job(flat, [0, 1], [n // 2] * 2, TWO, placement="graph")
    assert contiguous.n_requests > 0
    assert graph.n_requests == 0 and graph.non_local_gates == 0
    assert graph.placement.sizes() == [n // 2, n // 2]
    # with no non-local gate the distributed circuit is the circuit itself
    assert graph.distributed_depth == graph.depth


def test_two_halves_instance_file_gives_no_requests():
    result = extract_eds(JOBS / "two_halves.toml")
    assert len(result.requests) == 0
    assert result.summary_frame().iloc[0].non_local_gates == 0


def test_one_qpu_needs_no_entanglement_and_keeps_depth():
    qc = library_circuit("qft", qubits=6)
    flat = flatten(qc)
    eds = extract_job(flat, [0], [6], [QpuTiming()], placement="graph")
    assert eds.n_requests == 0
    assert eds.distributed_depth == flat.depth == to_two_qubit_basis(qc).depth()


def test_per_qpu_durations_and_classical_latency():
    # B's two-qubit gates take 80 ns and messages 20 ns: the GHZ gadget becomes
    #   layers 0 H 5 | 1 CX 50 | 2 CX(q1,e_A) 50 | 3 M 5 | 4 X(e_B) 20+5 | 5 CX(e_B,q2) 80
    #   | 6 H(e_B) 5 and CX(q2,q3) 80 | 7 M 5 | 8 Z(q1) 20+5  -> 325 ns, request at 55 ns.
    timings = [QpuTiming(), QpuTiming(gate_2q=80 * NS)]
    eds = extract_job(flatten(ghz4()), [0, 1], [2, 2], timings, placement="contiguous",
                      options=EdsOptions(classical=20 * NS))
    assert eds.t_need.tolist() == [55 * NS]
    assert eds.runtime == (5 + 50 + 50 + 5 + 25 + 80 + 80 + 5 + 25) * NS


def test_request_count_identity_on_a_random_circuit():
    from qdcopt.datacenter.demand.circuits import random_job_circuit

    flat = flatten(random_job_circuit(40, 12, seed=3))
    for protocol, per_gate in (("cat", 1), ("teleport", 2)):
        for reuse in (False, True):
            eds = extract_job(flat, [0, 1, 2, 3], [10] * 4, [QpuTiming()] * 4,
                              options=EdsOptions(protocol=protocol, reuse=reuse))
            assert eds.n_requests == per_gate * eds.non_local_gates - eds.requests_saved
            assert (reuse and eds.requests_saved > 0) or (not reuse and eds.requests_saved == 0)
            assert np.all(eds.qpu_a != eds.qpu_b)
            for t, runtime in ((eds.t_need_layers, eds.runtime_layers),
                               (eds.t_need_asap, eds.runtime_asap)):
                assert t.min() >= 0 and t.max() < runtime
            assert eds.runtime_asap <= eds.runtime_layers
