"""GHZ fusion formulas: the expected maximum of exponential waits and the fidelity of a
GHZ state fused from Werner pairs, against independent computations."""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pytest
from scipy.integrate import quad

from qdcopt.network.ghz.model import expected_max, ghz_fidelity, star_fidelity
from qdcopt.network.resources import both_ready


@pytest.mark.parametrize("k", [1, 2, 3, 4, 8, 16])
def test_equal_waits_give_the_harmonic_number(k: int) -> None:
    harmonic = float(sum(Fraction(1, i) for i in range(1, k + 1)))
    assert expected_max([0.04] * k) == pytest.approx(0.04 * harmonic, rel=1e-12)


def test_three_equal_waits_are_eleven_sixths() -> None:
    assert expected_max([1.0, 1.0, 1.0]) == pytest.approx(11 / 6, rel=1e-15)


def test_two_waits_are_the_reserved_models_maximum() -> None:
    for a, b in [(1.0, 2.0), (0.3, 0.03), (5.0, 5.0)]:
        assert expected_max([a, b]) == pytest.approx(both_ready(a, b), rel=1e-14)


def test_unequal_waits_against_the_integral_of_the_maximums_tail() -> None:
    """E[max] = ∫ (1 − Π (1 − e^{−t/m_i})) dt, integrated numerically."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        means = rng.uniform(0.01, 1.0, size=5)
        tail, _ = quad(lambda t, m=means: 1.0 - np.prod(1.0 - np.exp(-t / m)), 0, np.inf,
                       epsabs=1e-13, epsrel=1e-12, limit=200)
        assert expected_max(means) == pytest.approx(tail, rel=1e-9)


def test_unequal_waits_by_hand() -> None:
    # rates 100, 50, 25 per second: Σ 1/λ − Σ 1/(λi + λj) + 1/(λ1 + λ2 + λ3)
    hand = (Fraction(1, 100) + Fraction(1, 50) + Fraction(1, 25) - Fraction(1, 150)
            - Fraction(1, 125) - Fraction(1, 75) + Fraction(1, 175))
    assert expected_max([0.01, 0.02, 0.04]) == pytest.approx(float(hand), rel=1e-14)


def test_an_infinite_wait_never_ends() -> None:
    assert expected_max([1.0, np.inf]) == np.inf


# -- fidelity against density matrices ---------------------------------------------------
PHI = np.array([1, 0, 0, 1]) / np.sqrt(2)


def _werner(w: float) -> np.ndarray:
    return w * np.outer(PHI, PHI) + (1 - w) * np.eye(4) / 4


def _ghz(k: int) -> np.ndarray:
    v = np.zeros(2 ** k)
    v[0] = v[-1] = 1 / np.sqrt(2)
    return v


class _State:
    """A density matrix over named qubits: pairs of Werner states, then local maps."""

    def __init__(self, pairs: list[tuple[str, str, float]]) -> None:
        self.labels = [q for a, b, _ in pairs for q in (a, b)]
        n = len(self.labels)
        self.rho = functools.reduce(np.kron, [_werner(w) for *_, w in pairs]
                                    ).reshape([2] * (2 * n))

    def apply(self, qubits: list[str], kraus: np.ndarray, out: list[str]) -> None:
        """Apply the map ``kraus`` (2^|out| × 2^|qubits|) on ``qubits``; its output
        qubits are named ``out``."""
        n = len(self.labels)
        rest = [q for q in self.labels if q not in qubits]
        perm = [self.labels.index(q) for q in qubits + rest]
        rho = self.rho.transpose(perm + [n + p for p in perm])
        d_in, d_rest = 2 ** len(qubits), 2 ** len(rest)
        rho = rho.reshape(d_in, d_rest, d_in, d_rest)
        rho = np.einsum("ai,ixjy,bj->axby", kraus, rho, kraus.conj())
        self.labels = out + rest
        m = len(self.labels)
        self.rho = rho.reshape([2] * (2 * m))

    def matrix(self, order: list[str]) -> np.ndarray:
        """The normalised density matrix with qubits in ``order`` (all qubits left)."""
        m = len(self.labels)
        assert sorted(order) == sorted(self.labels)
        perm = [self.labels.index(q) for q in order]
        rho = self.rho.transpose(perm + [m + p for p in perm]).reshape(2 ** m, 2 ** m)
        return rho / np.trace(rho)


def _measure_out(k: int) -> np.ndarray:
    """Project k qubits onto the GHZ state (a non-party centre)."""
    return _ghz(k)[None, :]


def _keep_one(k: int) -> np.ndarray:
    """|0…0⟩ → |0⟩, |1…1⟩ → |1⟩ (a party centre keeps one qubit)."""
    out = np.zeros((2, 2 ** k))
    out[0, 0] = out[1, -1] = 1.0
    return out


@pytest.mark.parametrize("ws", [[0.9, 0.8, 0.7], [0.99, 0.5, 0.95]])
def test_star_at_a_non_party_centre_is_the_density_matrix_fidelity(ws: list[float]) -> None:
    state = _State([("c1", "A", ws[0]), ("c2", "B", ws[1]), ("c3", "C", ws[2])])
    state.apply(["c1", "c2", "c3"], _measure_out(3), [])
    exact = _ghz(3) @ state.matrix(["A", "B", "C"]) @ _ghz(3)
    sides = [(w, frozenset({p})) for w, p in zip(ws, "ABC", strict=True)]
    assert ghz_fidelity(list("ABC"), sides) == pytest.approx(exact, abs=1e-12)
    assert star_fidelity(ws, centre_is_party=False) == pytest.approx(exact, abs=1e-12)


def test_star_at_a_party_centre_is_the_density_matrix_fidelity() -> None:
    ws = [0.9, 0.75, 0.6]
    state = _State([("c1", "A", ws[0]), ("c2", "B", ws[1]), ("c3", "D", ws[2])])
    state.apply(["c1", "c2", "c3"], _keep_one(3), ["C"])  # the centre C keeps a qubit
    exact = _ghz(4) @ state.matrix(["C", "A", "B", "D"]) @ _ghz(4)
    sides = [(w, frozenset({p})) for w, p in zip(ws, "ABD", strict=True)]
    assert ghz_fidelity(list("CABD"), sides) == pytest.approx(exact, abs=1e-12)
    assert star_fidelity(ws, centre_is_party=True) == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize("y_party", [False, True])
def test_two_fusions_are_the_density_matrix_fidelity(y_party: bool) -> None:
    """A–x, B–x, x–y, y–C, y–D fused at x (not a party) and at y (a party or not): the
    x–y pair splits the parties into {A, B} and the rest."""
    ws = [0.95, 0.85, 0.7, 0.9, 0.8]
    state = _State([("x1", "A", ws[0]), ("x2", "B", ws[1]), ("x3", "y1", ws[2]),
                    ("y2", "C", ws[3]), ("y3", "D", ws[4])])
    state.apply(["x1", "x2", "x3"], _measure_out(3), [])
    if y_party:
        state.apply(["y1", "y2", "y3"], _keep_one(3), ["Y"])
        parties = ["A", "B", "Y", "C", "D"]
    else:
        state.apply(["y1", "y2", "y3"], _measure_out(3), [])
        parties = ["A", "B", "C", "D"]
    g = _ghz(len(parties))
    exact = g @ state.matrix(parties) @ g
    sides = [(ws[0], frozenset("A")), (ws[1], frozenset("B")), (ws[2], frozenset("AB")),
             (ws[3], frozenset("C")), (ws[4], frozenset("D"))]
    assert ghz_fidelity(parties, sides) == pytest.approx(exact, abs=1e-12)


def test_two_parties_reduce_to_the_swap_rule() -> None:
    w1, w2 = 0.9, 0.7
    f = ghz_fidelity([0, 1], [(w1, frozenset({0})), (w2, frozenset({1}))])
    assert f == pytest.approx((1 + 3 * w1 * w2) / 4, abs=1e-15)
