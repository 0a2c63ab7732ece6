"""The hyperflow LP with fidelity classes and purification hyperedges, and its trees.

Long module, on purpose: the class grid, the LP over (state, class) rows and the
decomposition of its flows into purification-augmented trees share one set of indices
and the rounding rule, and reading them side by side is how a reviewer checks them.

A *state* is a node pair ``{u, v}`` of the pruned hypergraph together with a *class*
``k``: a pair in class ``k`` has Werner parameter ``w ≥ b_k``, with the class bounds
``b_0 > b_1 > … > b_{M−1} = 0`` (:func:`class_grid`).  Every operation's output is
rounded *down* to the grid, so every class bound is a true lower bound of the pairs the
flows stand for (``models/hyperflow.md``, "Fidelity classes", states the formulation,
the rounding and its error).  Columns:

* ``g_l`` link pairs/s, into the class of the link's Werner parameter;
* ``y_r`` pairs/s to request ``r``, taken from the class of its ``min_fidelity``
  (the catch-all class ``M − 1`` for a request without one);
* ``d_{s,k}`` *downgrade*: a class-``k`` pair of ``s`` counted as class ``k + 1``;
* ``x`` swap ``(w; u, v)`` of classes ``(a, b)``: takes a pair of ``({u, w}, a)`` and of
  ``({w, v}, b)``, makes ``γ_w`` of ``({u, v}, c)``, ``c`` the class of ``b_a b_b η``
  (``η`` the swap's dephasing, :func:`qdcopt.network.instance.swap_noise`);
* ``p`` purification of state ``s`` with classes ``(a, b)``: per attempt takes a pair of
  ``(s, a)`` and of ``(s, b)``, makes ``P(b_a, b_b)`` of ``(s, c)``, ``c`` the class of
  the DEJMPS (twirled) output at the bounds
  (:func:`qdcopt.network.purification.purify_werner`).

Rows: node capacity (as the hyperflow LP), conservation at every (state, class), and
the fairness rows of the max–min objective.  The LP is built whole as arrays and solved
once (no pricing): its optimum is over the pruned hypergraph and the grid.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from qdcopt.network.instance import NetworkInstance, link_fidelities, swap_noise
from qdcopt.network.lp.decompose import draw
from qdcopt.network.lp.hypergraph import pruned_swaps
from qdcopt.network.lp.rows import MAXMIN, OBJECTIVES, SUM, limit_to_deadline
from qdcopt.network.physics import (
    PURIFY,
    SwapTree,
    TreeNode,
    link_model,
    swap_gain,
    tree_need,
    tree_werner,
)
from qdcopt.network.purification import purify_werner, werner_parameter
from qdcopt.solvers.highs import (
    SolverOptions,
    Status,
    highs_model,
    new_highs,
    run_highs_object,
)

CLASS_TOL = 1e-12
"""Slack of the rounding: a value within it of a bound counts as reaching the bound (the
anchors are computed by the same formula as the values rounded to them)."""
PHASE_SLACK = 1e-9
"""Relative slack when a phase's optimum is held in the next one."""
REL_EPS = 1e-10
"""Flows below this share of the largest link rate count as empty in the decomposition."""
MAX_TREE_NODES = 4096
"""Largest tree the decomposition builds (nested purifications double a tree per level)."""
LINK, SWAP_X, PURIFY_X, DOWN = 0, 1, 2, 3
AUTO_POINTS = (16, 32, 64, 128, 256)
"""Grid sizes the automatic choice tries, coarse to fine (nested grids)."""
COLUMN_BUDGET = 150_000
"""Most columns the automatic choice lets the class LP have: the finest grid of
:data:`AUTO_POINTS` within it is used (the coarsest whatever its size)."""


@dataclass(frozen=True)
class ClassGrid:
    """Werner-parameter classes, best first.

    Attributes
    ----------
    bounds
        ``b_0 > b_1 > … > b_{M−1} = 0``: a pair of class ``k`` has ``w ≥ b_k``.
    points
        ``K``, the number of uniform points in ``−ln w`` on ``(0, ln 3]`` the grid holds
        besides its anchors (link and target Werner parameters) and the catch-all ``0``.
    """

    bounds: np.ndarray
    points: int

    @property
    def size(self) -> int:
        """Number of classes ``M``."""
        return len(self.bounds)

    def index(self, w: float | np.ndarray) -> np.ndarray:
        """Class of Werner parameter(s) ``w``: the best ``k`` with ``b_k ≤ w`` (round down)."""
        # bounds descend: count the bounds above w (beyond the tolerance)
        asc = self.bounds[::-1]
        above = len(asc) - np.searchsorted(asc, np.asarray(w, dtype=float) + CLASS_TOL,
                                           side="right")
        return np.asarray(above, dtype=np.int64)


def class_grid(instance: NetworkInstance, points: int) -> ClassGrid:
    """The class bounds of ``instance`` with ``points`` uniform points.

    The grid holds ``w_j = 3^{−j/K}`` for ``j = 1 … K`` (uniform in ``−ln w`` down to
    ``1/3``, fidelity 1/2, below which a Werner pair can neither be purified nor meet a
    target), every link's Werner parameter (so fresh pairs lose nothing), every request's
    target ``werner(min_fidelity)`` (so a target class is exactly the target) and ``0``
    (the catch-all class, every pair).  Grids of ``K`` and ``2K`` points are nested.

    Parameters
    ----------
    instance
        The network (its link fidelities and targets).
    points
        ``K ≥ 1``.

    Returns
    -------
    ClassGrid
    """
    if points < 1:
        raise ValueError(f"fidelity_classes must be >= 1, got {points!r}")
    values = [math.exp(-j * math.log(3.0) / points) for j in range(1, points + 1)]
    values += [werner_parameter(float(f)) for f in link_fidelities(instance)]
    values += [werner_parameter(float(r.min_fidelity)) for r in instance.requests
               if r.min_fidelity is not None]
    values.append(0.0)
    out: list[float] = []
    for v in sorted(values, reverse=True):
        if not out or out[-1] - v > CLASS_TOL:
            out.append(v)
    return ClassGrid(bounds=np.array(out, dtype=float), points=points)


def swap_combos(grid: ClassGrid, noise: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input classes ``(a, b)`` a swap needs, and the output class ``c`` of each.

    With downgrades in the LP, a combination is left out when a worse class of either
    input gives the same output: that input can be downgraded to it at no cost.  What
    remains is the staircase of combinations whose output drops if either input does.
    """
    b = grid.bounds
    m = grid.size
    out = grid.index(np.outer(b, b) * noise)
    keep = np.ones((m, m), dtype=bool)
    keep[:-1, :] &= out[1:, :] != out[:-1, :]
    keep[:, :-1] &= out[:, 1:] != out[:, :-1]
    a, bb = np.nonzero(keep)
    return a.astype(np.int64), bb.astype(np.int64), out[a, bb].astype(np.int64)


def purify_combos(grid: ClassGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Purifications ``(a ≤ b)`` whose output class ``c`` beats the better input ``a``,
    with their success at the class bounds (``c ≥ a`` would be worth less than keeping
    the class-``a`` pair alone)."""
    rows = []
    m = grid.size
    for a in range(m - 1):
        for b in range(a, m - 1):
            p, w = purify_werner(float(grid.bounds[a]), float(grid.bounds[b]))
            c = int(grid.index(w))
            if c < a and p > 0:
                rows.append((a, b, c, p))
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, np.zeros(0)
    arr = np.array(rows, dtype=float)
    return (arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64),
            arr[:, 2].astype(np.int64), arr[:, 3])


@dataclass(frozen=True)
class FidelitySolution:
    """The class LP's optimum and its trees.

    Attributes
    ----------
    status
        ``"restricted"`` when the LP solved (its optimum is over the pruned hypergraph
        and the grid) and the trees deliver its value, ``"feasible"`` when they deliver
        less, else HiGHS's status.
    lp_objective
        ``Σ_r w_r y_r`` of the LP.
    objective
        ``Σ_r w_r`` (rate of the request's trees): what the decomposition delivers.
    request_rate
        The LP's ``y`` per request.
    trees
        Purification-augmented trees with rates; leaves draw what the tree needs with
        the successes its own fidelities give.
    grid
        The class grid.
    stats
        Sizes and times: ``states``, ``classes``, ``rows``, ``columns`` and the columns of
        each kind, ``build_s``, ``solve_s``, ``decompose_s``.
    """

    status: str
    lp_objective: float
    objective: float
    request_rate: np.ndarray
    trees: tuple[SwapTree, ...]
    grid: ClassGrid
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Model:
    """The built LP and the meaning of its columns."""

    grid: ClassGrid
    states: np.ndarray          # (S, 2) node pairs, u < v
    sid: dict[tuple[int, int], int]
    n_rows: int
    cost: np.ndarray
    upper: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_y0: int
    col_z: int
    col_d0: int
    col_x0: int
    col_p0: int
    down: np.ndarray            # (D, 2): state, class (class k → k + 1)
    swaps: np.ndarray           # (X, 6): w, u, v, a, b, c
    purifications: np.ndarray   # (P, 4): state, a, b, c
    purify_success: np.ndarray  # (P,)
    link_class: np.ndarray      # (L,)
    request_class: np.ndarray   # (R,)
    weights: np.ndarray


def _states(instance: NetworkInstance, w: np.ndarray, u: np.ndarray, v: np.ndarray,
            ) -> np.ndarray:
    """Node pairs of the pruned hypergraph: links, requests and every swap's three pairs."""
    pairs = [np.stack([np.minimum(u, w), np.maximum(u, w)], axis=1),
             np.stack([np.minimum(v, w), np.maximum(v, w)], axis=1),
             np.stack([u, v], axis=1)]
    pairs.append(np.array([(min(ln.u, ln.v), max(ln.u, ln.v)) for ln in instance.links],
                          dtype=np.int64).reshape(-1, 2))
    pairs.append(np.array([(min(r.source, r.destination), max(r.source, r.destination))
                           for r in instance.requests], dtype=np.int64).reshape(-1, 2))
    return np.unique(np.concatenate(pairs).astype(np.int64), axis=0)


def _best_classes(n_states: int, link_state: np.ndarray, link_class: np.ndarray,
                  sw_out: np.ndarray, sw_left: np.ndarray, sw_right: np.ndarray,
                  out: np.ndarray, purify_best: np.ndarray, m: int) -> np.ndarray:
    """Best class each state can reach (with downgrades every worse class too): the
    least fixed point over links, swaps and purifications."""
    best = np.full(n_states, m - 1, dtype=np.int64)
    np.minimum.at(best, link_state, link_class)
    while True:
        before = best.copy()
        if len(sw_out):
            np.minimum.at(best, sw_out, out[best[sw_left], best[sw_right]])
        best = np.minimum(best, purify_best[best])
        if np.array_equal(best, before):
            return best


def build_model(instance: NetworkInstance, grid: ClassGrid, gamma: np.ndarray, *,
                k_paths: int = 10, purification: bool = True) -> _Model:
    """The class LP over the pruned hypergraph, as column-wise arrays.

    Parameters
    ----------
    instance
        The network.
    grid
        Class bounds.
    gamma
        Swap gain per node.
    k_paths
        Shortest paths per request of the pruned hypergraph.
    purification
        Whether purification hyperedges are built.

    Returns
    -------
    _Model
    """
    model = link_model(instance)
    n, m = instance.n, grid.size
    L, R = len(instance.links), len(instance.requests)
    w, u, v = pruned_swaps(instance, k_paths)
    states = _states(instance, w, u, v)
    S = len(states)
    sid = {(int(a), int(b)): i for i, (a, b) in enumerate(states.tolist())}
    pid = np.full((n, n), -1, dtype=np.int64)
    pid[states[:, 0], states[:, 1]] = np.arange(S)
    pid[states[:, 1], states[:, 0]] = np.arange(S)
    noise = swap_noise(instance)
    link_w = np.array([werner_parameter(float(f)) for f in link_fidelities(instance)])
    link_class = grid.index(link_w).reshape(-1) if L else np.zeros(0, dtype=np.int64)
    request_class = np.array([
        int(grid.index(werner_parameter(float(r.min_fidelity)))) if r.min_fidelity is not None
        else m - 1 for r in instance.requests], dtype=np.int64)
    ca, cb, cc = swap_combos(grid, noise)
    out = grid.index(np.outer(grid.bounds, grid.bounds) * noise)
    if purification:
        pa, pb, pc, pp = purify_combos(grid)
    else:
        pa = pb = pc = np.zeros(0, dtype=np.int64)
        pp = np.zeros(0)
    # the best class one purification of two equal pairs reaches, per class
    purify_best = np.arange(m, dtype=np.int64)
    same = pa == pb
    np.minimum.at(purify_best, pa[same], pc[same])
    link_state = pid[model.link_u, model.link_v] if L else np.zeros(0, dtype=np.int64)
    s_left, s_right, s_out = pid[u, w], pid[w, v], pid[u, v]
    best = _best_classes(S, link_state, link_class, s_out, s_left, s_right, out,
                         purify_best, m)
    # swap columns: every swap with every combination its inputs can reach
    sw_idx = np.repeat(np.arange(len(w)), len(ca))
    co_idx = np.tile(np.arange(len(ca)), len(w))
    ok = (ca[co_idx] >= best[s_left[sw_idx]]) & (cb[co_idx] >= best[s_right[sw_idx]])
    sw_idx, co_idx = sw_idx[ok], co_idx[ok]
    X = len(sw_idx)
    swaps = np.stack([w[sw_idx], u[sw_idx], v[sw_idx], ca[co_idx], cb[co_idx], cc[co_idx]],
                     axis=1) if X else np.zeros((0, 6), dtype=np.int64)
    # purification columns: every state with every combination it can reach
    st_idx = np.repeat(np.arange(S), len(pa))
    pc_idx = np.tile(np.arange(len(pa)), S)
    okp = (pa[pc_idx] >= best[st_idx]) & (pb[pc_idx] >= best[st_idx])
    st_idx, pc_idx = st_idx[okp], pc_idx[okp]
    P = len(st_idx)
    purifications = (np.stack([st_idx, pa[pc_idx], pb[pc_idx], pc[pc_idx]], axis=1)
                     if P else np.zeros((0, 4), dtype=np.int64))
    purify_success = pp[pc_idx] if P else np.zeros(0)
    # downgrades from every reachable class but the catch-all
    ds, dk = np.nonzero(np.arange(m - 1)[None, :] >= best[:, None])
    down = np.stack([ds, dk], axis=1).astype(np.int64)
    D = len(down)

    def row(state: np.ndarray, k: np.ndarray) -> np.ndarray:
        return n + np.asarray(state, dtype=np.int64) * m + np.asarray(k, dtype=np.int64)

    fair0 = n + S * m
    col_y0, col_z = L, L + R
    col_d0 = col_z + 1
    col_x0 = col_d0 + D
    col_p0 = col_x0 + X
    n_cols = col_p0 + P
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def put(r: np.ndarray, c: np.ndarray, val: np.ndarray | float) -> None:
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.asarray(c, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(val, dtype=float), np.shape(r)).copy())

    if L:
        lc = np.arange(L)
        inv_p = 1.0 / model.success
        put(model.link_u, lc, inv_p)
        put(model.link_v, lc, inv_p)
        put(row(link_state, link_class), lc, -1.0)
    if R:
        rc = col_y0 + np.arange(R)
        req_state = np.array([sid[(min(r.source, r.destination), max(r.source, r.destination))]
                              for r in instance.requests], dtype=np.int64)
        put(row(req_state, request_class), rc, 1.0)
        put(fair0 + np.arange(R), rc, 1.0)
    weights = np.array([r.weight for r in instance.requests], dtype=float)
    put(fair0 + np.arange(R), np.full(R, col_z), -weights)
    if D:
        dc = col_d0 + np.arange(D)
        put(row(down[:, 0], down[:, 1]), dc, 1.0)
        put(row(down[:, 0], down[:, 1] + 1), dc, -1.0)
    if X:
        xc = col_x0 + np.arange(X)
        put(row(pid[swaps[:, 1], swaps[:, 0]], swaps[:, 3]), xc, 1.0)
        put(row(pid[swaps[:, 0], swaps[:, 2]], swaps[:, 4]), xc, 1.0)
        put(row(pid[swaps[:, 1], swaps[:, 2]], swaps[:, 5]), xc, -gamma[swaps[:, 0]])
    if P:
        pcol = col_p0 + np.arange(P)
        # a purification of two pairs of one class takes two of that class (summed below)
        put(row(purifications[:, 0], purifications[:, 1]), pcol, 1.0)
        put(row(purifications[:, 0], purifications[:, 2]), pcol, 1.0)
        put(row(purifications[:, 0], purifications[:, 3]), pcol, -purify_success)
    n_rows = fair0 + R
    matrix = sp.csc_matrix((np.concatenate(vals) if vals else np.zeros(0),
                            (np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
                             np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64))),
                           shape=(n_rows, n_cols))
    matrix.sum_duplicates()
    cost = np.zeros(n_cols)
    cost[col_y0:col_z] = weights
    upper = np.full(n_cols, math.inf)
    upper[:L] = model.capacity
    row_lower = np.concatenate([np.full(n + S * m, -math.inf), np.zeros(R)])
    row_upper = np.concatenate([model.node_capacity, np.zeros(S * m), np.full(R, math.inf)])
    return _Model(grid=grid, states=states, sid=sid, n_rows=n_rows, cost=cost, upper=upper,
                  matrix=matrix, row_lower=row_lower, row_upper=row_upper, col_y0=col_y0,
                  col_z=col_z, col_d0=col_d0, col_x0=col_x0, col_p0=col_p0, down=down,
                  swaps=swaps, purifications=purifications, purify_success=purify_success,
                  link_class=link_class, request_class=request_class, weights=weights)


def auto_model(instance: NetworkInstance, gamma: np.ndarray, *, k_paths: int = 10,
               purification: bool = True, budget: int = COLUMN_BUDGET,
               ) -> tuple[ClassGrid, _Model]:
    """The class LP on the finest grid of :data:`AUTO_POINTS` whose model has at most
    ``budget`` columns (the coarsest grid when none fits).

    The grids are nested, so each finer one keeps every class of the coarser and the LP's
    value never falls (:func:`class_grid`); its columns grow about with the square of the
    classes.  A small network thus gets a fine grid (its rounding loss shrinks with the
    step), a large one the coarse grid its size allows.
    """
    grid = class_grid(instance, AUTO_POINTS[0])
    mdl = build_model(instance, grid, gamma, k_paths=k_paths, purification=purification)
    for points in AUTO_POINTS[1:]:
        finer = class_grid(instance, points)
        # columns grow with the square of the classes: skip a build sure to exceed
        if len(mdl.cost) * (finer.size / grid.size) ** 2 > 2 * budget:
            break
        candidate = build_model(instance, finer, gamma, k_paths=k_paths,
                                purification=purification)
        if len(candidate.cost) > budget:
            break
        grid, mdl = finer, candidate
    return grid, mdl


def solve_fidelity_hyperflow(instance: NetworkInstance, *, classes: int | None = None,
                             variant: str = "published", objective: str = SUM,
                             k_paths: int = 10, purification: bool = True,
                             options: SolverOptions | None = None) -> FidelitySolution:
    """Maximise the (weighted) rate over level-based structures that swap and purify, with
    fidelity classes, and decompose the optimum into trees.

    Parameters
    ----------
    instance
        The network.
    classes
        ``K``, the uniform points of the class grid (:func:`class_grid`); ``None``: the
        finest of :data:`AUTO_POINTS` within :data:`COLUMN_BUDGET` columns
        (:func:`auto_model`).
    variant
        Swap gain variant (:func:`qdcopt.network.physics.swap_gain`).
    objective
        ``"sum"`` or ``"maxmin"`` (max–min fair level first, then the weighted total).
    k_paths
        Shortest paths per request of the pruned hypergraph.
    purification
        Build purification hyperedges (``False``: swaps only).
    options
        HiGHS options; the time limit covers every solve.

    Returns
    -------
    FidelitySolution
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r} (use {', '.join(OBJECTIVES)})")
    options = options or SolverOptions()
    t0 = time.perf_counter()
    deadline = None if options.time_limit is None else t0 + float(options.time_limit)
    gamma = swap_gain(link_model(instance).swap_success, variant)
    if classes is None:
        grid, mdl = auto_model(instance, gamma, k_paths=k_paths, purification=purification)
        classes = grid.points
    else:
        grid = class_grid(instance, classes)
        mdl = build_model(instance, grid, gamma, k_paths=k_paths, purification=purification)
    mat = mdl.matrix
    lp = highs_model(mdl.cost, np.zeros(len(mdl.cost)), mdl.upper, mdl.row_lower,
                     mdl.row_upper, mat.indptr, mat.indices, mat.data, maximise=True)
    h = new_highs(options.verbose)
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed))
    h.setOptionValue("solver", "ipm" if options.lp_method == "choose" else options.lp_method)
    h.passModel(lp)
    build_s = time.perf_counter() - t0
    R = len(instance.requests)
    y_cols = np.arange(mdl.col_y0, mdl.col_z, dtype=np.int32)

    run_times: list[float] = []

    def run() -> str:
        limit_to_deadline(h, deadline)
        start = time.perf_counter()
        got = str(run_highs_object(h, verbose=options.verbose))
        run_times.append(time.perf_counter() - start)
        return got

    def set_costs(y_cost: np.ndarray, z_cost: float, flow_cost: float) -> None:
        costs = np.full(len(mdl.cost), flow_cost)
        costs[mdl.col_y0:mdl.col_z] = y_cost
        costs[mdl.col_z] = z_cost
        h.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)

    status = Status.OPTIMAL
    level = None
    if objective == MAXMIN:
        set_costs(np.zeros(R), 1.0, 0.0)
        status = run()
        if status == Status.OPTIMAL:
            level = float(np.asarray(h.getSolution().col_value)[mdl.col_z])
            h.changeColBounds(mdl.col_z, level * (1.0 - PHASE_SLACK), math.inf)
            set_costs(mdl.weights, 0.0, 0.0)
    if status == Status.OPTIMAL:
        status = run()
    cols = np.zeros(len(mdl.cost))
    lp_value = 0.0
    if status == Status.OPTIMAL:
        cols = np.asarray(h.getSolution().col_value, dtype=float)
        lp_value = float(np.dot(mdl.weights, cols[mdl.col_y0:mdl.col_z]))
        # least total flow with the objective held: no circulations left to decompose
        h.addRow(lp_value * (1.0 - PHASE_SLACK), math.inf, R, y_cols, mdl.weights)
        set_costs(np.zeros(R), 0.0, -1.0)
        if run() == Status.OPTIMAL:
            cleaned = np.asarray(h.getSolution().col_value, dtype=float)
            if float(np.dot(mdl.weights, cleaned[mdl.col_y0:mdl.col_z])) >= lp_value * (
                    1.0 - 1e-7):
                cols = cleaned
    solve_s = time.perf_counter() - t0 - build_s
    td = time.perf_counter()
    trees = decompose_classes(instance, mdl, gamma, np.maximum(cols, 0.0)) if (
        status == Status.OPTIMAL) else []
    decompose_s = time.perf_counter() - td
    delivered = np.zeros(R)
    for t in trees:
        delivered[t.request] += t.rate
    stats = {"states": len(mdl.states), "classes": grid.size, "grid_points": classes,
             "rows": mdl.n_rows, "columns": len(mdl.cost), "swap_columns": len(mdl.swaps),
             "purification_columns": len(mdl.purifications),
             "downgrade_columns": len(mdl.down), "nonzeros": int(mat.nnz),
             "build_s": build_s, "solve_s": solve_s, "decompose_s": decompose_s,
             "run_s": run_times, "lp_objective": lp_value, "trees": len(trees)}
    if level is not None:
        stats["maxmin_level"] = level
    value = float(np.dot(mdl.weights, delivered))
    if status == Status.OPTIMAL:
        # the LP's optimum over its columns; a decomposition that falls short (a tree
        # above MAX_TREE_NODES, a circulation) leaves a plan that is only feasible
        status = (Status.RESTRICTED if value >= lp_value * (1.0 - 1e-6) - 1e-9
                  else Status.FEASIBLE)
    return FidelitySolution(
        status=status,
        lp_objective=lp_value, objective=value,
        request_rate=np.maximum(cols[mdl.col_y0:mdl.col_z], 0.0), trees=tuple(trees),
        grid=grid, stats=stats)


@dataclass
class _Producer:
    """A column that makes pairs of one (state, class), with the flow it has left."""

    kind: int
    col: int
    gain: float
    inputs: tuple[tuple[int, int], ...]
    swap_at: int = -1


def decompose_classes(instance: NetworkInstance, mdl: _Model, gamma: np.ndarray,
                      cols: np.ndarray) -> list[SwapTree]:
    """Split the class LP's flows into purification-augmented trees.

    From a request's (state, class), follow the producer with the most supply left (the
    link, a swap, a purification, or a downgrade from the class above, which adds no
    tree node), never one whose input is an ancestor.  Per unit of the tree's rate each
    column gives what the LP's own gains say (``γ_w``, ``P`` at the class bounds); the
    tree's rate is the most every column can still give, and subtracting it keeps
    ``consumed ≤ produced`` at every (state, class).  The tree's leaves then draw what its
    *own* successes need (at least the bounds' ones: fidelities are at least the class
    bounds), so the plan uses no more than the LP.
    """
    L = len(instance.links)
    left = np.array(cols, dtype=float)
    scale = max(1.0, float(np.max(left[:L], initial=0.0)))
    eps = REL_EPS * scale
    producers: dict[tuple[int, int], list[_Producer]] = {}
    for li, link in enumerate(instance.links):
        s = mdl.sid[(min(link.u, link.v), max(link.u, link.v))]
        producers.setdefault((s, int(mdl.link_class[li])), []).append(
            _Producer(LINK, li, 1.0, ()))
    for j, (s, k) in enumerate(mdl.down.tolist()):
        producers.setdefault((s, k + 1), []).append(
            _Producer(DOWN, mdl.col_d0 + j, 1.0, ((s, k),)))
    sid = mdl.sid
    for j, (w, u, v, a, b, c) in enumerate(mdl.swaps.tolist()):
        col = mdl.col_x0 + j
        if left[col] <= eps:
            continue
        su, sv = sid[(min(u, w), max(u, w))], sid[(min(w, v), max(w, v))]
        producers.setdefault((sid[(u, v)], c), []).append(
            _Producer(SWAP_X, col, float(gamma[w]), ((su, a), (sv, b)), swap_at=w))
    for j, (s, a, b, c) in enumerate(mdl.purifications.tolist()):
        col = mdl.col_p0 + j
        if left[col] <= eps:
            continue
        producers.setdefault((s, c), []).append(
            _Producer(PURIFY_X, col, float(mdl.purify_success[j]), ((s, a), (s, b))))
    states = mdl.states

    def pick(key: tuple[int, int], ancestors: frozenset) -> _Producer | None:
        best, supply = None, eps
        for prod in producers.get(key, ()):
            got = prod.gain * left[prod.col]
            if got > supply and not any(i in ancestors for i in prod.inputs):
                best, supply = prod, got
        return best

    # a tree: TreeNodes, and per node the columns it uses (downgrades, then its maker)
    def grow(key: tuple[int, int], nodes: list[TreeNode], used: list[list[_Producer]],
             ancestors: frozenset) -> int | None:
        if len(nodes) >= MAX_TREE_NODES:
            return None
        chain: list[_Producer] = []
        seen = set(ancestors)
        while True:
            prod = pick(key, frozenset(seen))
            if prod is None:
                return None
            chain.append(prod)
            seen.add(key)
            if prod.kind != DOWN:
                break
            key = prod.inputs[0]
        s = key[0]
        u, v = int(states[s, 0]), int(states[s, 1])
        i = len(nodes)
        nodes.append(TreeNode(u=u, v=v))
        used.append(chain)
        if prod.kind == LINK:
            return i
        inner = frozenset(seen)
        kids = []
        for inp in prod.inputs:
            kid = grow(inp, nodes, used, inner)
            if kid is None:
                return None
            kids.append(kid)
        if prod.kind == SWAP_X:
            w = prod.swap_at
            # left child makes {u, w}, right child {w, v}
            lw = {int(states[prod.inputs[0][0], 0]), int(states[prod.inputs[0][0], 1])}
            left_kid, right_kid = (kids[0], kids[1]) if u in lw else (kids[1], kids[0])
            nodes[i] = TreeNode(u=u, v=v, swap_at=w, left=left_kid, right=right_kid)
        else:
            nodes[i] = TreeNode(u=u, v=v, swap_at=PURIFY, left=kids[0], right=kids[1])
        return i

    trees: list[SwapTree] = []
    for r, req in enumerate(instance.requests):
        want = float(left[mdl.col_y0 + r])
        target_eps = REL_EPS * max(1.0, want)
        root = (sid[(min(req.source, req.destination), max(req.source, req.destination))],
                int(mdl.request_class[r]))
        for _ in range(100000):
            if want <= target_eps:
                break
            nodes: list[TreeNode] = []
            used: list[list[_Producer]] = []
            if grow(root, nodes, used, frozenset()) is None:
                break
            # per unit rate: pairs each node supplies, by the LP's gains
            supply = [0.0] * len(nodes)
            supply[0] = 1.0
            need: dict[int, float] = {}
            for i, node in enumerate(nodes):  # pre-order: parents first
                for prod in used[i]:
                    per_unit = supply[i] / prod.gain
                    need[prod.col] = need.get(prod.col, 0.0) + per_unit
                if not node.is_leaf:
                    for c in (node.left, node.right):
                        supply[c] += supply[i] / used[i][-1].gain
            rate = draw(want, (left, need))
            if rate <= 0:
                break
            want -= rate
            probe = SwapTree(request=r, rate=1.0, nodes=tuple(nodes))
            success = tree_werner(probe.nodes, instance)[1] if probe.purifies else None
            own, _ = tree_need(probe, gamma, success)
            final = tuple(TreeNode(u=nd.u, v=nd.v, link_rate=rate * own[i]) if nd.is_leaf
                          else nd for i, nd in enumerate(nodes))
            trees.append(SwapTree(request=r, rate=rate, nodes=final))
    return trees


__all__ = ["ClassGrid", "FidelitySolution", "build_model", "class_grid", "decompose_classes",
           "purify_combos", "solve_fidelity_hyperflow", "swap_combos"]
