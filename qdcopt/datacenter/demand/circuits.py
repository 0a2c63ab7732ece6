"""Circuit sources for datacenter jobs, and their reduction to one- and two-qubit operations.

A job's circuit comes from an OpenQASM 2 or 3 file (:func:`load_qasm`), from qiskit's
circuit library by name and size (:func:`library_circuit`), or from qiskit's seeded
``random_circuit`` (the workload of paper 000).  :func:`flatten` then reduces it to the
operations the entanglement-demand extractor times:

* every gate on three or more qubits is replaced by its qiskit definition, recursively,
  until only one- and two-qubit gates remain (never dropped);
* a two-qubit gate that is a *controlled* gate (``cx``, ``cz``, ``cp``, ``crx``, …) or
  diagonal (``rzz``) is kept whole, because one cat-entanglement link carries it exactly
  (see ``models/eds.md``); any other two-qubit gate (``swap``, ``iswap``, ``rxx``,
  ``ecr``, a two-qubit ``unitary``, …) is replaced by its definition, which is built from
  ``cx`` and one-qubit gates, so the count of non-local gates is honest;
* the result is held as integer arrays (:class:`FlatCircuit`) so that timing a
  1000-qubit, depth-200 circuit is a single pass over integers.

:func:`to_two_qubit_basis` returns the same reduction as a qiskit circuit, for inspection
and for checking equivalence with :class:`qiskit.quantum_info.Operator`.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ControlledGate, Instruction
from qiskit.circuit.random import random_circuit

from qdcopt.errors import InstanceError
from qdcopt.fields import check_file

# Operation kinds of a FlatCircuit.  Two-qubit kinds are the largest so that a single
# comparison (``kind >= K_CTRL``) tells two-qubit operations from the rest.
K_1Q = 0
"""A one-qubit gate."""
K_MEASURE = 1
"""A measurement."""
K_RESET = 2
"""A reset (measurement followed by a conditional flip)."""
K_DELAY = 3
"""An explicit delay; its length in ticks is in ``FlatCircuit.arg``."""
K_BARRIER = 4
"""A barrier; ``FlatCircuit.arg`` indexes ``FlatCircuit.barriers``."""
K_CTRL = 5
"""A controlled two-qubit gate; ``q0`` is the control."""
K_DIAG = 6
"""A diagonal two-qubit gate; either qubit may act as the control."""

KIND_NAMES = ("1q", "measure", "reset", "delay", "barrier", "controlled-2q", "diagonal-2q")

CONTROLLED_2Q = frozenset({"cx", "cy", "cz", "ch", "cs", "csdg", "csx", "cp", "cu", "cu1",
                           "cu3", "crx", "cry", "crz", "rzz"})
"""Two-qubit gates kept whole: one cat-entanglement link implements each exactly."""
DIAGONAL_2Q = frozenset({"cz", "cp", "cu1", "cs", "csdg", "crz", "rzz"})
"""Two-qubit gates diagonal in the computational basis (control role is free)."""

LIBRARY_NAMES = ("qft", "ghz", "quantum_volume", "qaoa", "adder", "multiplier")
"""Names accepted by :func:`library_circuit`."""

_QASM_LINE = re.compile(r":(\d+),(\d+):\s*(.*)", re.DOTALL)
_QASM3_REPORT = re.compile(r"Error:\s*(.*?)\n.*?\[[^\]]*?:(\d+):(\d+)\]", re.DOTALL)
_DELAY_UNITS = {"s": 10**15, "ms": 10**12, "us": 10**9, "ns": 10**6, "ps": 10**3}


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


@dataclass(frozen=True, eq=False)
class FlatCircuit:
    """A circuit reduced to timed operations over integer qubit indices.

    Attributes
    ----------
    name
        The circuit's name.
    n_qubits
        Number of qubits.
    kind
        Operation kind per operation (``K_1Q`` … ``K_DIAG``), in circuit order.
    q0, q1
        Qubit indices; ``q1`` is −1 for operations on one qubit (and barriers).
    arg
        Delay length in ticks (``K_DELAY``) or barrier index (``K_BARRIER``), else 0.
    barriers
        Qubit indices of each barrier.
    depth
        Depth of the reduced circuit (each operation one layer, barriers synchronise).
    """

    name: str
    n_qubits: int
    kind: np.ndarray
    q0: np.ndarray
    q1: np.ndarray
    arg: np.ndarray
    barriers: tuple[tuple[int, ...], ...]
    depth: int

    def __post_init__(self) -> None:
        for name in ("kind", "q0", "q1", "arg"):
            getattr(self, name).setflags(write=False)

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def two_qubit(self) -> np.ndarray:
        """Mask of the two-qubit gates."""
        return self.kind >= K_CTRL

    def two_qubit_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(q0, q1)`` of every two-qubit gate."""
        mask = self.two_qubit
        return self.q0[mask], self.q1[mask]

    def count(self, kind: int) -> int:
        """Number of operations of one kind."""
        return int(np.count_nonzero(self.kind == kind))


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


# ---------------------------------------------------------------------------------------
# OpenQASM
# ---------------------------------------------------------------------------------------
def load_qasm(path: str | Path) -> QuantumCircuit:
    """Read an OpenQASM 2 or 3 file (the ``OPENQASM`` header says which).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    QuantumCircuit

    Raises
    ------
    InstanceError
        When the file is missing or does not parse; the field names the line
        (``bad.qasm: line 5: …``) whenever the parser reports one.
    """
    path = Path(path)
    check_file(path, "QASM file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(path, "", f"cannot be read as UTF-8 text ({exc.__class__.__name__})"
                            ) from None
    qc = _load_qasm3(path, text) if _qasm_version(text) >= 3 else _load_qasm2(path, text)
    qc.name = path.stem
    return qc


def _qasm_version(text: str) -> int:
    """Major version from the ``OPENQASM x;`` header (2 when absent)."""
    m = re.search(r"^\s*OPENQASM\s+(\d+)", _strip_comments(text), re.MULTILINE)
    return int(m.group(1)) if m else 2


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


def _load_qasm2(path: Path, text: str) -> QuantumCircuit:
    from qiskit import qasm2

    try:
        return qasm2.loads(text, include_path=(str(path.parent),),
                           custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except qasm2.QASM2ParseError as exc:
        msg = str(exc).strip().strip("'\"")
        m = _QASM_LINE.search(msg)
        if m:
            raise InstanceError(path, f"line {m.group(1)}",
                                f"OpenQASM 2 error at column {int(m.group(2)) + 1}: "
                                f"{m.group(3).strip()}") from None
        raise InstanceError(path, "", f"OpenQASM 2 error: {msg}") from None


def _load_qasm3(path: Path, text: str) -> QuantumCircuit:
    from qiskit import qasm3

    def parse() -> QuantumCircuit:
        with warnings.catch_warnings():
            # The native importer warns that it is experimental on every call.
            warnings.simplefilter("ignore")
            return qasm3.loads_experimental(text, include_path=(str(path.parent),))

    # The native OpenQASM 3 parser prints its diagnostics (with the line) straight to the
    # process's output instead of putting them in the exception; capture them to report
    # the line in the error message.
    result, exc, printed = _capture_native_output(parse)
    if exc is None:
        return result
    m = _QASM3_REPORT.search(printed)
    if m:
        raise InstanceError(path, f"line {m.group(2)}",
                            f"OpenQASM 3 error at column {m.group(3)}: {m.group(1).strip()}")
    raise InstanceError(path, "", f"OpenQASM 3 error: {exc}")


def _capture_native_output(fn: Callable[[], Any]) -> tuple[Any, Exception | None, str]:
    """Run ``fn`` with file descriptors 1 and 2 redirected to a temporary file."""
    result: Any = None
    error: Exception | None = None
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(tmp.fileno(), 1)
            os.dup2(tmp.fileno(), 2)
            try:
                result = fn()
            except Exception as exc:  # the importer raises several exception types
                error = exc
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
        tmp.seek(0)
        printed = tmp.read().decode("utf-8", "replace")
    return result, error, printed


# ---------------------------------------------------------------------------------------
# reduction to one- and two-qubit operations
# ---------------------------------------------------------------------------------------
_Leaves = list[tuple[Instruction, tuple[int, ...]]]
"""Operations with their qubits (local indices inside a definition)."""


class CircuitError(ValueError):
    """A circuit holds an operation the extractor cannot reduce or time."""


def _kind_of(op: Instruction) -> int | None:
    """Kind of a leaf operation, or None when it must be decomposed further."""
    n = op.num_qubits
    name = op.name
    if getattr(op, "blocks", None):
        return None  # control flow: _expand reports it
    if name == "barrier" or n == 0:
        # a zero-qubit operation (a global phase) takes no time: treat it like a barrier
        return K_BARRIER
    if name == "measure":
        return K_MEASURE
    if name == "reset":
        return K_RESET
    if name == "delay":
        return K_DELAY
    if n == 1:
        return K_1Q
    if n == 2:
        if name in DIAGONAL_2Q:
            return K_DIAG
        if name in CONTROLLED_2Q:
            return K_CTRL
        if isinstance(op, ControlledGate) and op.num_ctrl_qubits == 1:
            # any singly controlled one-qubit gate (open controls are a local X away)
            return K_CTRL
    return None


def _cache_key(op: Instruction) -> tuple[Any, ...] | None:
    try:
        params = tuple(float(p) for p in op.params)
    except (TypeError, ValueError):
        return None
    return (op.name, op.num_qubits, params)


def _expand(op: Instruction, cache: dict[tuple[Any, ...], _Leaves], depth: int = 0) -> _Leaves:
    """Leaves of an operation's definition, on the operation's local qubit indices."""
    key = _cache_key(op)
    if key is not None and key in cache:
        return cache[key]
    if getattr(op, "blocks", None):
        raise CircuitError(f"classically controlled or looping operation {op.name!r} is not "
                           "supported; unroll it or drop the condition")
    if depth > 50:
        raise CircuitError(f"the definition of {op.name!r} does not terminate")
    definition = op.definition
    if definition is None:
        raise CircuitError(f"gate {op.name!r} on {op.num_qubits} qubits has no definition, so it "
                           "cannot be reduced to one- and two-qubit gates")
    local = {q: i for i, q in enumerate(definition.qubits)}
    out: _Leaves = []
    for inst in definition.data:
        sub = inst.operation
        qs = tuple(local[q] for q in inst.qubits)
        if _kind_of(sub) is not None:
            out.append((sub, qs))
        else:
            out.extend((leaf, tuple(qs[i] for i in lq))
                       for leaf, lq in _expand(sub, cache, depth + 1))
    if key is not None:
        cache[key] = out
    return out


def _delay_ticks(op: Instruction) -> int:
    unit = getattr(op, "unit", "s")
    if unit not in _DELAY_UNITS:
        raise CircuitError(f"delay in unit {unit!r} has no physical length; use s, ms, us, ns "
                           "or ps")
    return round(float(op.params[0]) * _DELAY_UNITS[unit])


def _fast_kinds() -> dict[str, tuple[int, int]]:
    """Kind and width of qiskit's standard operations, looked up by name (no object built)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    table: dict[str, tuple[int, int]] = {"measure": (K_MEASURE, 1), "reset": (K_RESET, 1)}
    for name, op in get_standard_gate_name_mapping().items():
        kind = _kind_of(op)
        if kind in (K_1Q, K_CTRL, K_DIAG):
            table[name] = (kind, op.num_qubits)
    return table


_FAST = _fast_kinds()


def _qubit_index(qc: QuantumCircuit) -> Callable[[Any], int]:
    """A fast ``qubit -> index`` function for one circuit.

    qiskit hands out a new ``Qubit`` object on every access, so a plain dictionary lookup
    pays for a Python-level equality test each time; keying on the (integer) hash avoids
    it when the hashes of the circuit's qubits are distinct, which is checked here.
    """
    qubits = qc.qubits
    by_hash = {hash(q): i for i, q in enumerate(qubits)}
    if len(by_hash) == len(qubits):
        return lambda q: by_hash[hash(q)]
    by_bit = {q: i for i, q in enumerate(qubits)}
    return by_bit.__getitem__


def flatten(qc: QuantumCircuit) -> FlatCircuit:
    """Reduce a circuit to one- and two-qubit operations over integer qubit indices.

    Parameters
    ----------
    qc
        Any qiskit circuit without classical control flow.

    Returns
    -------
    FlatCircuit

    Raises
    ------
    CircuitError
        For control flow, a gate without a definition, or a delay in unit ``dt``.
    """
    kinds: list[int] = []
    q0: list[int] = []
    q1: list[int] = []
    extra: dict[int, int] = {}  # position -> delay ticks or barrier index (rare)
    barriers: list[tuple[int, ...]] = []
    ix = _qubit_index(qc)
    fast = _FAST
    cache: dict[tuple[Any, ...], _Leaves] = {}
    # The definition of a standard gate has the same gates on the same qubits whatever its
    # angles, so its reduction is cached by name; a 1000-qubit random circuit holds
    # thousands of rxx/cu/... gates with distinct angles.
    shapes: dict[str, list[tuple[int, int, int]]] = {}
    for inst in qc.data:
        qq = inst.qubits
        name = inst.name
        hit = fast.get(name)
        if hit is not None and hit[1] == len(qq):
            # standard gates: classified by name without building the operation object
            kinds.append(hit[0])
            if hit[1] == 2:
                q0.append(ix(qq[0]))
                q1.append(ix(qq[1]))
            else:
                q0.append(ix(qq[0]))
                q1.append(-1)
            continue
        qubits = tuple(ix(q) for q in qq)
        shape = shapes.get(name) if inst.is_standard_gate() else None
        if shape is not None:
            for k, a, b in shape:
                kinds.append(k)
                q0.append(qubits[a])
                q1.append(qubits[b] if b >= 0 else -1)
            continue
        op = inst.operation
        leaves = ([(op, tuple(range(len(qubits))))] if _kind_of(op) is not None else
                  _expand(op, cache))
        if inst.is_standard_gate():
            shape = [(_kind_of(leaf), local[0], local[1] if len(local) > 1 else -1)
                     for leaf, local in leaves]
            if all(k in (K_1Q, K_CTRL, K_DIAG) for k, _, _ in shape):
                shapes[name] = shape
        for leaf, local in leaves:
            k = _kind_of(leaf)
            qs = tuple(qubits[i] for i in local)
            kinds.append(k)
            if k == K_BARRIER:
                extra[len(kinds) - 1] = len(barriers)
                barriers.append(qs)
                q0.append(qs[0] if qs else -1)
                q1.append(-1)
                continue
            q0.append(qs[0])
            q1.append(qs[1] if len(qs) > 1 else -1)
            if k == K_DELAY:
                extra[len(kinds) - 1] = _delay_ticks(leaf)
    arg = np.zeros(len(kinds), dtype=np.int64)
    if extra:
        arg[np.fromiter(extra.keys(), dtype=np.int64)] = np.fromiter(extra.values(),
                                                                       dtype=np.int64)
    depth = _depth(kinds, q0, q1, arg.tolist(), barriers, qc.num_qubits)
    return FlatCircuit(name=qc.name, n_qubits=qc.num_qubits,
                       kind=np.asarray(kinds, dtype=np.int8), q0=np.asarray(q0, dtype=np.int32),
                       q1=np.asarray(q1, dtype=np.int32), arg=arg,
                       barriers=tuple(barriers), depth=depth)


def _depth(kinds: list[int], q0: list[int], q1: list[int], arg: list[int],
           barriers: list[tuple[int, ...]], n: int) -> int:
    """Layers of the circuit (as-soon-as-possible levels; barriers synchronise)."""
    level = [0] * n
    for k, a, b, x in zip(kinds, q0, q1, arg, strict=True):
        if k >= K_CTRL:
            v = max(level[a], level[b]) + 1
            level[a] = level[b] = v
        elif k == K_BARRIER:
            qs = barriers[x]
            if qs:
                v = max(level[q] for q in qs)
                for q in qs:
                    level[q] = v
        else:
            level[a] += 1
    return max(level, default=0)


def to_two_qubit_basis(qc: QuantumCircuit) -> QuantumCircuit:
    """The reduced circuit (the operations :func:`flatten` times) as a qiskit circuit.

    Parameters
    ----------
    qc
        Any qiskit circuit without classical control flow.

    Returns
    -------
    QuantumCircuit
        Same qubits and global phase, only one- and two-qubit operations; it implements
        the same unitary as ``qc`` (measurements and resets aside).
    """
    out = QuantumCircuit(qc.num_qubits, qc.num_clbits, name=qc.name,
                         global_phase=qc.global_phase)
    clbit_index = {c: i for i, c in enumerate(qc.clbits)}
    index = {q: i for i, q in enumerate(qc.qubits)}
    cache: dict[tuple[Any, ...], _Leaves] = {}
    for inst in qc.data:
        op = inst.operation
        qubits = tuple(index[q] for q in inst.qubits)
        if _kind_of(op) is not None:
            out.append(op, qubits, [clbit_index[c] for c in inst.clbits])
            continue
        phase = _definition_phase(op)
        out.global_phase += phase
        for sub, local in _expand(op, cache):
            out.append(sub, [qubits[i] for i in local])
    return out


def _definition_phase(op: Instruction) -> float:
    """Global phase of an operation's definition tree (kept so unitaries match exactly)."""
    definition = op.definition
    if definition is None:
        return 0.0
    phase = float(definition.global_phase)
    for inst in definition.data:
        if _kind_of(inst.operation) is None:
            phase += _definition_phase(inst.operation)
    return phase
