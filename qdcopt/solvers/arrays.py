"""A linear model stated once as named blocks of columns and rows, solved by HiGHS two ways.

:class:`LinearSpec` records a MILP as named variable blocks (with their index keys) and
named constraint blocks.  :func:`solve_arrays` hands it to highspy as sparse arrays;
:func:`to_pyomo` states the same model as a pyomo ``ConcreteModel`` (one indexed
``Var`` per variable block, one ``ConstraintList`` per constraint block) and
:func:`solve_pyomo_spec` solves that through pyomo's HiGHS interface.  Both return a
:class:`SpecResult`.

Large solves are guarded by a watchdog: besides HiGHS's own time limit, a timer asks the
solver to stop shortly after the deadline (some set-up steps of HiGHS's MIP solver do not
look at the clock), and the best incumbent and dual bound are read back either way.
Every MIP run goes through :func:`qdcopt.solvers.highs.run_mip`, which checks the returned
solution against the objective HiGHS reports (and re-solves without the MIP start when
they disagree).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qdcopt.solvers.highs import (
    SolverOptions,
    Status,
    configured_highs,
    highs_model,
    run_highs_object,
    run_mip,
)

INF = math.inf


@dataclass
class LinearSpec:
    """A MILP under construction (maximisation unless ``sense`` says otherwise).

    Columns are added by blocks (:meth:`add_vars`), rows one at a time into the current
    row block (:meth:`row_block`, :meth:`add_row`).
    """

    sense: str = "max"
    col_lb: list[float] = field(default_factory=list)
    col_ub: list[float] = field(default_factory=list)
    col_cost: list[float] = field(default_factory=list)
    col_int: list[int] = field(default_factory=list)
    var_blocks: dict[str, tuple[list[int], list[Any]]] = field(default_factory=dict)
    row_lb: list[float] = field(default_factory=list)
    row_ub: list[float] = field(default_factory=list)
    rows_i: list[int] = field(default_factory=list)
    rows_j: list[int] = field(default_factory=list)
    rows_v: list[float] = field(default_factory=list)
    row_blocks: dict[str, list[int]] = field(default_factory=dict)
    _block: str = ""

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.col_lb)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lb)

    def add_vars(self, name: str, keys: list[Any], lb: float | list[float],
                 ub: float | list[float], integer: bool, cost: float = 0.0) -> np.ndarray:
        """Append a block of columns; returns their indices (in ``keys`` order)."""
        n = len(keys)
        start = self.n_cols
        cols, old_keys = self.var_blocks.setdefault(name, ([], []))
        cols.extend(range(start, start + n))
        old_keys.extend(keys)
        self.col_lb.extend([lb] * n if np.isscalar(lb) else list(lb))
        self.col_ub.extend([ub] * n if np.isscalar(ub) else list(ub))
        self.col_cost.extend([cost] * n)
        self.col_int.extend([1 if integer else 0] * n)
        return np.arange(start, start + n)

    def row_block(self, name: str) -> None:
        """Rows added from now on belong to block ``name``."""
        self._block = name
        self.row_blocks.setdefault(name, [])

    def add_row(self, cols: list[int], vals: list[float], lb: float, ub: float) -> int:
        """Append the row ``lb ≤ Σ vals·x[cols] ≤ ub``; returns its index."""
        r = self.n_rows
        self.rows_i.extend([r] * len(cols))
        self.rows_j.extend(cols)
        self.rows_v.extend(vals)
        self.row_lb.append(lb)
        self.row_ub.append(ub)
        self.row_blocks[self._block].append(r)
        return r

    def drop_last_row(self) -> None:
        """Remove the row added last (a tentative constraint that made the model
        infeasible)."""
        r = self.n_rows - 1
        if r < 0:
            raise IndexError("the model has no row")
        while self.rows_i and self.rows_i[-1] == r:
            self.rows_i.pop()
            self.rows_j.pop()
            self.rows_v.pop()
        self.row_lb.pop()
        self.row_ub.pop()
        for members in self.row_blocks.values():
            if members and members[-1] == r:
                members.pop()

    def column_key(self, col: int) -> tuple[str, Any]:
        """Block name and key of a column (for messages and the pyomo builder)."""
        for name, (cols, keys) in self.var_blocks.items():
            if col in cols:
                return name, keys[cols.index(col)]
        raise IndexError(col)

    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constraint matrix in compressed-column form (start, index, value)."""
        import scipy.sparse as sp

        mat = sp.csc_matrix((np.asarray(self.rows_v, dtype=np.float64),
                             (np.asarray(self.rows_i, dtype=np.int64),
                              np.asarray(self.rows_j, dtype=np.int64))),
                            shape=(self.n_rows, self.n_cols))
        mat.sum_duplicates()
        return (mat.indptr.astype(np.int32), mat.indices.astype(np.int32),
                mat.data.astype(np.float64))

    def activity(self, x: np.ndarray) -> np.ndarray:
        """Row activities at column values ``x``."""
        act = np.zeros(self.n_rows)
        np.add.at(act, np.asarray(self.rows_i, dtype=np.int64),
                  np.asarray(self.rows_v) * x[np.asarray(self.rows_j, dtype=np.int64)])
        return act

    def violation(self, x: np.ndarray) -> float:
        """Largest bound or row violation at ``x`` (integrality not checked)."""
        if self.n_cols == 0:
            return 0.0
        lb, ub = np.asarray(self.col_lb), np.asarray(self.col_ub)
        worst = float(max(np.max(lb - x, initial=0.0), np.max(x - ub, initial=0.0)))
        if self.n_rows:
            act = self.activity(x)
            worst = max(worst, float(np.max(np.asarray(self.row_lb) - act, initial=0.0)),
                        float(np.max(act - np.asarray(self.row_ub), initial=0.0)))
        return worst


@dataclass(frozen=True)
class SpecResult:
    """Outcome of one solve.

    Attributes
    ----------
    status
        ``"optimal"``, ``"time_limit"``, ``"interrupted"``, ``"infeasible"``, ...
    x
        Column values of the best solution (``None`` when there is none).
    objective
        Objective of that solution.
    bound
        Proven dual bound (``±inf`` when none).
    time_s
        Wall-clock seconds of the solve.
    nodes
        Branch-and-bound nodes.
    start_rejected
        Whether the run from the MIP start returned a solution that does not have the
        objective HiGHS reported, so that the model was solved again without it
        (:func:`~qdcopt.solvers.highs.run_mip`).
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    time_s: float
    nodes: int = 0
    start_rejected: bool = False


def build_highs(spec: LinearSpec, options: SolverOptions, *, presolve: bool = True,
                relax: bool = False) -> Any:
    """A ``highspy.Highs`` object holding ``spec`` (integrality dropped with ``relax``)."""
    h = configured_highs(options)
    if not presolve:
        h.setOptionValue("presolve", "off")
    starts, index, value = spec.csc()
    lp = highs_model(spec.col_cost, spec.col_lb, spec.col_ub, spec.row_lb, spec.row_ub,
                     starts, index, value, maximise=spec.sense == "max",
                     integer=None if relax else spec.col_int)
    h.passModel(lp)
    return h


def run_highs(h: Any, spec: LinearSpec, time_limit: float | None, *,
              start: tuple[np.ndarray, np.ndarray] | None = None, relax: bool = False,
              grace: float = 5.0) -> SpecResult:
    """Run a prepared ``Highs`` object under a watchdog and read the result back.

    Parameters
    ----------
    h
        From :func:`build_highs` (bounds may have been changed since).
    spec
        The model it holds (for the sense).
    time_limit
        Seconds for this run (``None``: none).
    start
        A (possibly partial) MIP start: column indices and values.
    relax
        Whether ``h`` holds the LP relaxation.
    grace
        Seconds past the time limit after which the watchdog interrupts HiGHS.
    """
    t0 = time.perf_counter()
    if not relax:
        # every MIP, started or not, goes through the one checked run
        run = run_mip(h, np.asarray(spec.col_cost, dtype=np.float64), sense=spec.sense,
                      start=start, time_limit=time_limit, grace=grace)
        return SpecResult(run.status, run.x, run.objective, run.bound,
                          time.perf_counter() - t0, run.nodes, run.start_rejected)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    status = run_highs_object(h, verbose=bool(h.getOptionValue("output_flag")),
                              watchdog=None if time_limit is None else time_limit + grace)
    info = h.getInfo()
    sol = h.getSolution()
    has_sol = bool(sol.value_valid)
    x = np.asarray(sol.col_value, dtype=np.float64) if has_sol else None
    maximise = spec.sense == "max"
    objective = float(info.objective_function_value) if has_sol else math.nan
    bound = objective if status == Status.OPTIMAL else (INF if maximise else -INF)
    return SpecResult(status, x, objective, bound, time.perf_counter() - t0, 0)


def solve_arrays(spec: LinearSpec, options: SolverOptions, *,
                 start: tuple[np.ndarray, np.ndarray] | None = None,
                 presolve: bool = True, relax: bool = False,
                 grace: float = 5.0) -> SpecResult:
    """Solve ``spec`` with highspy from arrays.

    Parameters
    ----------
    spec
        The model.
    options
        Time limit, gap, threads, seed, verbosity.
    start
        A (possibly partial) MIP start: column indices and values.
    presolve
        HiGHS presolve on/off.
    relax
        Solve the LP relaxation (integrality dropped).
    grace
        Seconds past the time limit after which the watchdog interrupts HiGHS.
    """
    t0 = time.perf_counter()
    if spec.n_cols == 0:
        return SpecResult(Status.OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0)
    h = build_highs(spec, options, presolve=presolve, relax=relax)
    res = run_highs(h, spec, options.time_limit, start=start, relax=relax, grace=grace)
    return SpecResult(res.status, res.x, res.objective, res.bound, time.perf_counter() - t0,
                      res.nodes, res.start_rejected)


def to_pyomo(spec: LinearSpec) -> tuple[Any, list[Any]]:
    """State ``spec`` as a pyomo model.

    Returns
    -------
    (ConcreteModel, list)
        The model and, per column of ``spec``, its pyomo variable.
    """
    import pyomo.environ as pyo

    m = pyo.ConcreteModel(name="switch")
    handles: list[Any] = [None] * spec.n_cols
    for name, (cols, keys) in spec.var_blocks.items():
        n = len(keys)
        if n == 0:
            continue
        domain = pyo.Integers if spec.col_int[cols[0]] else pyo.Reals
        lb = [spec.col_lb[c] for c in cols]
        ub = [spec.col_ub[c] for c in cols]
        var = pyo.Var(range(n), domain=domain,
                      bounds=lambda _m, i, lb=lb, ub=ub: (
                          None if lb[i] == -INF else lb[i], None if ub[i] == INF else ub[i]))
        setattr(m, name, var)
        for i, c in enumerate(cols):
            handles[c] = var[i]
    rows: dict[int, list[tuple[int, float]]] = {}
    for r, c, v in zip(spec.rows_i, spec.rows_j, spec.rows_v, strict=True):
        rows.setdefault(r, []).append((c, v))
    for name, members in spec.row_blocks.items():
        cl = pyo.ConstraintList()
        setattr(m, f"c_{name}", cl)
        for r in members:
            expr = pyo.quicksum(v * handles[c] for c, v in rows.get(r, []))
            lb, ub = spec.row_lb[r], spec.row_ub[r]
            if lb == ub:
                cl.add(expr == lb)
            elif lb == -INF:
                cl.add(expr <= ub)
            elif ub == INF:
                cl.add(expr >= lb)
            else:
                cl.add((lb, expr, ub))
    obj = pyo.quicksum(spec.col_cost[c] * handles[c] for c in range(spec.n_cols)
                       if spec.col_cost[c] != 0)
    m.objective = pyo.Objective(expr=obj, sense=pyo.maximize if spec.sense == "max"
                                else pyo.minimize)
    return m, handles


def solve_pyomo_spec(spec: LinearSpec, options: SolverOptions) -> SpecResult:
    """Solve ``spec`` through pyomo's HiGHS interface (same result type as arrays)."""
    from qdcopt.solvers.highs import solve_pyomo

    t0 = time.perf_counter()
    if spec.n_cols == 0:
        return SpecResult(Status.OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0)
    model, handles = to_pyomo(spec)
    info, loaded = solve_pyomo(model, options, "switch", sense=spec.sense)
    x = None
    if loaded:
        x = np.array([0.0 if h.value is None else float(h.value) for h in handles])
    bound = info.bound
    if math.isnan(bound):
        bound = INF if spec.sense == "max" else -INF
    return SpecResult(info.status, x, info.objective, bound, time.perf_counter() - t0)
