"""Solving optimisation models with HiGHS, and what a method believes about its plan.

Two builders feed HiGHS: pyomo models (readable, used for small and medium instances)
and sparse arrays handed straight to highspy (used where pyomo's construction and
hand-over would dominate).  Both return a :class:`SolveInfo`.

Every HiGHS object is made by :func:`new_highs` and every run goes through
:func:`run_highs_object` (or, for pyomo models, :func:`solve_pyomo`), so that three
promises hold in one place: nothing reaches stdout (HiGHS prints a banner on stdout
when its first object is created, before any option can be set; with ``verbose`` its log
goes to stderr), a Ctrl-C caught by :mod:`qdcopt.interrupt` stops a running solve, and
one map turns HiGHS's model status into a :class:`~qdcopt.status.Status`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qdcopt import interrupt
from qdcopt.status import MAXIMIZE, MINIMIZE, SolveInfo, Status, relative_gap

__all__ = ["MAXIMIZE", "MINIMIZE", "SolveInfo", "SolverOptions", "Status", "new_highs",
           "relative_gap", "run_highs_object", "solve_pyomo", "solver_output"]

DEFAULT_TIME_LIMIT = 60.0
"""Seconds a method may use when no time limit is given."""


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


_redirect_lock = threading.Lock()
_redirect_depth = 0
_saved_fd: int | None = None


def _flush_c_stdout() -> None:
    """Flush C stdio buffers, so that text written before a redirection lands before it."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def solver_output(verbose: bool = False) -> Iterator[None]:
    """Within the block, what the solver libraries print on stdout goes to stderr
    (``verbose``) or nowhere.

    HiGHS writes to the process's file descriptor 1, below Python's ``sys.stdout``; the
    descriptor itself is pointed elsewhere for the block (nested and concurrent blocks
    share one redirection) and Python-level prints go to stderr.
    """
    global _redirect_depth, _saved_fd
    with _redirect_lock:
        if _redirect_depth == 0:
            with contextlib.suppress(Exception):
                if sys.stdout is not None:
                    sys.stdout.flush()
            _flush_c_stdout()
            saved = None
            try:
                target = os.dup(2) if verbose else os.open(os.devnull, os.O_WRONLY)
            except OSError:  # no stderr: nowhere to send the log
                target = os.open(os.devnull, os.O_WRONLY)
            try:
                saved = os.dup(1)
                os.dup2(target, 1)
            except OSError:  # no stdout to protect
                saved = None
            finally:
                os.close(target)
            _saved_fd = saved
        _redirect_depth += 1
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        with _redirect_lock:
            _redirect_depth -= 1
            if _redirect_depth == 0 and _saved_fd is not None:
                _flush_c_stdout()
                os.dup2(_saved_fd, 1)
                os.close(_saved_fd)
                _saved_fd = None


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
    if status == "optimal" and math.isnan(bound):
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
