"""Qubit placement and QPU allocation."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qdcopt.datacenter.demand.circuits import library_circuit, random_job_circuit
from qdcopt.datacenter.demand.placement import (
    allocate_qpus,
    balanced_sizes,
    contiguous_part,
    count_non_local,
    interaction_graph,
    place,
)
from qdcopt.datacenter.demand.reduction import flatten


def test_balanced_sizes_respect_capacities():
    assert balanced_sizes(10, [5, 5]) == [5, 5]
    assert balanced_sizes(7, [5, 5]) == [4, 3]
    assert balanced_sizes(9, [2, 10, 10]) == [2, 4, 3]
    assert balanced_sizes(2, [4, 4, 4]) == [1, 1, 0]
    with pytest.raises(ValueError, match="do not fit"):
        balanced_sizes(9, [4, 4])


def test_contiguous_blocks_keep_qubit_order():
    assert contiguous_part(5, [3, 3]).tolist() == [0, 0, 0, 1, 1]


def test_interaction_graph_weights_count_gates():
    flat = flatten(library_circuit("ghz", qubits=3))
    g = interaction_graph(flat)
    assert sorted(g.edges(data="weight")) == [(0, 1, 1), (1, 2, 1)]
    assert g.number_of_nodes() == 3


@pytest.mark.parametrize(("caps", "seed"), [([10, 10, 10, 10], 0), ([16, 8, 8, 8], 1),
                                            ([13, 13, 14], 2), ([6] * 7, 3)])
def test_graph_placement_respects_capacity_and_beats_blocks(caps, seed):
    flat = flatten(random_job_circuit(40, 10, seed=seed))
    qpus = list(range(len(caps)))
    graph = place(flat, qpus, caps, "graph", seed=seed)
    blocks = place(flat, qpus, caps, "contiguous", seed=seed)
    assert all(s <= c for s, c in zip(graph.sizes(), caps, strict=True))
    assert sum(graph.sizes()) == 40
    assert graph.non_local_gates <= blocks.non_local_gates
    assert graph.non_local_gates == count_non_local(flat, graph.part)


def test_graph_placement_uses_free_room_to_cut_fewer_gates():
    # A triangle q0-q1-q2 plus an idle q3 starts split 2 + 2, which cuts two edges of the
    # triangle; both QPUs have room for 3, so one single-qubit move gathers the triangle
    # without overfilling a QPU.
    qc = QuantumCircuit(4)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(2, 0)
    qc.h(3)
    flat = flatten(qc)
    assert place(flat, [0, 1], [3, 3], "contiguous").non_local_gates == 2
    where = place(flat, [0, 1], [3, 3], "graph")
    assert where.non_local_gates == 0
    assert max(where.sizes()) <= 3


def test_graph_placement_is_seeded():
    flat = flatten(random_job_circuit(60, 12, seed=9))
    a = place(flat, [0, 1, 2], [20, 20, 20], "graph", seed=4)
    b = place(flat, [0, 1, 2], [20, 20, 20], "graph", seed=4)
    assert np.array_equal(a.part, b.part)


def test_allocation_takes_fewest_qpus_and_fits_tightly():
    caps = [10, 4, 6, 10]
    # 12 qubits: two QPUs are needed; one 10-qubit QPU, then the smallest that fits (4)
    assert allocate_qpus(12, caps, [True] * 4) == [0, 1]
    assert allocate_qpus(5, caps, [True] * 4) == [2]
    assert allocate_qpus(5, caps, [True] * 4, n_qpus=2) == [0, 1]
    assert allocate_qpus(30, caps, [True] * 4) == [0, 1, 2, 3]
    assert allocate_qpus(12, caps, [False, True, True, False]) is None
    assert allocate_qpus(12, caps, [True, False, False, True]) == [0, 3]
