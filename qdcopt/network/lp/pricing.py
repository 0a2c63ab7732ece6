"""Pricing swap hyperedges: which columns of the full hypergraph could raise the LP optimum.

The hyperflow LP (``models/hyperflow.md``) has one conservation row per state ``{u, v}``,
``consumed − produced ≤ 0``, with dual price ``π_{uv} ≥ 0``.  A swap column ``(w, u, v)``
has objective coefficient 0 and entries ``+1`` in rows ``{u, w}`` and ``{w, v}`` and
``-γ_w`` in row ``{u, v}``, so its reduced cost (maximisation) is

    rc(w, u, v) = γ_w · π_{uv} − π_{uw} − π_{wv}.

A restricted LP holds only some swaps.  A state that no active column produces (and that
is neither a link nor a request) is *free*: its row forces its consumers to zero and its
dual from the restricted LP says nothing about what the state would be worth.  The full
LP's dual is completed by giving every free state the cheapest price at which it can be
made, ``π_p = min_w (π_{pw} + π_{wq}) / γ_w`` over every swap (a generalised shortest
path; ``(a + b)/γ ≥ max(a, b)`` makes it well founded).  These prices satisfy every
swap's dual constraint whose output is free, raise no price of an active column's output,
and leave the dual objective unchanged (conservation rows have right-hand side 0).  So if
no swap then has ``rc > 0``, the restricted optimum is the full-hypergraph optimum; if some
swap has ``rc > 0`` it is added together with the cheapest derivation of its free inputs.
"""

from __future__ import annotations

import numba
import numpy as np

# Relative tolerance below which a reduced cost counts as zero.
PRICE_TOL = 1e-9


def cheapest_derivations(base: np.ndarray, improvable: np.ndarray, gamma: np.ndarray,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Least fixed point of ``P_{uv} = min(base_{uv}, min_w (P_{uw} + P_{wv}) / γ_w)``.

    Parameters
    ----------
    base
        ``n × n`` symmetric matrix of starting prices (``inf`` where a state has none).
    improvable
        ``n × n`` symmetric boolean matrix: entries that swaps may lower.
    gamma
        Swap gain ``γ_w`` per node (``0 < γ ≤ 1``).

    Returns
    -------
    (P, via)
        Prices and, where a swap gave the price, its swap node (``-1`` elsewhere).
    """
    n = len(gamma)
    P = np.array(base, dtype=float)
    P = np.maximum(P, 0.0)
    np.fill_diagonal(P, 0.0)
    free = np.array(improvable, dtype=bool)
    np.fill_diagonal(free, False)
    via = np.full((n, n), -1, dtype=np.int64)
    if not free.any():
        return P, via
    inv_gamma = 1.0 / np.asarray(gamma, dtype=float)
    # Gauss–Seidel sweeps over the swap node: each sweep extends every derivation by at
    # least one level and prices only fall, so the sweeps stop at the least fixed point.
    # The compiled loop makes the same comparisons in the same order as the array form
    # (kept as the reference in the tests): while ``w`` is the swap node, row and column
    # ``w`` do not change, so the states ``{u, v}`` are independent of each other. That is
    # what lets one pass over the upper triangle serve both halves of the symmetric
    # matrix and the rows run on every core with the very same result.
    _sweeps(P, via, free, inv_gamma, 4 * n + 4)
    return P, via


@numba.njit(cache=True)
def _sweeps(P: np.ndarray, via: np.ndarray, free: np.ndarray, inv_gamma: np.ndarray,
            most: int) -> None:  # pragma: no cover - compiled
    n = P.shape[0]
    # stamp[u, v]: the step (sweep · n + swap node) at which P[u, v] last fell; seen[w]:
    # the step at which w last served as swap node.  A candidate (P[u, w] + P[w, v]) / γ_w
    # that failed (or was taken) at seen[w] fails again unless P[u, w] or P[w, v] fell
    # since, because P[u, v] only falls.  Skipping those comparisons leaves exactly the
    # updates of the full sweep, in the same order.
    stamp = np.zeros((n, n), dtype=np.int64)
    seen = np.full(n, -1, dtype=np.int64)
    dirty = np.zeros(n, dtype=np.bool_)
    listed = np.empty(n, dtype=np.int64)
    for sweep in range(most):
        changed = False
        for w in range(n):
            step = sweep * n + w
            g = inv_gamma[w]
            row_w = P[w]
            d = 0
            for u in range(n):
                dirty[u] = u != w and stamp[w, u] > seen[w]
                if dirty[u]:
                    listed[d] = u
                    d += 1
            seen[w] = step
            if d == 0:
                continue
            for u in range(n):
                if u == w:
                    continue
                puw = row_w[u]
                # The two branches repeat their update on purpose: a shared helper,
                # even inlined, made the 500-node sweep 12x slower in numba.
                if dirty[u]:
                    for v in range(u + 1, n):
                        if v == w or not free[u, v]:
                            continue
                        cand = (puw + row_w[v]) * g
                        if cand < P[u, v] * (1.0 - 1e-13):
                            P[u, v] = cand
                            P[v, u] = cand
                            via[u, v] = w
                            via[v, u] = w
                            stamp[u, v] = step
                            stamp[v, u] = step
                            changed = True
                else:
                    for k in range(d):
                        v = listed[k]
                        if v <= u or not free[u, v]:
                            continue
                        cand = (puw + row_w[v]) * g
                        if cand < P[u, v] * (1.0 - 1e-13):
                            P[u, v] = cand
                            P[v, u] = cand
                            via[u, v] = w
                            via[v, u] = w
                            stamp[u, v] = step
                            stamp[v, u] = step
                            changed = True
        if not changed:
            break


def extend_prices(prices: np.ndarray, fixed: np.ndarray, gamma: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Complete a dual price matrix with the cheapest derivation price of free states.

    Parameters
    ----------
    prices
        ``n × n`` symmetric matrix of state prices (only entries of fixed states are used).
    fixed
        ``n × n`` symmetric boolean matrix: states whose price is given.
    gamma
        Swap gain ``γ_w`` per node (``0 < γ ≤ 1``).

    Returns
    -------
    (P, via)
        Completed prices (``inf`` for states that cannot be derived) and, for free states,
        the swap node of their cheapest derivation (``-1`` elsewhere).
    """
    return cheapest_derivations(np.where(fixed, prices, np.inf), ~fixed, gamma)


def positive_swaps(P: np.ndarray, gamma: np.ndarray, tol: float,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every swap ``(w, u, v)`` (``u < v``) with reduced cost above ``tol``.

    Parameters
    ----------
    P
        Completed price matrix from :func:`extend_prices`.
    gamma
        ``γ_w`` per node.
    tol
        Absolute tolerance.

    Returns
    -------
    (w, u, v, rc)
        The swaps and their reduced costs.
    """
    n = len(gamma)
    ws, us, vs, rcs = [], [], [], []
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    with np.errstate(invalid="ignore"):
        for w in range(n):
            col = P[:, w]
            rc = gamma[w] * P - col[:, None] - col[None, :]
            # Rows/columns w give (γ - 1)·π ≤ 0 and the diagonal -2π ≤ 0: never positive.
            hit = (rc > tol) & upper
            if hit.any():
                u, v = np.nonzero(hit)
                ws.append(np.full(len(u), w, dtype=np.int64))
                us.append(u)
                vs.append(v)
                rcs.append(rc[u, v])
    if not ws:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    return (np.concatenate(ws), np.concatenate(us).astype(np.int64),
            np.concatenate(vs).astype(np.int64), np.concatenate(rcs))


def derivation(via: np.ndarray, a: int, b: int, fixed: np.ndarray,
               ) -> list[tuple[int, int, int]]:
    """Swaps of the cheapest derivation of free state ``{a, b}`` down to fixed states.

    Parameters
    ----------
    via
        Swap node of each free state's cheapest derivation (from :func:`extend_prices`).
    a, b
        The state.
    fixed
        States whose price was given (derivations stop there).

    Returns
    -------
    list of (w, u, v)
        Swaps with ``u < v``; empty when ``{a, b}`` is fixed or cannot be derived.
    """
    out: list[tuple[int, int, int]] = []
    stack = [(a, b)]
    seen: set[tuple[int, int]] = set()
    while stack:
        u, v = stack.pop()
        key = (min(u, v), max(u, v))
        if key in seen or fixed[u, v]:
            continue
        seen.add(key)
        w = int(via[u, v])
        if w < 0:
            continue
        out.append((w, key[0], key[1]))
        stack.append((u, w))
        stack.append((w, v))
    return out
