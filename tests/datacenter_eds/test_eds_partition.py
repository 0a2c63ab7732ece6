"""The compiled partitioner makes the placements networkx's Kernighan–Lin bisection made."""

from __future__ import annotations

import networkx as nx
import numpy as np
import placement_reference as reference
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdcopt.datacenter.demand.circuits import random_job_circuit
from qdcopt.datacenter.demand.partition import adjacency_of_graph, adjacency_of_pairs
from qdcopt.datacenter.demand.placement import (
    count_non_local,
    graph_part,
    interaction_graph,
    place,
)
from qdcopt.datacenter.demand.reduction import flatten


def _capacities(n: int, k: int, spare: int) -> list[int]:
    base = -(-n // k)
    return [base + (spare if i % 2 else 0) for i in range(k)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(4, 70), st.integers(1, 25), st.integers(2, 7), st.integers(0, 3),
       st.integers(0, 1000))
def test_partition_of_random_circuits_equals_the_networkx_one(qubits, depth, k, spare,
                                                              seed):
    flat = flatten(random_job_circuit(qubits, depth, seed=seed))
    caps = _capacities(qubits, k, spare)
    graph = interaction_graph(flat)
    want = reference.graph_part(graph, caps)
    assert graph_part(graph, caps).tolist() == want.tolist()
    where = place(flat, list(range(k)), caps, "graph", seed=seed)
    base = place(flat, list(range(k)), caps, "contiguous", seed=seed)
    cut = count_non_local(flat, want)
    assert where.non_local_gates == min(cut, base.non_local_gates)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(6, 60), st.floats(0.02, 0.4), st.integers(2, 6), st.integers(0, 500),
       st.booleans())
def test_partition_of_random_graphs_equals_the_networkx_one(n, p, k, seed, shuffled):
    # sparse graphs with several components, weights 1–5; nodes added in any order
    rng = np.random.default_rng(seed)
    g = nx.gnp_random_graph(n, p, seed=seed)
    graph = nx.Graph()
    nodes = list(rng.permutation(n).tolist()) if shuffled else list(range(n))
    graph.add_nodes_from(nodes)
    for u, v in g.edges:
        graph.add_edge(u, v, weight=int(rng.integers(1, 6)))
    caps = _capacities(n, k, 1)
    assert graph_part(graph, caps).tolist() == reference.graph_part(graph, caps).tolist()


def test_the_paper_workload_gets_the_networkx_placement():
    # 200 qubits on 10 QPUs: subgraphs of fewer than half the qubits are iterated in
    # Python's set order by networkx's views, and that order is kept
    flat = flatten(random_job_circuit(200, 40, seed=1))
    graph = interaction_graph(flat)
    for caps in ([20] * 10, [25] * 8, [40, 40, 40, 40, 40]):
        assert graph_part(graph, caps).tolist() == reference.graph_part(graph, caps).tolist()


def test_adjacency_from_the_circuit_is_the_graph_adjacency():
    flat = flatten(random_job_circuit(30, 12, seed=4))
    from_pairs = adjacency_of_pairs(flat.n_qubits, *flat.two_qubit_pairs())
    from_graph = adjacency_of_graph(interaction_graph(flat))
    for name in ("indptr", "indices", "weights", "rank"):
        assert np.array_equal(getattr(from_pairs, name), getattr(from_graph, name)), name


def test_float_weights_are_kept():
    graph = nx.Graph()
    graph.add_nodes_from(range(4))
    graph.add_edge(0, 1, weight=0.5)
    graph.add_edge(2, 3, weight=2.5)
    graph.add_edge(1, 2, weight=0.25)
    assert adjacency_of_graph(graph).weights.dtype == np.float64
    assert graph_part(graph, [2, 2]).tolist() == reference.graph_part(graph, [2, 2]).tolist()


@pytest.mark.parametrize("qpus", [2, 5])
def test_a_circuit_without_two_qubit_gates_keeps_the_blocks(qpus):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(10)
    qc.h(range(10))
    flat = flatten(qc)
    where = place(flat, list(range(qpus)), [10] * qpus, "graph")
    assert where.non_local_gates == 0 and sum(where.sizes()) == 10
