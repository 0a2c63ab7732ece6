"""What a method reports about its own run: its status and :class:`SolveInfo`.

Statuses are plain strings in files and JSON; :class:`Status` names the ones qdcopt's
methods use, so that code compares against a name rather than a spelling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

MAXIMIZE = "max"
MINIMIZE = "min"


class Status(StrEnum):
    """Status of a method's run (its value is what plans, tables and JSON hold)."""

    OPTIMAL = "optimal"
    """The plan is proven optimal."""
    TIME_LIMIT = "time_limit"
    """The time limit ended the run; the plan is the best found."""
    FEASIBLE = "feasible"
    """A plan was found, its optimality not proven."""
    INFEASIBLE = "infeasible"
    """The model has no solution."""
    UNBOUNDED = "unbounded"
    """The model's objective is unbounded."""
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    """The solver stopped knowing only that one of the two holds."""
    ITERATION_LIMIT = "iteration_limit"
    """An iteration limit ended the run."""
    HEURISTIC = "heuristic"
    """A heuristic made the plan; nothing is proven about it."""
    BOUND = "bound"
    """The run's purpose is the bound; the plan is a heuristic's."""
    INTERRUPTED = "interrupted"
    """The user interrupted the run (Ctrl-C); the plan is the best found until then."""
    RESTRICTED = "restricted"
    """Optimal over the columns the model holds, not certified over all of them."""
    SIMULATED = "simulated"
    """The plan is what a seeded simulation of a protocol did; nothing is proven."""
    OPTIMAL_OVER_CANDIDATES = "optimal_over_candidates"
    """The plan meets a bound that holds over a restricted candidate set (job selection's
    QPU sets and starts), which proves it optimal there, not over every plan."""


class FrozenDict(dict):
    """A ``dict`` that refuses every change after it is made (so a frozen
    :class:`SolveInfo` is frozen all the way down), and still pickles, copies and
    serialises to JSON as a plain ``dict``."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("SolveInfo.extra cannot be changed: make a new SolveInfo with "
                        "with_(extra={...})")

    __setitem__ = __delitem__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self


@dataclass(frozen=True)
class SolveInfo:
    """What a method reports about its own run (never a judgement of the plan).

    Attributes
    ----------
    method
        Name of the method.
    status
        One of :class:`Status` (``"optimal"``, ``"time_limit"``, ``"interrupted"``...).
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

    def __post_init__(self) -> None:
        if not isinstance(self.extra, FrozenDict):
            object.__setattr__(self, "extra", FrozenDict(self.extra))

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
            "status": str(self.status),
            "objective": _json_float(self.objective),
            "bound": _json_float(self.bound),
            "gap": _json_float(self.gap),
            "time_s": round(self.time_s, 6),
            "sense": self.sense,
            "extra": dict(self.extra),
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


OPTIMUM_RTOL = 1e-6
"""Relative tolerance (of ``max(1, |bound|)``) within which an optimal objective must meet
its bound."""

OPTIMUM_FLAG = "objective ≠ bound"
"""What tables and messages show beside a status ``optimal`` its figures do not bear out."""


def optimum_flag(status: str, objective: float, bound: float,
                 rtol: float = OPTIMUM_RTOL) -> str:
    """:data:`OPTIMUM_FLAG` when ``status`` claims optimality but ``objective`` (the
    validated one) differs from the proven ``bound``, else ``""``.

    Parameters
    ----------
    status
        The method's status.
    objective
        The validator's objective of the method's plan.
    bound
        The bound the method claims to have proven (``nan``: none, nothing to compare).
    rtol
        Tolerance relative to ``max(1, |bound|)``.
    """
    if str(status) != Status.OPTIMAL or objective is None or bound is None:
        return ""
    if math.isnan(bound) or math.isnan(objective):
        return ""
    if abs(objective - bound) <= rtol * max(1.0, abs(bound)):
        return ""
    return OPTIMUM_FLAG


def shown_status(status: str, objective: float, bound: float) -> str:
    """The status as printed: ``optimal?`` when :func:`optimum_flag` flags it."""
    return f"{status}?" if optimum_flag(status, objective, bound) else str(status)


def false_optimum(info: SolveInfo | None, objective: float) -> str | None:
    """A message when ``info`` claims optimality that the validated ``objective`` and the
    claimed bound contradict (one of the two claims is false), else ``None``."""
    if info is None or not optimum_flag(info.status, objective, info.bound):
        return None
    return (f"{info.method} reports status optimal, but its validated objective "
            f"{objective:g} differs from its bound {info.bound:g} ({OPTIMUM_FLAG})")


def _json_float(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def _float_or_nan(x: Any) -> float:
    return math.nan if x is None else float(x)
