"""Purification formulas: hand values, a density-matrix simulation of the DEJMPS circuit,
BBPSSW as DEJMPS on Werner pairs then twirled, and schedule costs by their recursions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdcopt.network.purification import (
    BellDiagonal,
    bbpssw,
    cheapest_schedule,
    dejmps,
    purify_werner,
    schedule,
    swap_fidelity,
    werner_fidelity,
    werner_parameter,
)

S2 = 1 / np.sqrt(2)
K0, K1 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
BELL = {"a": S2 * (np.kron(K0, K0) + np.kron(K1, K1)),   # Φ+
        "b": S2 * (np.kron(K0, K1) - np.kron(K1, K0)),   # Ψ−
        "c": S2 * (np.kron(K0, K1) + np.kron(K1, K0)),   # Ψ+
        "d": S2 * (np.kron(K0, K0) - np.kron(K1, K1))}   # Φ−


def _rho(s: BellDiagonal) -> np.ndarray:
    return sum(getattr(s, k) * np.outer(v, v) for k, v in BELL.items())


def _rx(theta: float) -> np.ndarray:
    return np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * np.array([[0, 1], [1, 0]])


def _cnot(ctrl: int, tgt: int, n: int = 4) -> np.ndarray:
    m = np.zeros((2 ** n, 2 ** n))
    for i in range(2 ** n):
        bits = [(i >> (n - 1 - q)) & 1 for q in range(n)]
        if bits[ctrl]:
            bits[tgt] ^= 1
        m[sum(b << (n - 1 - q) for q, b in enumerate(bits)), i] = 1
    return m


def _circuit(x: BellDiagonal, y: BellDiagonal) -> tuple[float, dict[str, float]]:
    """The DEJMPS circuit on qubits (A1, B1, A2, B2), simulated on density matrices."""
    r = np.kron(_rho(x), _rho(y))
    u = np.kron(np.kron(_rx(np.pi / 2), _rx(-np.pi / 2)), np.kron(_rx(np.pi / 2),
                                                                  _rx(-np.pi / 2)))
    r = u @ r @ u.conj().T
    c = _cnot(0, 2) @ _cnot(1, 3)
    r = c @ r @ c.T
    keep = np.diag([1.0 if ((i >> 1) & 1) == (i & 1) else 0.0 for i in range(16)])
    r = keep @ r @ keep
    p = float(np.trace(r).real)
    red = np.einsum("abcdefcd->abef", (r / p).reshape([2] * 8)).reshape(4, 4)
    return p, {k: float((v @ red @ v).real) for k, v in BELL.items()}


bell = st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4).map(
    lambda w: BellDiagonal(*(np.array(w) / sum(w))))


@settings(max_examples=30, deadline=None)
@given(x=bell, y=bell)
def test_dejmps_equals_the_simulated_circuit(x, y):
    p, out = dejmps(x, y)
    p_sim, out_sim = _circuit(x, y)
    assert p == pytest.approx(p_sim, abs=1e-12)
    for k in "abcd":
        assert getattr(out, k) == pytest.approx(out_sim[k], abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(f1=st.floats(0.25, 1.0), f2=st.floats(0.25, 1.0))
def test_bbpssw_is_dejmps_on_werner_pairs_then_twirled(f1, f2):
    p, f = bbpssw(f1, f2)
    q, out = dejmps(BellDiagonal.werner(f1), BellDiagonal.werner(f2))
    assert p == pytest.approx(q, abs=1e-12) and f == pytest.approx(out.a, abs=1e-12)


def test_hand_values_at_link_fidelity_085():
    # p = 0.85² + 2·0.85·0.05 + 5·0.05² = 0.82;  F' = (0.7225 + 0.0025) / 0.82
    p, f = bbpssw(0.85, 0.85)
    assert p == pytest.approx(0.82) and f == pytest.approx(0.725 / 0.82)
    # a swap alone: 0.85² + 0.15²/3 = 0.73
    assert swap_fidelity(0.85, 0.85) == pytest.approx(0.73)
    # fixed points of Werner purification: 1/2 and 1
    assert bbpssw(0.5, 0.5)[1] == pytest.approx(0.5)
    assert bbpssw(1.0, 1.0) == pytest.approx((1.0, 1.0))


def test_schedule_costs_follow_their_recursions():
    p1, f1 = bbpssw(0.85, 0.85)
    two = schedule(0.85, 2, protocol="bbpssw", kind="recurrence")
    p2, f2 = bbpssw(f1, f1)
    assert two.fidelity == pytest.approx(f2) and two.pairs == pytest.approx(2 * (2 / p1) / p2)
    pump = schedule(0.85, 2, protocol="bbpssw", kind="pumping")
    q2, g2 = bbpssw(f1, 0.85)
    assert pump.fidelity == pytest.approx(g2) and pump.pairs == pytest.approx((2 / p1 + 1) / q2)
    assert schedule(0.85, 0).pairs == 1.0 and schedule(0.85, 0).fidelity == 0.85


def test_cheapest_schedule_is_the_cheapest_of_all_that_reach_the_target():
    target = 0.95
    best = cheapest_schedule(0.85, target)
    every = [schedule(0.85, r, protocol=p, kind=k) for r in range(9)
             for p in ("dejmps", "bbpssw") for k in ("recurrence", "pumping")]
    reach = [s for s in every if s.fidelity >= target]
    assert best is not None and best.pairs == pytest.approx(min(s.pairs for s in reach))
    # DEJMPS gains more per round than BBPSSW on the same pairs
    assert schedule(0.85, 2).fidelity > schedule(0.85, 2, protocol="bbpssw").fidelity
    # no gain at or below 1/2, and a link that already meets the target costs one pair
    assert cheapest_schedule(0.5, 0.6) is None
    assert cheapest_schedule(0.9, 0.85).pairs == 1.0


@pytest.mark.parametrize("bad", [-0.1, 0.2, 1.1, float("nan")])
def test_fidelity_outside_its_range_is_refused(bad):
    with pytest.raises(ValueError, match="fidelity"):
        BellDiagonal.werner(bad)
    with pytest.raises(ValueError):
        bbpssw(bad, 0.9)


@pytest.mark.parametrize(("f1", "f2"), [(0.85, 0.85), (0.6, 0.95), (0.99, 0.51), (0.3, 0.7)])
def test_werner_rule_is_dejmps_and_bbpssw_on_werner_inputs(f1, f2):
    p, w = purify_werner(werner_parameter(f1), werner_parameter(f2))
    q, out = dejmps(BellDiagonal.werner(f1), BellDiagonal.werner(f2))
    assert p == pytest.approx(q, rel=1e-12)
    assert werner_fidelity(w) == pytest.approx(out.fidelity, rel=1e-12)
    pb, fb = bbpssw(f1, f2)
    assert (p, werner_fidelity(w)) == pytest.approx((pb, fb), rel=1e-12)
    assert purify_werner(werner_parameter(f1), werner_parameter(f2), "bbpssw") == (p, w)
