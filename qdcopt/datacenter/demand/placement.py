"""Qubit placement on QPUs (paper 000, Phase B): contiguous blocks and graph partitions.

A job's qubits are placed on the QPUs allocated to it.  Two placements are offered:

``contiguous``
    The paper's baseline: qubit order is kept and cut into consecutive blocks, one per
    QPU, of near-equal size (never more than a QPU's data qubits).
``graph``
    A partition of the *interaction graph* (one node per qubit, edge weight = number of
    two-qubit gates between the two qubits) into one part per QPU, each part no larger
    than its QPU, that keeps the weight of cut edges — the non-local gates — small.  It is
    built by recursive bisection: the QPUs are split into two groups, the qubits into two
    sets sized in proportion to the groups' capacities (grown breadth-first so that
    connected qubits start together), the split is improved with Kernighan–Lin bisection
    (pair swaps keep both sizes; networkx's algorithm, compiled in
    :mod:`qdcopt.datacenter.demand.partition`), and each side is split again.  A final
    pass moves single qubits to a QPU with free room whenever that removes non-local
    gates.  The partition is never worse than the contiguous placement: the better of the
    two is returned (ties keep the partition).

:func:`allocate_qpus` picks the QPUs of a job from those free at a given time.
See ``models/eds.md`` for the objective and the reasoning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from qdcopt.datacenter.demand.partition import (
    Adjacency,
    adjacency_of_graph,
    adjacency_of_pairs,
    recursive_bisection,
    refine_moves,
)
from qdcopt.datacenter.demand.reduction import FlatCircuit

PLACEMENTS = ("contiguous", "graph")
"""Names of the placement methods."""


@dataclass(frozen=True, eq=False)
class Placement:
    """Where each qubit of a job sits.

    Attributes
    ----------
    method
        ``"contiguous"`` or ``"graph"``.
    qpus
        Instance indices of the job's QPUs.
    part
        For each qubit, the position in ``qpus`` of its QPU.
    non_local_gates
        Two-qubit gates whose qubits sit on different QPUs.
    two_qubit_gates
        All two-qubit gates of the (reduced) circuit.
    """

    method: str
    qpus: tuple[int, ...]
    part: np.ndarray
    non_local_gates: int
    two_qubit_gates: int

    def __post_init__(self) -> None:
        self.part.setflags(write=False)

    def qpu_of_qubit(self) -> np.ndarray:
        """Instance QPU index of each qubit."""
        return np.asarray(self.qpus, dtype=np.int64)[self.part]

    def sizes(self) -> list[int]:
        """Qubits placed on each of the job's QPUs."""
        return np.bincount(self.part, minlength=len(self.qpus)).tolist()


def interaction_graph(flat: FlatCircuit) -> nx.Graph:
    """The qubit interaction graph: edge weight = number of two-qubit gates on the pair.

    Every qubit is a node, including qubits without two-qubit gates.
    """
    a, b = flat.two_qubit_pairs()
    graph = nx.Graph()
    graph.add_nodes_from(range(flat.n_qubits))
    if len(a):
        lo = np.minimum(a, b).astype(np.int64)
        hi = np.maximum(a, b).astype(np.int64)
        keys, counts = np.unique(lo * flat.n_qubits + hi, return_counts=True)
        graph.add_weighted_edges_from(zip((keys // flat.n_qubits).tolist(),
                                          (keys % flat.n_qubits).tolist(), counts.tolist(),
                                          strict=True))
    return graph


def count_non_local(flat: FlatCircuit, part: np.ndarray) -> int:
    """Number of two-qubit gates whose qubits are in different parts."""
    a, b = flat.two_qubit_pairs()
    return int(np.count_nonzero(part[a] != part[b]))


def _check_capacity(n_qubits: int, capacities: Sequence[int]) -> None:
    if not capacities:
        raise ValueError("a placement needs at least one QPU")
    if sum(capacities) < n_qubits:
        raise ValueError(f"{n_qubits} qubits do not fit on QPUs with {sum(capacities)} data "
                         "qubits in total")


def balanced_sizes(n_qubits: int, capacities: Sequence[int]) -> list[int]:
    """Near-equal block sizes, none above its QPU's capacity (water filling).

    Every QPU is used when there are at least as many qubits as QPUs.
    """
    _check_capacity(n_qubits, capacities)
    k = len(capacities)
    sizes = [0] * k
    left = n_qubits
    open_ = list(range(k))
    while left > 0:
        share, extra = divmod(left, len(open_))
        nxt = []
        for j, i in enumerate(open_):
            want = share + (1 if j < extra else 0)
            take = min(want, capacities[i] - sizes[i])
            sizes[i] += take
            left -= take
            if sizes[i] < capacities[i]:
                nxt.append(i)
        open_ = nxt
    return sizes


def contiguous_part(n_qubits: int, capacities: Sequence[int]) -> np.ndarray:
    """Part of each qubit for consecutive blocks of :func:`balanced_sizes`."""
    sizes = balanced_sizes(n_qubits, capacities)
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def graph_part(graph: nx.Graph, capacities: Sequence[int], *, seed: int = 0,
               max_iter: int = 4) -> np.ndarray:
    """Capacity-respecting partition of an interaction graph (recursive KL bisection).

    Parameters
    ----------
    graph
        Nodes ``0 … n−1``, weighted edges.
    capacities
        Data qubits of each QPU.
    seed
        Seed of Kernighan–Lin's tie breaking (the bisection starts from the grown set,
        so that the partition does not depend on it).
    max_iter
        Kernighan–Lin passes per bisection (more passes gain little: at 1000 qubits on
        10 QPUs, 10 passes cut 0.3 % fewer gates than 4 at twice the time).

    Returns
    -------
    numpy.ndarray
        Part (QPU position) of each node; part ``i`` holds at most ``capacities[i]`` nodes.
    """
    return _partition(adjacency_of_graph(graph), capacities, max_iter)


def _partition(adjacency: Adjacency, capacities: Sequence[int], max_iter: int = 4,
               ) -> np.ndarray:
    _check_capacity(adjacency.n_nodes, capacities)
    # Parts keep the balanced sizes through the bisection (it only swaps), so every QPU
    # gets qubits as in the paper's allocation; the final moves may then use free room.
    part = recursive_bisection(adjacency, balanced_sizes(adjacency.n_nodes, capacities),
                               max_iter)
    refine_moves(adjacency, part, list(capacities))
    return part


def place(flat: FlatCircuit, qpus: Sequence[int], capacities: Sequence[int], method: str, *,
          seed: int = 0, graph: nx.Graph | None = None) -> Placement:
    """Place a job's qubits on its QPUs.

    Parameters
    ----------
    flat
        The reduced circuit.
    qpus
        Instance indices of the job's QPUs.
    capacities
        Data qubits of each of those QPUs.
    method
        ``"contiguous"`` or ``"graph"``.
    seed
        Seed of the partition heuristic.
    graph
        The interaction graph, if already built.

    Returns
    -------
    Placement
    """
    if method not in PLACEMENTS:
        raise ValueError(f"unknown placement {method!r} (known: {', '.join(PLACEMENTS)})")
    if len(qpus) != len(capacities):
        raise ValueError("one capacity per QPU is needed")
    two_q = int(np.count_nonzero(flat.two_qubit))
    base = contiguous_part(flat.n_qubits, capacities)
    part = base
    if method == "graph" and len(qpus) > 1:
        adjacency = (adjacency_of_graph(graph) if graph is not None
                     else adjacency_of_pairs(flat.n_qubits, *flat.two_qubit_pairs()))
        candidate = _partition(adjacency, capacities)
        # Kernighan–Lin is a local search; keep the baseline if it happens to be better.
        if count_non_local(flat, candidate) <= count_non_local(flat, base):
            part = candidate
    load = np.bincount(part, minlength=len(qpus))
    if np.any(load > np.asarray(capacities)):  # pragma: no cover - a defect, never input
        raise RuntimeError(f"placement overfills a QPU: {load.tolist()} > {list(capacities)}")
    return Placement(method=method, qpus=tuple(int(q) for q in qpus), part=part,
                     non_local_gates=count_non_local(flat, part), two_qubit_gates=two_q)


def allocate_qpus(n_qubits: int, capacities: Sequence[int], free: Sequence[bool], *,
                  n_qpus: int | None = None) -> list[int] | None:
    """Pick QPUs for a job among the free ones (paper 000, Phase B).

    Parameters
    ----------
    n_qubits
        Qubits of the job.
    capacities
        Data qubits of every QPU of the instance.
    free
        Whether each QPU is free.
    n_qpus
        Number of QPUs to use; ``None`` for the fewest that hold the job.

    Returns
    -------
    list[int] or None
        Instance QPU indices in increasing order, or ``None`` if the free QPUs cannot
        hold the job.

    Notes
    -----
    Fewest QPUs means fewest non-local gates in general, so QPUs are taken largest
    first; the last one is then swapped for the smallest free QPU that still makes room,
    which leaves large QPUs to later jobs and uses the chosen ones fully (the paper asks
    to maximise the qubits used per QPU).  Ties go to the lower index.
    """
    cand = sorted((i for i, f in enumerate(free) if f), key=lambda i: (-capacities[i], i))
    if n_qpus is not None:
        if n_qpus > len(cand):
            return None
        chosen = cand[:n_qpus]
        if sum(capacities[i] for i in chosen) < n_qubits or n_qubits < n_qpus:
            return None
    else:
        chosen = []
        total = 0
        for i in cand:
            if total >= n_qubits:
                break
            chosen.append(i)
            total += capacities[i]
        if total < n_qubits:
            return None
    if len(chosen) >= 1:
        rest = sum(capacities[i] for i in chosen[:-1])
        need = n_qubits - rest
        spare = [i for i in cand if i not in chosen[:-1] and capacities[i] >= max(need, 1)]
        if spare:
            chosen[-1] = min(spare, key=lambda i: (capacities[i], i))
    return sorted(chosen)


def earliest_allocation(n_qubits: int, capacities: Sequence[int], free_at: Sequence[int],
                        start: int, *, qpus: Sequence[int] | None = None,
                        n_qpus: int | None = None) -> tuple[list[int], int] | None:
    """QPUs for a job and the earliest tick from ``start`` on at which they are all free.

    Parameters
    ----------
    n_qubits, capacities, n_qpus
        As for :func:`allocate_qpus`.
    free_at
        Tick at which each QPU is released by the jobs allocated before.
    start
        The job's earliest start.
    qpus
        The job's own QPUs, if it names them (then only the start is searched).

    Returns
    -------
    (list[int], int) or None
        The QPUs and the start; ``None`` if the QPUs cannot hold the job at any time.

    Notes
    -----
    The free set only grows at a release, so the start is ``start`` or a release
    tick after it, and the first of these at which :func:`allocate_qpus` succeeds is the
    earliest.
    """
    if qpus is not None:
        return list(qpus), max([start, *(free_at[i] for i in qpus)])
    for t in sorted({start, *(f for f in free_at if f > start)}):
        chosen = allocate_qpus(n_qubits, capacities, [f <= t for f in free_at], n_qpus=n_qpus)
        if chosen is not None:
            return chosen, t
    return None
