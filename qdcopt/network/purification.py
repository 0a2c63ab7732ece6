"""Entanglement purification on Bell-diagonal and Werner pairs: one place for the formulas.

A two-qubit Bell-diagonal state is ``ρ = a·Φ⁺ + b·Ψ⁻ + c·Ψ⁺ + d·Φ⁻`` (projectors on the
Bell states; ``a`` is the fidelity to Φ⁺, the target).  A Werner state of fidelity ``F``
is the Bell-diagonal state ``(F, e, e, e)`` with ``e = (1 − F)/3``; its Werner parameter
is ``w = (4F − 1)/3`` (the runtime's ``w``; a perfect swap of two Werner pairs multiplies
their parameters).

**DEJMPS** (Deutsch et al., PRL 77, 2818, 1996).  Alice applies ``R_x(π/2)`` and Bob
``R_x(−π/2)`` to both pairs, each side applies a CNOT from its first to its second qubit,
both measure the second qubits in the Z basis and keep the first pair when the outcomes
agree.  With inputs ``(a₁, b₁, c₁, d₁)`` and ``(a₂, b₂, c₂, d₂)``::

    N  = (a₁ + b₁)(a₂ + b₂) + (c₁ + d₁)(c₂ + d₂)      (success probability)
    a' = (a₁a₂ + b₁b₂) / N        b' = (c₁d₂ + d₁c₂) / N
    c' = (c₁c₂ + d₁d₂) / N        d' = (a₁b₂ + b₁a₂) / N

(the tests check every coefficient against a density-matrix simulation of the circuit).

**BBPSSW** (Bennett et al., PRL 76, 722, 1996) is the same circuit on Werner inputs
followed by a twirl back to a Werner state: success
``p = F₁F₂ + F₁(1−F₂)/3 + (1−F₁)F₂/3 + 5(1−F₁)(1−F₂)/9`` and output fidelity
``F' = (F₁F₂ + (1−F₁)(1−F₂)/9) / p``.

**Schedules.**  *Recurrence* purifies two pairs of level ``k − 1`` into one of level
``k``; *pumping* purifies the pair made so far with a fresh link pair, ``k`` times.  A
failure discards both inputs.  Expected link pairs per output pair, with ``p_k`` the
success of step ``k`` and ``E₀ = 1``::

    recurrence  E_k = 2 E_{k−1} / p_k          pumping  E_k = (E_{k−1} + 1) / p_k

(a pumping failure restarts from a fresh pair, so the pair built so far is paid again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEJMPS = "dejmps"
BBPSSW = "bbpssw"
PROTOCOLS = (DEJMPS, BBPSSW)
RECURRENCE = "recurrence"
PUMPING = "pumping"
SCHEDULES = (RECURRENCE, PUMPING)
_TOL = 1e-9


@dataclass(frozen=True)
class BellDiagonal:
    """A Bell-diagonal two-qubit state ``a·Φ⁺ + b·Ψ⁻ + c·Ψ⁺ + d·Φ⁻``.

    Attributes
    ----------
    a, b, c, d
        Non-negative weights summing to 1; ``a`` is the fidelity to Φ⁺.
    """

    a: float
    b: float
    c: float
    d: float

    def __post_init__(self) -> None:
        parts = (self.a, self.b, self.c, self.d)
        if not all(math.isfinite(x) and x >= -_TOL for x in parts):
            raise ValueError(f"Bell-diagonal weights must be finite and >= 0, got {parts}")
        if abs(sum(parts) - 1.0) > 1e-6:
            raise ValueError(f"Bell-diagonal weights must sum to 1, got {sum(parts)!r}")

    @classmethod
    def werner(cls, fidelity: float) -> BellDiagonal:
        """The Werner state of ``fidelity`` (in [1/4, 1])."""
        check_fidelity(fidelity)
        e = (1.0 - fidelity) / 3.0
        return cls(fidelity, e, e, e)

    @property
    def fidelity(self) -> float:
        """Fidelity to Φ⁺."""
        return self.a

    def twirled(self) -> BellDiagonal:
        """The Werner state of the same fidelity (what a random bilateral twirl leaves)."""
        return BellDiagonal.werner(self.a)


def check_fidelity(fidelity: float) -> None:
    """Refuse a fidelity outside [1/4, 1] (a two-qubit state's fidelity to a Bell state)."""
    if not (math.isfinite(fidelity) and 0.25 - _TOL <= fidelity <= 1.0 + _TOL):
        raise ValueError(f"a fidelity must lie in [0.25, 1], got {fidelity!r}")


def werner_parameter(fidelity: float) -> float:
    """``w = (4F − 1)/3`` of a Werner state of fidelity ``F``."""
    return (4.0 * fidelity - 1.0) / 3.0


def werner_fidelity(w: float) -> float:
    """``F = (3w + 1)/4`` of a Werner state of parameter ``w``."""
    return (3.0 * w + 1.0) / 4.0


def operation_factor(dephasing_rate: float, duration: float) -> float:
    """Factor on a pair's Werner parameter when one of its qubits takes part in an
    operation of ``duration`` seconds under dephasing at ``dephasing_rate`` (1/s).

    The qubit dephases with probability ``p = 1 − exp(−rate · duration)``; twirled back to
    a Werner state the pair keeps ``w · (1 − 4p/3)``.  A swap measures two qubits, one of
    each input, so its output is ``w₁ · w₂ · factor²`` — the rule the planners, the
    validator and the runtime share.
    """
    p = -math.expm1(-dephasing_rate * duration)
    return 1.0 - 4.0 * p / 3.0


def swap_fidelity(f1: float, f2: float) -> float:
    """Fidelity after a perfect entanglement swap of two Werner pairs: ``w = w₁ w₂``.

    Equivalently ``F₁F₂ + (1 − F₁)(1 − F₂)/3``.
    """
    return werner_fidelity(werner_parameter(f1) * werner_parameter(f2))


def dejmps(x: BellDiagonal, y: BellDiagonal) -> tuple[float, BellDiagonal]:
    """One DEJMPS round on pairs ``x`` and ``y``.

    Returns
    -------
    (success probability, output state)
    """
    n = (x.a + x.b) * (y.a + y.b) + (x.c + x.d) * (y.c + y.d)
    out = BellDiagonal((x.a * y.a + x.b * y.b) / n, (x.c * y.d + x.d * y.c) / n,
                       (x.c * y.c + x.d * y.d) / n, (x.a * y.b + x.b * y.a) / n)
    return n, out


def bbpssw(f1: float, f2: float) -> tuple[float, float]:
    """One BBPSSW round on Werner pairs of fidelities ``f1`` and ``f2``.

    Returns
    -------
    (success probability, output fidelity) — the output is twirled to a Werner state.
    """
    check_fidelity(f1)
    check_fidelity(f2)
    e1, e2 = (1.0 - f1) / 3.0, (1.0 - f2) / 3.0
    p = f1 * f2 + f1 * e2 + e1 * f2 + 5.0 * e1 * e2
    return p, (f1 * f2 + e1 * e2) / p


def purify_werner(w1: float, w2: float, protocol: str = DEJMPS) -> tuple[float, float]:
    """One purification round on Werner pairs of parameters ``w1``, ``w2``, the output
    twirled back to a Werner pair (which keeps its fidelity).

    This is the rule the planners (:mod:`qdcopt.network.trees.past`), the plans' latency and
    flows (:mod:`qdcopt.network.physics`) and the validator share.

    Returns
    -------
    (success probability, output Werner parameter)
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    # On Werner inputs (F, e, e, e) DEJMPS and BBPSSW coincide: N = (F₁ + e₁)(F₂ + e₂) +
    # 4e₁e₂ = F₁F₂ + F₁e₂ + e₁F₂ + 5e₁e₂ and a' = (F₁F₂ + e₁e₂)/N (the tests check this
    # closed form against both); written out because the planners call it per label
    f1, f2 = (3.0 * w1 + 1.0) / 4.0, (3.0 * w2 + 1.0) / 4.0
    e1, e2 = (1.0 - f1) / 3.0, (1.0 - f2) / 3.0
    p = f1 * f2 + f1 * e2 + e1 * f2 + 5.0 * e1 * e2
    f = (f1 * f2 + e1 * e2) / p
    return p, (4.0 * min(1.0, f) - 1.0) / 3.0


@dataclass(frozen=True)
class Schedule:
    """A purification schedule applied to link pairs of one fidelity.

    Attributes
    ----------
    protocol
        ``"dejmps"`` or ``"bbpssw"``.
    kind
        ``"recurrence"`` or ``"pumping"``.
    rounds
        Purification steps (0: the link pair itself).
    fidelity
        Output fidelity.
    pairs
        Expected link pairs consumed per output pair.
    state
        Output state (Bell-diagonal; Werner for BBPSSW).
    """

    protocol: str
    kind: str
    rounds: int
    fidelity: float
    pairs: float
    state: BellDiagonal


def schedule(fidelity: float, rounds: int, *, protocol: str = DEJMPS,
             kind: str = RECURRENCE) -> Schedule:
    """The output and cost of ``rounds`` steps of a schedule on Werner link pairs.

    Parameters
    ----------
    fidelity
        Fidelity of the link pairs (Werner).
    rounds
        Purification steps, ``>= 0``.
    protocol, kind
        See :data:`PROTOCOLS`, :data:`SCHEDULES`.

    Returns
    -------
    Schedule
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if kind not in SCHEDULES:
        raise ValueError(f"kind must be one of {', '.join(SCHEDULES)}, got {kind!r}")
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds!r}")
    link = BellDiagonal.werner(fidelity)
    state, pairs = link, 1.0
    for _ in range(rounds):
        other = state if kind == RECURRENCE else link
        if protocol == DEJMPS:
            p, state = dejmps(state, other)
        else:
            p, f = bbpssw(state.a, other.a)
            state = BellDiagonal.werner(min(1.0, f))
        pairs = (2.0 * pairs if kind == RECURRENCE else pairs + 1.0) / p
    return Schedule(protocol, kind, rounds, state.a, pairs, state)


def cheapest_schedule(fidelity: float, target: float, *, protocols: tuple[str, ...] = PROTOCOLS,
                      kinds: tuple[str, ...] = SCHEDULES, max_rounds: int = 8,
                      ) -> Schedule | None:
    """The schedule reaching ``target`` with the fewest expected link pairs per output.

    Every protocol, kind and round count up to ``max_rounds`` is tried (ties: fewer
    rounds, then the order of ``protocols`` and ``kinds``).

    Returns
    -------
    Schedule or None
        ``None`` when none reaches ``target`` (e.g. link fidelity ≤ 1/2, where
        purification of Werner pairs cannot gain).
    """
    check_fidelity(target)
    best: Schedule | None = None
    for rounds in range(max_rounds + 1):
        for protocol in protocols:
            for kind in kinds:
                s = schedule(fidelity, rounds, protocol=protocol, kind=kind)
                if s.fidelity >= target - _TOL and (best is None or s.pairs < best.pairs
                                                     - 1e-12):
                    best = s
        if rounds == 0 and best is not None:
            return best  # the link pair itself suffices
    return best


__all__ = ["BBPSSW", "DEJMPS", "PROTOCOLS", "PUMPING", "RECURRENCE", "SCHEDULES",
           "BellDiagonal", "Schedule", "bbpssw", "cheapest_schedule", "check_fidelity",
           "dejmps", "schedule", "swap_fidelity", "werner_fidelity", "werner_parameter"]
