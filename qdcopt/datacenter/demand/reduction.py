"""A circuit reduced to the one- and two-qubit operations the entanglement-demand extractor times.

:func:`flatten` reduces a qiskit circuit (from
:mod:`~qdcopt.datacenter.demand.circuits`):

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ControlledGate, Instruction

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

_DELAY_UNITS = {"s": 10**15, "ms": 10**12, "us": 10**9, "ns": 10**6, "ps": 10**3}

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
