"""Solving optimisation models with HiGHS, and what a method believes about its plan.

Two builders feed HiGHS: pyomo models (readable, used for small and medium instances)
and sparse arrays handed straight to highspy (used where pyomo's construction and
hand-over would dominate).  Both return a :class:`SolveInfo`.

Every HiGHS object is made by :func:`new_highs` and every run goes through
:func:`run_highs_object` (or, for pyomo models, :func:`solve_pyomo`), so that three
promises hold in one place: nothing reaches stdout (HiGHS prints a banner on stdout
when its first object is created, before any option can be set; with ``verbose`` its log
goes to stderr), a Ctrl-C caught by :mod:`qdcopt.runs.interrupt` stops a running solve, and
one map turns HiGHS's model status into a :class:`~qdcopt.status.Status`.

Every MIP solved from arrays goes through :func:`run_mip`, the one place where a MIP start
is handed to HiGHS.  It recomputes the objective of the solution HiGHS returns from the
column costs: HiGHS 1.16, started from a given solution, can report the objective (and a
dual bound) of a better solution while handing back the start unchanged.  When the two
disagree the model is solved again without the start; a solution that still disagrees
is returned with its recomputed objective, no bound and a status that claims no
optimality (:func:`validated_run`).

Long module, on purpose: the one HiGHS layer; its promises (nothing on stdout,
interrupts, one status map) hold only because every construction and run passes through
the functions here.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qdcopt.runs import interrupt
from qdcopt.runs.output import solver_output
from qdcopt.status import MAXIMIZE, MINIMIZE, SolveInfo, Status, relative_gap

__all__ = ["MAXIMIZE", "MINIMIZE", "MipRun", "SolveInfo", "SolverOptions", "Status",
           "configured_highs", "highs_model", "new_highs", "objectives_agree", "relative_gap",
           "run_highs_object", "run_mip", "solve_pyomo", "solver_output", "validated_run"]

DEFAULT_TIME_LIMIT = 60.0
"""Seconds a method may use when no time limit is given."""

OBJECTIVE_RTOL = 1e-9
"""Relative tolerance (of ``max(1, |objective|)``) between the objective a solver reports
and the one recomputed from the solution it returns."""

RESOLVE_MIN_S = 1.0
"""Least time limit, seconds, of the solve that replaces a rejected started one (the
started solve may have used up the caller's limit while proving nothing)."""


@dataclass(frozen=True)
class SolverOptions:
    """Options common to every HiGHS solve.

    Attributes
    ----------
    time_limit
        Wall-clock seconds HiGHS may use (``None``: no limit).
    mip_gap
        Relative MIP gap at which HiGHS may stop.
    threads
        HiGHS threads.
    seed
        HiGHS random seed, so that the same seed gives the same run.
    lp_method
        ``"simplex"``, ``"ipm"`` or ``"choose"`` for LPs.
    verbose
        Show HiGHS's log.
    """

    time_limit: float | None = DEFAULT_TIME_LIMIT
    mip_gap: float = 1e-6
    threads: int = 1
    seed: int = 0
    lp_method: str = "choose"
    verbose: bool = False

    def highs_options(self) -> dict[str, Any]:
        """The options as HiGHS names them."""
        opts: dict[str, Any] = {
            "mip_rel_gap": float(self.mip_gap),
            "threads": int(self.threads),
            "random_seed": int(self.seed),
            "output_flag": bool(self.verbose),
            "solver": self.lp_method,
        }
        if self.time_limit is not None:
            opts["time_limit"] = float(self.time_limit)
        return opts


def new_highs(verbose: bool = False) -> Any:
    """A ``highspy.Highs`` object made without a word on stdout.

    Parameters
    ----------
    verbose
        Keep HiGHS's log on (it goes to stderr when run by :func:`run_highs_object`).
    """
    import highspy

    with solver_output(verbose):
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(verbose))
    return h


def configured_highs(options: SolverOptions) -> Any:
    """:func:`new_highs` with every option of ``options`` set (``solver = "choose"``
    leaves HiGHS its own choice)."""
    h = new_highs(options.verbose)
    for key, value in options.highs_options().items():
        if key == "solver" and value == "choose":
            continue
        h.setOptionValue(key, value)
    return h


def highs_model(cost: Any, col_lower: Any, col_upper: Any, row_lower: Any, row_upper: Any,
                start: Any, index: Any, value: Any, *, maximise: bool,
                integer: Any = None) -> Any:
    """A ``highspy.HighsLp`` from column-wise arrays — the one place a model is put
    together for HiGHS.

    Parameters
    ----------
    cost, col_lower, col_upper
        Per column.
    row_lower, row_upper
        Per row (``±inf`` become HiGHS's infinity).
    start, index, value
        The constraint matrix in compressed sparse columns.
    maximise
        The objective's sense.
    integer
        Per column, whether it is integer (``None``: an LP).
    """
    import highspy

    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.clip(np.asarray(row_lower, dtype=np.float64), -inf, inf)
    lp.row_upper_ = np.clip(np.asarray(row_upper, dtype=np.float64), -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=np.float64)
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    if integer is not None:
        lp.integrality_ = [highspy.HighsVarType.kInteger if v
                           else highspy.HighsVarType.kContinuous for v in integer]
    return lp


def _watch(h: Any) -> threading.Event:
    """Let the interrupt flag (Ctrl-C) or the returned event (a watchdog) stop ``h``'s
    solves at HiGHS's next check."""
    cancel = getattr(h, "_qdcopt_cancel", None)
    if cancel is not None:
        return cancel
    cancel = threading.Event()
    requested = interrupt.requested

    def check(event: Any) -> None:
        if requested() or cancel.is_set():
            event.interrupt()

    # the callbacks are Python code run in the solving thread: a pending SIGINT handler
    # runs inside them, so the flag is seen while HiGHS holds the main thread.  One
    # handler for both causes: HiGHS calls it at every check (some 10⁵ times in a
    # 10-second LP), at a cost of a few percent of the solve.
    h.cbSimplexInterrupt += check
    h.cbIpmInterrupt += check
    h.cbMipInterrupt += check
    h._qdcopt_cancel = cancel
    return cancel


def run_highs_object(h: Any, *, verbose: bool = False, watchdog: float | None = None,
                     ) -> Status:
    """Run a prepared ``Highs`` object and map its model status.

    Parameters
    ----------
    h
        From :func:`new_highs`, with its model passed.
    verbose
        Send HiGHS's log (if its ``output_flag`` is on) to stderr.
    watchdog
        Seconds after which the run is cancelled whatever HiGHS does (some set-up steps
        ignore HiGHS's own time limit); a cancelled run reports ``time_limit``.

    Returns
    -------
    Status
        ``interrupted`` when a Ctrl-C stopped the run (the interrupt flag is then set).
    """
    cancel = _watch(h)
    cancel.clear()
    timer = None
    if watchdog is not None:
        timer = threading.Timer(watchdog, cancel.set)
        timer.daemon = True
        timer.start()
    try:
        with solver_output(verbose) if verbose else contextlib.nullcontext():
            h.run()
    finally:
        if timer is not None:
            timer.cancel()
    return model_status(h, watchdog_fired=cancel.is_set())


def model_status(h: Any, *, watchdog_fired: bool = False) -> Status:
    """The :class:`Status` of ``h``'s last run (one map for every HiGHS front end)."""
    import highspy

    ms = highspy.HighsModelStatus
    raw = h.getModelStatus()
    if raw == ms.kInterrupt:
        if watchdog_fired and not interrupt.requested():
            return Status.TIME_LIMIT
        interrupt.request()
        return Status.INTERRUPTED
    mapping = {ms.kOptimal: Status.OPTIMAL, ms.kModelEmpty: Status.OPTIMAL,
               ms.kTimeLimit: Status.TIME_LIMIT, ms.kIterationLimit: Status.ITERATION_LIMIT,
               ms.kInfeasible: Status.INFEASIBLE, ms.kUnbounded: Status.UNBOUNDED,
               ms.kUnboundedOrInfeasible: Status.INFEASIBLE_OR_UNBOUNDED}
    if raw in mapping:
        return mapping[raw]
    return h.modelStatusToString(raw).lower().replace(" ", "_")


@dataclass(frozen=True)
class MipRun:
    """What :func:`run_mip` read back from HiGHS, checked against the returned solution.

    Attributes
    ----------
    status
        The mapped model status; never ``optimal`` when the solution disagrees with the
        reported objective.
    x
        Column values of the returned solution (``None`` when HiGHS has no feasible one).
    objective
        The objective recomputed from ``x`` (``nan`` without a solution).
    bound
        HiGHS's dual bound; ``±inf`` (no bound) when there is none or when it came with an
        objective that ``x`` does not have.
    nodes
        Branch-and-bound nodes over every run.
    reported
        The objective HiGHS reported for its last run (``nan`` without a solution).
    consistent
        Whether ``objective`` and ``reported`` agree.
    start_rejected
        Whether a run from the MIP start was discarded and the model solved without it.
    """

    status: Status | str
    x: np.ndarray | None
    objective: float
    bound: float
    nodes: int = 0
    reported: float = math.nan
    consistent: bool = True
    start_rejected: bool = False


def _no_bound(sense: str) -> float:
    return math.inf if sense == MAXIMIZE else -math.inf


def objectives_agree(reported: float, recomputed: float, rtol: float = OBJECTIVE_RTOL,
                     ) -> bool:
    """Whether a reported objective and one recomputed from the solution agree.

    Parameters
    ----------
    reported, recomputed
        The two objective values (``nan`` on either side agrees with nothing but ``nan``).
    rtol
        Tolerance relative to ``max(1, |recomputed|)``.
    """
    if math.isnan(reported) or math.isnan(recomputed):
        return math.isnan(reported) and math.isnan(recomputed)
    return abs(reported - recomputed) <= rtol * max(1.0, abs(recomputed))


def validated_run(status: Status | str, x: np.ndarray | None, reported: float, bound: float,
                  cost: np.ndarray, *, sense: str = MAXIMIZE, offset: float = 0.0,
                  nodes: int = 0, rtol: float = OBJECTIVE_RTOL) -> MipRun:
    """A solver's answer with the objective recomputed from its solution.

    Parameters
    ----------
    status, x, reported, bound, nodes
        What the solver returned: model status, column values (``None``: no solution),
        its objective and dual bound, branch-and-bound nodes.
    cost, offset
        The objective is ``cost · x + offset``.
    sense
        ``"max"`` or ``"min"`` (the direction of a missing bound).
    rtol
        Tolerance of :func:`objectives_agree`.

    Returns
    -------
    MipRun
        ``objective`` recomputed.  When it disagrees with ``reported``, nothing the
        solver claimed about optimality holds: an ``optimal`` status becomes
        ``feasible`` and the bound is dropped (``±inf``), since a bound that came with a
        wrong objective is no proof either.
    """
    if not math.isfinite(bound):
        bound = _no_bound(sense)
    if x is None:
        return MipRun(status, None, math.nan, bound, nodes, reported, True)
    objective = float(np.dot(np.asarray(cost, dtype=np.float64), x)) + offset
    if objectives_agree(reported, objective, rtol):
        return MipRun(status, x, objective, bound, nodes, reported, True)
    if status == Status.OPTIMAL:
        status = Status.FEASIBLE
    return MipRun(status, x, objective, _no_bound(sense), nodes, reported, False)


def _set_start(h: Any, start: np.ndarray | tuple[np.ndarray, np.ndarray]) -> None:
    """Hand a MIP start to ``h``: a full column vector or ``(column indices, values)``
    (private: a start handed over anywhere but in :func:`run_mip` would go unchecked)."""
    import highspy

    if isinstance(start, tuple):
        idx, val = start
        h.setSolution(len(idx), np.asarray(idx, dtype=np.int32),
                      np.asarray(val, dtype=np.float64))
        return
    sol = highspy.HighsSolution()
    sol.col_value = np.asarray(start, dtype=np.float64).tolist()
    sol.value_valid = True
    h.setSolution(sol)


def _run_once(h: Any, cost: np.ndarray, sense: str, offset: float,
              start: np.ndarray | tuple[np.ndarray, np.ndarray] | None,
              time_limit: float | None, grace: float, verbose: bool) -> MipRun:
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    if start is not None:
        _set_start(h, start)
    status = run_highs_object(h, verbose=verbose,
                              watchdog=None if time_limit is None else time_limit + grace)
    info = h.getInfo()
    sol = h.getSolution()
    has = bool(sol.value_valid) and info.primal_solution_status == 2
    x = np.asarray(sol.col_value, dtype=np.float64) if has else None
    reported = float(info.objective_function_value) if has else math.nan
    return validated_run(status, x, reported, float(info.mip_dual_bound), cost, sense=sense,
                         offset=offset, nodes=int(info.mip_node_count))


def run_mip(h: Any, cost: np.ndarray, *, sense: str = MAXIMIZE,
            start: np.ndarray | tuple[np.ndarray, np.ndarray] | None = None,
            time_limit: float | None = None, grace: float = 5.0, offset: float = 0.0,
            ) -> MipRun:
    """Run the MIP held by ``h``, from a start if given, and check what comes back.

    Parameters
    ----------
    h
        From :func:`new_highs`, with its model passed (its options set).
    cost
        The model's column costs, to recompute the returned solution's objective.
    sense
        ``"max"`` or ``"min"``.
    start
        A MIP start: a full column vector, or ``(column indices, values)`` of a partial
        one.
    time_limit
        Seconds for the run (``None``: the option already set on ``h``); a watchdog
        stops the run ``grace`` seconds later whatever HiGHS does.
    grace
        See ``time_limit``.
    offset
        Constant term of the objective.

    Returns
    -------
    MipRun
        When the run from ``start`` returns a solution whose recomputed objective differs
        from the reported one, that run is discarded (``start_rejected``) and the model
        solved again from scratch, with what is left of ``time_limit`` (at least
        :data:`RESOLVE_MIN_S`); the better of the two solutions is kept, the status and
        bound are the second run's.  A disagreement left after that (or after a run
        without a start) is reported by :func:`validated_run`.
    """
    t0 = time.perf_counter()
    verbose = bool(h.getOptionValue("output_flag"))
    first = _run_once(h, cost, sense, offset, start, time_limit, grace, verbose)
    if start is None or first.consistent or first.status == Status.INTERRUPTED:
        return first
    # The start's run answered for a solution it did not return: its objective, bound
    # and status are all suspect.  clearSolver also forgets the start.
    h.clearSolver()
    left = None
    if time_limit is not None:
        left = max(min(time_limit, RESOLVE_MIN_S), time_limit - (time.perf_counter() - t0))
    second = _run_once(h, cost, sense, offset, None, left, grace, verbose)
    out = replace(second, nodes=first.nodes + second.nodes, start_rejected=True)
    better = first.x is not None and (
        second.x is None or (first.objective > second.objective if sense == MAXIMIZE
                             else first.objective < second.objective))
    if better:
        # only the first run's solution is kept: its claims were dropped above
        status = Status.FEASIBLE if second.status == Status.OPTIMAL else second.status
        bound = out.bound
        if (first.objective > bound) if sense == MAXIMIZE else (first.objective < bound):
            bound = _no_bound(sense)  # a bound the kept solution beats proves nothing
        out = replace(out, status=status, x=first.x, objective=first.objective, bound=bound)
    return out


@functools.cache
def _pyomo_highs_class() -> Any:
    """pyomo's HiGHS interface, watching each of its HiGHS objects for Ctrl-C."""
    import pyomo.environ  # noqa: F401  (registers pyomo's solvers)
    from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

    class WatchedHighs(PyomoHighs):
        def _solve(self) -> Any:
            _watch(self._solver_model)
            return super()._solve()

    return WatchedHighs


def _pyomo_highs() -> Any:
    return _pyomo_highs_class()()


def solve_pyomo(model: Any, options: SolverOptions, method: str, sense: str = MAXIMIZE,
                ) -> tuple[SolveInfo, bool]:
    """Solve a pyomo model with HiGHS through pyomo's ``highs`` interface.

    Parameters
    ----------
    model
        A pyomo ``ConcreteModel`` with one active objective.
    options
        Solver options.
    method
        Name recorded in the returned :class:`SolveInfo`.
    sense
        Direction of the objective, for the gap.

    Returns
    -------
    (SolveInfo, bool)
        The solve information and whether a solution was loaded into the model's variables.
    """
    solver = _pyomo_highs()
    start = time.perf_counter()
    opts = options.highs_options()
    solver_options = {k: v for k, v in opts.items()
                      if k not in ("time_limit", "mip_rel_gap", "threads")}
    with contextlib.ExitStack() as stack:
        tee: Any = False
        if options.verbose:
            # pyomo captures descriptors 1 and 2 while it solves and copies the log to
            # ``tee``: a stream on a copy of descriptor 2 reaches stderr without looping
            # back into the capture
            tee = stack.enter_context(os.fdopen(os.dup(2), "w", buffering=1))
        stack.enter_context(solver_output(options.verbose))
        result = solver.solve(
            model,
            time_limit=options.time_limit,
            rel_gap=options.mip_gap,
            threads=options.threads,
            tee=tee,
            raise_exception_on_nonoptimal_result=False,
            load_solutions=False,
            solver_options=solver_options,
        )
    elapsed = time.perf_counter() - start
    status = _pyomo_status(result)
    h = getattr(solver, "_solver_model", None)
    if h is not None:
        # pyomo reads HiGHS's interrupt status as "unknown": ask HiGHS itself
        import highspy

        if h.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
            status = model_status(h)
    loaded = False
    if result.incumbent_objective is not None:
        result.solution_loader.load_vars()
        loaded = True
    incumbent, proven = result.incumbent_objective, result.objective_bound
    objective = math.nan if incumbent is None else float(incumbent)
    bound = math.nan if proven is None else float(proven)
    if status == Status.OPTIMAL and math.isnan(bound):
        bound = objective
    info = SolveInfo(method=method, status=status, objective=objective, bound=bound,
                     time_s=elapsed, sense=sense)
    return info, loaded


def _pyomo_status(result: Any) -> Status | str:
    name = str(result.termination_condition).split(".")[-1]
    mapping = {
        "convergenceCriteriaSatisfied": Status.OPTIMAL,
        "maxTimeLimit": Status.TIME_LIMIT,
        "iterationLimit": Status.ITERATION_LIMIT,
        "provenInfeasible": Status.INFEASIBLE,
        "locallyInfeasible": Status.INFEASIBLE,
        "infeasibleOrUnbounded": Status.INFEASIBLE_OR_UNBOUNDED,
        "unbounded": Status.UNBOUNDED,
        "interrupted": Status.INTERRUPTED,
    }
    return mapping.get(name, name)
