"""Circuit sources for datacenter jobs.

A job's circuit comes from an OpenQASM 2 or 3 file
(:func:`~qdcopt.datacenter.demand.qasm.load_qasm`), from qiskit's circuit library by name
and size (:func:`library_circuit`), or from qiskit's seeded ``random_circuit`` (the
workload of paper 000); :class:`CircuitSpec` says which, and :func:`build_circuit` makes
it.  :mod:`~qdcopt.datacenter.demand.reduction` then reduces it to the operations the
entanglement-demand extractor times.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit

from qdcopt.datacenter.demand.qasm import load_qasm

LIBRARY_NAMES = ("qft", "ghz", "quantum_volume", "qaoa", "adder", "multiplier")
"""Names accepted by :func:`library_circuit`."""

@dataclass(frozen=True)
class CircuitSpec:
    """Where a job's circuit comes from.

    Attributes
    ----------
    name
        ``"qasm"``, ``"random"``, ``"given"`` (a qiskit circuit, :meth:`of`) or one of
        :data:`LIBRARY_NAMES`.
    qubits
        Number of qubits (``random``, ``qft``, ``ghz``, ``quantum_volume``, ``qaoa``).
    bits
        Bits per operand (``adder``, ``multiplier``).
    depth
        Layers of ``random`` and ``quantum_volume`` (default: as many as qubits for the
        latter).
    reps
        QAOA layers (``qaoa``).
    seed
        Seed of everything random in the circuit.
    max_operands
        Largest gate of ``random`` (2 keeps the paper-000 workload of ≈ 36 000 two-qubit
        gates at 1000 qubits × depth 200; 3 or 4 add gates that are then decomposed).
    file
        The OpenQASM file (``qasm``).
    circuit
        The qiskit circuit itself (``given``, see :meth:`of`); left out of equality and
        hashing, which use ``digest``.
    digest
        Fingerprint of ``circuit`` (``given``), so that equal circuits share one cached
        reduction and different ones never do.
    """

    name: str
    qubits: int | None = None
    bits: int | None = None
    depth: int | None = None
    reps: int = 1
    seed: int = 0
    max_operands: int = 2
    file: Path | None = None
    circuit: QuantumCircuit | None = field(default=None, compare=False, repr=False)
    digest: str = ""

    @classmethod
    def of(cls, circuit: QuantumCircuit, *, seed: int = 0) -> CircuitSpec:
        """A spec holding a qiskit circuit given directly (instead of a QASM file).

        The circuit is copied, so later changes to the caller's object do not reach
        the job.

        Parameters
        ----------
        circuit
            The circuit.
        seed
            Seed of the job's placement.

        Returns
        -------
        CircuitSpec
        """
        if not isinstance(circuit, QuantumCircuit):
            raise TypeError(f"expected a qiskit QuantumCircuit, got {type(circuit).__name__}")
        own = circuit.copy()
        return cls(name="given", seed=seed, circuit=own, digest=circuit_digest(own))


def circuit_digest(qc: QuantumCircuit) -> str:
    """A fingerprint of a circuit: SHA-256 of its QPY serialisation (every gate, its
    parameters, qubits and definition); circuits QPY cannot write get one unique to the
    object, which only costs a cache miss."""
    import hashlib
    import io

    from qiskit import qpy

    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # qiskit numbers unnamed circuits ("circuit-12"): the name is no part of it
            qpy.dump(qc.copy(name="given"), buffer)
    except Exception:  # an object QPY cannot write: no sharing, never a wrong match
        return f"object-{id(qc)}"
    return hashlib.sha256(buffer.getvalue()).hexdigest()

# ---------------------------------------------------------------------------------------
# circuit sources
# ---------------------------------------------------------------------------------------
def build_circuit(spec: CircuitSpec) -> QuantumCircuit:
    """Build the qiskit circuit a :class:`CircuitSpec` describes.

    Parameters
    ----------
    spec
        The circuit source.

    Returns
    -------
    QuantumCircuit
        The circuit, before reduction (see :func:`flatten`).

    Raises
    ------
    InstanceError
        For a QASM file that cannot be read or parsed (naming the file and the line).
    ValueError
        For an unknown name or a missing size.
    """
    if spec.name == "given":
        if spec.circuit is None:
            raise ValueError("a given circuit needs the circuit")
        return spec.circuit
    if spec.name == "qasm":
        if spec.file is None:
            raise ValueError("a qasm circuit needs a file")
        return load_qasm(spec.file)
    if spec.name == "random":
        if spec.qubits is None or spec.depth is None:
            raise ValueError("a random circuit needs qubits and depth")
        return random_job_circuit(spec.qubits, spec.depth, seed=spec.seed,
                                  max_operands=spec.max_operands)
    return library_circuit(spec.name, qubits=spec.qubits, bits=spec.bits, depth=spec.depth,
                           reps=spec.reps, seed=spec.seed)


def random_job_circuit(qubits: int, depth: int, *, seed: int, max_operands: int = 2,
                       ) -> QuantumCircuit:
    """qiskit's ``random_circuit`` without measurements, named after its size and seed.

    Parameters
    ----------
    qubits, depth
        Width and number of layers.
    seed
        Seed of qiskit's generator (the same seed gives the same circuit).
    max_operands
        Largest gate (1 to 4 qubits).
    """
    if not 1 <= max_operands <= 4:
        raise ValueError(f"max_operands must be 1 to 4, got {max_operands}")
    qc = random_circuit(qubits, depth, max_operands=max_operands, measure=False, seed=seed)
    qc.name = f"random_{qubits}x{depth}_s{seed}"
    return qc


def library_circuit(name: str, *, qubits: int | None = None, bits: int | None = None,
                    depth: int | None = None, reps: int = 1, seed: int = 0) -> QuantumCircuit:
    """A named circuit from qiskit's circuit library.

    Parameters
    ----------
    name
        ``"qft"`` (:class:`~qiskit.circuit.library.QFTGate`), ``"ghz"`` (H then a CX
        chain), ``"quantum_volume"`` (:func:`~qiskit.circuit.library.quantum_volume`),
        ``"qaoa"`` (:func:`~qiskit.circuit.library.qaoa_ansatz` of MaxCut on a seeded random
        3-regular graph, angles drawn from the seed), ``"adder"``
        (:class:`~qiskit.circuit.library.FullAdderGate`) or ``"multiplier"``
        (:class:`~qiskit.circuit.library.MultiplierGate`).
    qubits
        Width (all but ``adder`` and ``multiplier``).
    bits
        Bits per operand (``adder``: 2·bits + 2 qubits; ``multiplier``: 4·bits qubits).
    depth
        Layers of ``quantum_volume`` (default: ``qubits``).
    reps
        QAOA layers.
    seed
        Seed of the random parts (``quantum_volume``, ``qaoa``).

    Returns
    -------
    QuantumCircuit
    """
    from qiskit.circuit.library import (
        FullAdderGate,
        MultiplierGate,
        QFTGate,
        qaoa_ansatz,
        quantum_volume,
    )

    if name in ("adder", "multiplier"):
        if bits is None or bits < 1:
            raise ValueError(f"{name} needs bits ≥ 1, got {bits}")
        gate = FullAdderGate(bits) if name == "adder" else MultiplierGate(bits)
        qc = QuantumCircuit(gate.num_qubits, name=f"{name}_{bits}")
        qc.append(gate, range(gate.num_qubits))
        return qc
    if name not in LIBRARY_NAMES:
        raise ValueError(f"unknown circuit {name!r} (known: {', '.join(LIBRARY_NAMES)})")
    if qubits is None or qubits < 1:
        raise ValueError(f"{name} needs qubits ≥ 1, got {qubits}")
    if name == "qft":
        qc = QuantumCircuit(qubits, name=f"qft_{qubits}")
        qc.append(QFTGate(qubits), range(qubits))
        return qc
    if name == "ghz":
        qc = QuantumCircuit(qubits, name=f"ghz_{qubits}")
        qc.h(0)
        for i in range(qubits - 1):
            qc.cx(i, i + 1)
        return qc
    if name == "quantum_volume":
        qc = quantum_volume(qubits, depth if depth is not None else qubits, seed=seed)
        qc.name = f"quantum_volume_{qubits}_s{seed}"
        return qc
    # qaoa: MaxCut on a random 3-regular graph (or a ring when 3-regular is impossible)
    if qubits < 2:
        raise ValueError(f"qaoa needs qubits ≥ 2, got {qubits}")
    from qiskit.quantum_info import SparsePauliOp

    if qubits >= 4 and qubits % 2 == 0:
        graph = nx.random_regular_graph(3, qubits, seed=seed)
    else:
        graph = nx.cycle_graph(qubits)
    terms = [("ZZ", [int(u), int(v)], 1.0) for u, v in sorted(graph.edges())]
    cost = SparsePauliOp.from_sparse_list(terms, num_qubits=qubits)
    ansatz = qaoa_ansatz(cost, reps=reps)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, np.pi, size=ansatz.num_parameters)
    qc = ansatz.assign_parameters(values.tolist())
    qc.name = f"qaoa_{qubits}_p{reps}_s{seed}"
    return qc

