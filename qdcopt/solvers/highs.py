"""Solving optimisation models with HiGHS, and what a method believes about its plan.

Two builders feed HiGHS: pyomo models (readable, used for small and medium instances)
and sparse arrays handed straight to highspy (used where pyomo's construction and
hand-over would dominate).  Both return a :class:`SolveInfo`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

MAXIMIZE = "max"
MINIMIZE = "min"


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

    time_limit: float | None = 60.0
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


@dataclass(frozen=True)
class SolveInfo:
    """What a method reports about its own run (never a judgement of the plan).

    Attributes
    ----------
    method
        Name of the method.
    status
        ``"optimal"``, ``"time_limit"``, ``"feasible"``, ``"infeasible"``, ``"heuristic"``...
    objective
        The objective value the method claims for its plan (``nan`` if none).
    bound
        A proven bound on the optimum (upper bound when maximising), ``nan`` if unknown.
    time_s
        Wall-clock seconds the method took.
    sense
        ``"max"`` or ``"min"``.
    extra
        Anything else worth keeping (model size, rounds, restriction/relaxation bounds...).
    """

    method: str
    status: str
    objective: float = math.nan
    bound: float = math.nan
    time_s: float = 0.0
    sense: str = MAXIMIZE
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative gap between claimed objective and bound (``nan`` if either is unknown)."""
        return relative_gap(self.objective, self.bound, self.sense)

    def with_(self, **changes: Any) -> SolveInfo:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "method": self.method,
            "status": self.status,
            "objective": _json_float(self.objective),
            "bound": _json_float(self.bound),
            "gap": _json_float(self.gap),
            "time_s": round(self.time_s, 6),
            "sense": self.sense,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SolveInfo:
        """Inverse of :meth:`to_dict`."""
        return cls(
            method=str(data.get("method", "")),
            status=str(data.get("status", "")),
            objective=_float_or_nan(data.get("objective")),
            bound=_float_or_nan(data.get("bound")),
            time_s=float(data.get("time_s", 0.0)),
            sense=str(data.get("sense", MAXIMIZE)),
            extra=dict(data.get("extra", {})),
        )


def relative_gap(value: float, bound: float, sense: str = MAXIMIZE) -> float:
    """Relative gap ``|bound - value| / max(1, |bound|)`` with the sign that makes it ≥ 0.

    Returns ``nan`` when either number is unknown.
    """
    if value is None or bound is None or math.isnan(value) or math.isnan(bound):
        return math.nan
    diff = bound - value if sense == MAXIMIZE else value - bound
    return max(0.0, diff) / max(1.0, abs(bound))


def _json_float(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def _float_or_nan(x: Any) -> float:
    return math.nan if x is None else float(x)


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
    from pyomo.contrib.solver.common.factory import SolverFactory

    solver = SolverFactory("highs")
    start = time.perf_counter()
    opts = options.highs_options()
    solver_options = {k: v for k, v in opts.items()
                      if k not in ("time_limit", "mip_rel_gap", "threads")}
    result = solver.solve(
        model,
        time_limit=options.time_limit,
        rel_gap=options.mip_gap,
        threads=options.threads,
        tee=options.verbose,
        raise_exception_on_nonoptimal_result=False,
        load_solutions=False,
        solver_options=solver_options,
    )
    elapsed = time.perf_counter() - start
    status = _pyomo_status(result)
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


def _pyomo_status(result: Any) -> str:
    name = str(result.termination_condition).split(".")[-1]
    mapping = {
        "convergenceCriteriaSatisfied": "optimal",
        "maxTimeLimit": "time_limit",
        "iterationLimit": "iteration_limit",
        "provenInfeasible": "infeasible",
        "locallyInfeasible": "infeasible",
        "infeasibleOrUnbounded": "infeasible_or_unbounded",
        "unbounded": "unbounded",
        "interrupted": "interrupted",
    }
    return mapping.get(name, name)
