"""The compiled cheapest-derivation sweeps equal the array form they replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qdcopt.network.lp.pricing import cheapest_derivations


def _array_form(base, improvable, gamma):
    n = len(gamma)
    P = np.maximum(np.array(base, dtype=float), 0.0)
    np.fill_diagonal(P, 0.0)
    free = np.array(improvable, dtype=bool)
    np.fill_diagonal(free, False)
    via = np.full((n, n), -1, dtype=np.int64)
    inv = 1.0 / gamma
    for _ in range(4 * n + 4):
        changed = False
        for w in range(n):
            col = P[:, w]
            cand = (col[:, None] + col[None, :]) * inv[w]
            better = free & (cand < P * (1.0 - 1e-13))
            better[w, :] = False
            better[:, w] = False
            if better.any():
                P[better] = cand[better]
                via[better] = w
                changed = True
        if not changed:
            break
    return P, via


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 10_000), density=st.floats(0.1, 1.0))
def test_compiled_sweeps_equal_the_array_form(n, seed, density):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.1, 10.0, (n, n))
    base = np.where(rng.random((n, n)) < density, base, np.inf)
    base = np.minimum(base, base.T)
    improvable = rng.random((n, n)) < 0.7
    improvable = improvable | improvable.T
    gamma = rng.uniform(0.1, 1.0, n)
    got = cheapest_derivations(base, improvable, gamma)
    want = _array_form(base, improvable, gamma)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_hand_computed_path():
    # a path 0 – 1 – 2 with link prices 1 and 2 and γ = 1/2 at node 1: P_02 = (1 + 2) · 2
    inf = np.inf
    base = np.array([[0, 1, inf], [1, 0, 2], [inf, 2, 0]], dtype=float)
    P, via = cheapest_derivations(base, np.isinf(base), np.array([1.0, 0.5, 1.0]))
    assert P[0, 2] == P[2, 0] == 6.0 and via[0, 2] == 1


@settings(max_examples=10, deadline=None)
@given(n=st.integers(13, 61), seed=st.integers(0, 10_000))
def test_parallel_rows_equal_the_array_form_on_larger_networks(n, seed):
    # enough rows that every thread gets several, odd and even n (the middle row alone)
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.1, 10.0, (n, n))
    base = np.where(rng.random((n, n)) < 0.15, base, np.inf)
    base = np.minimum(base, base.T)
    gamma = rng.uniform(0.3, 1.0, n)
    improvable = np.ones((n, n), dtype=bool)
    got = cheapest_derivations(base, improvable, gamma)
    want = _array_form(base, improvable, gamma)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
