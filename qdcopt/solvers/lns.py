"""Large-neighbourhood search for MILPs over time slots: fix-and-optimise in sliding windows.

Generic over :class:`~qdcopt.solvers.arrays.LinearSpec`: a model states which slots each
column spans, and :func:`improve_windows` re-solves the columns of one window of slots at a
time with every other column fixed at the incumbent, as a sub-MIP through
:func:`~qdcopt.solvers.arrays.solve_arrays` (and so through the one checked MIP run).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from qdcopt.runs import interrupt
from qdcopt.solvers.arrays import LinearSpec, solve_arrays
from qdcopt.solvers.highs import SolverOptions


def improve_windows(spec: LinearSpec, x0: np.ndarray, options: SolverOptions,
                    deadline: float, spans: tuple[np.ndarray, np.ndarray], *,
                    windows: tuple[int, ...] = (3, 6, 10, 16, 24),
                    sub_limit: float = 0.5, max_passes: int = 4,
                    target: float | None = None,
                    demand: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                    ) -> tuple[np.ndarray, int]:
    """Fix-and-optimise over time windows: re-solve a window of slots with the rest fixed.

    Every column outside the window keeps its value in the incumbent ``x0``; the columns
    whose span of slots meets the window form a small sub-MIP whose rows carry the fixed
    part in their bounds.  Windows of each size in ``windows`` slide
    over the block with half overlap, pass after pass, until a pass improves nothing;
    then the next (larger) size is tried.  Stops at ``target`` (a proven bound) or the
    deadline.

    Parameters
    ----------
    spec
        The model (a MILP over time slots).
    x0
        A feasible solution of it.
    options
        Gap, threads and seed of the sub-MIPs.
    deadline
        ``time.perf_counter()`` value at which to stop.
    spans
        ``(first slot, last slot)`` of each column: a column is free in a window when its
        span meets it.
    windows
        Window sizes, in slots, tried in this order.
    sub_limit
        Seconds per sub-MIP of a 6-slot window (larger windows get proportionally more).
    max_passes
        Passes of one window size over the slots while they improve.
    target
        Stop when the objective reaches this value (a proven bound).
    demand
        ``(x columns, their group, group sizes)``: windows whose groups are all fully
        served cannot gain and are skipped (only for the accepted-requests objective).

    Returns
    -------
    (x, sub-MIPs solved)
    """
    import scipy.sparse as sp

    lo, hi = spans
    n_slots = int(hi.max()) + 1 if len(hi) else 0
    is_int = np.asarray(spec.col_int, dtype=bool)
    lb0 = np.asarray(spec.col_lb, dtype=np.float64)
    ub0 = np.asarray(spec.col_ub, dtype=np.float64)
    rlb = np.asarray(spec.row_lb, dtype=np.float64)
    rub = np.asarray(spec.row_ub, dtype=np.float64)
    cost = np.asarray(spec.col_cost, dtype=np.float64)
    mat = sp.csc_matrix((np.asarray(spec.rows_v, dtype=np.float64),
                         (np.asarray(spec.rows_i, dtype=np.int64),
                          np.asarray(spec.rows_j, dtype=np.int64))),
                        shape=(spec.n_rows, spec.n_cols))
    x = x0.copy()
    x[is_int] = np.round(x[is_int])
    sign = 1.0 if spec.sense == "max" else -1.0
    cur = float(cost @ x)
    solved = 0
    # A window re-solved with nothing changed near it since its last solve cannot gain:
    # slots carry the clock of the last improvement around them.
    stamp = np.zeros(max(1, n_slots), dtype=np.int64)
    clock = 1
    checked: dict[tuple[int, int], int] = {}
    cycle_improved = True
    while cycle_improved:
        cycle_improved = False
        for window in windows:
            step = max(1, window // 2)
            for _ in range(max_passes):
                improved = False
                for a in range(0, max(1, n_slots - window + step), step):
                    left = deadline - time.perf_counter()
                    if left < 0.2 or interrupt.requested() or (
                            target is not None and sign * (cur - target) >= -1e-6):
                        return x, solved
                    if checked.get((window, a), -1) >= stamp[a:a + window].max(initial=0):
                        continue
                    checked[(window, a)] = clock
                    free = (hi >= a) & (lo <= a + window - 1)
                    if demand is not None:
                        xc, xg, size = demand
                        groups = np.unique(xg[free[xc]])
                        served = np.bincount(xg, weights=x[xc], minlength=len(size))
                        if groups.size == 0 or np.all(served[groups] >= size[groups] - 0.5):
                            continue
                    sub = _sub_spec(spec, mat, free, x, lb0, ub0, rlb, rub, cost, is_int)
                    # larger windows are larger sub-MIPs: their limit grows with them
                    sub_opts = SolverOptions(
                        time_limit=min(sub_limit * max(1.0, window / 6), left),
                        mip_gap=options.mip_gap, threads=options.threads, seed=options.seed)
                    res = solve_arrays(sub, sub_opts, start=(np.arange(sub.n_cols), x[free]),
                                       grace=2.0)
                    solved += 1
                    if res.x is None:
                        continue
                    y = x.copy()
                    y[free] = res.x
                    y[is_int] = np.round(y[is_int])
                    val = float(cost @ y)
                    if sign * (val - cur) > 1e-6:
                        x, cur = y, val
                        improved = cycle_improved = True
                        clock += 1
                        stamp[max(0, a - window):a + 2 * window] = clock
                if not improved or window >= n_slots:
                    break
            if window >= n_slots:
                break
    return x, solved


def _sub_spec(spec: LinearSpec, mat: Any, free: np.ndarray, x: np.ndarray,
              lb0: np.ndarray, ub0: np.ndarray, rlb: np.ndarray, rub: np.ndarray,
              cost: np.ndarray, is_int: np.ndarray) -> LinearSpec:
    """The model restricted to the ``free`` columns, the others fixed at ``x``."""
    cols = np.flatnonzero(free)
    sub_a = mat[:, cols]
    rows = np.flatnonzero(np.diff(sub_a.tocsr().indptr) > 0)
    fixed = np.flatnonzero(~free)
    act = mat[rows][:, fixed] @ x[fixed]
    coo = sub_a.tocsr()[rows].tocoo()
    sub = LinearSpec(sense=spec.sense)
    sub.col_lb = lb0[cols].tolist()
    sub.col_ub = ub0[cols].tolist()
    sub.col_cost = cost[cols].tolist()
    sub.col_int = is_int[cols].astype(int).tolist()
    sub.row_lb = (rlb[rows] - act).tolist()
    sub.row_ub = (rub[rows] - act).tolist()
    sub.rows_i = coo.row.tolist()
    sub.rows_j = coo.col.tolist()
    sub.rows_v = coo.data.tolist()
    return sub
