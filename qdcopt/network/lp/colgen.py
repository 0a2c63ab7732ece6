"""The column-generation loop both priced statements of the hyperflow LP share.

The swap-column LP (:mod:`~qdcopt.network.lp.hyperflow`) and the tree master
(:mod:`~qdcopt.network.lp.hyperpaths`) differ in what a column is and how it is priced,
never in how the search runs: per objective phase (the max–min level first, then the
weighted total at that level), solve, price, add, re-solve, until pricing certifies the
phase or the deadline, an interrupt or the round cap stops it; the max–min phase passes
its level on (each master holds it from below less a slack that suits its solver's
tolerances); a search stopped without a feasible point falls back to the last master
that solved.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qdcopt.network.lp.rows import MAXMIN
from qdcopt.runs import interrupt
from qdcopt.solvers.highs import Status


class PricedMaster(Protocol):
    """What the loop asks of a master LP."""

    def start_phase(self, phase: str) -> None:
        """Set the objective of ``phase`` (``"maxmin"`` or ``"sum"``)."""

    def run(self, deadline: float | None) -> str:
        """Solve the master; return the status."""

    def price(self) -> tuple[int, int]:
        """Add improving columns; return (columns priced positive, columns added)."""

    def values(self) -> np.ndarray:
        """Column values of the last solve."""

    def level(self) -> float:
        """The fairness level ``z`` of the last solve."""

    def hold_level(self, z: float) -> None:
        """Keep the fairness level at ``z`` or more, less the master's own slack."""

    def has_feasible_point(self) -> bool:
        """Whether the solver holds a feasible point (after a stop, it may not)."""


@dataclass(frozen=True)
class SearchResult:
    """How a column-generation search ended.

    Attributes
    ----------
    status
        ``"optimal"`` when every phase solved to optimality, else the first other status
        (certification is separate: an optimal but uncertified search is a restriction).
    certified
        Every phase ended with pricing finding no improving column.
    values
        The column values to report: the last solve, or the last solve that succeeded
        (padded with zeros for columns added since) when a stop left no feasible point.
    rounds
        Pricing rounds over all phases.
    pricing_s
        Seconds spent pricing.
    positive
        Columns priced positive per round.
    first_objective
        The master's value before the first pricing round (``nan`` if it did not solve).
    maxmin_level
        The max–min phase's level, when it ran.
    """

    status: str
    certified: bool
    values: np.ndarray
    rounds: int
    pricing_s: float
    positive: tuple[int, ...] = ()
    first_objective: float = float("nan")
    maxmin_level: float | None = None


def search(master: PricedMaster, phases: list[str], deadline: float | None, *,
           pricing: bool = True, certified_unpriced: bool = False, max_rounds: int = 10000,
           objective_of: Callable[[np.ndarray], float] | None = None) -> SearchResult:
    """Run column generation on ``master`` phase by phase.

    Parameters
    ----------
    master
        The master LP and its pricing.
    phases
        ``["sum"]`` or ``["maxmin", "sum"]``.
    deadline
        ``time.perf_counter()`` value after which the search stops (``None``: none).
    pricing
        Price at all; without it each phase is the master's optimum as built.
    certified_unpriced
        Whether an unpriced phase counts as certified (the master holds every column).
    max_rounds
        Cap on pricing rounds over all phases; a phase cut by it is not certified.
    objective_of
        Callable giving the master's objective from its values (for ``first_objective``).

    Returns
    -------
    SearchResult
    """
    status = Status.OPTIMAL
    certified = True
    settled: np.ndarray | None = None
    rounds = 0
    pricing_s = 0.0
    positive_log: list[int] = []
    first = float("nan")
    level: float | None = None
    for phase in phases:
        master.start_phase(phase)
        status = master.run(deadline)
        if status == Status.OPTIMAL:
            settled = master.values()
            if objective_of is not None and math.isnan(first):
                first = float(objective_of(settled))
        phase_certified = certified_unpriced and not pricing
        while pricing and status == Status.OPTIMAL:
            if deadline is not None and time.perf_counter() > deadline:
                status = Status.TIME_LIMIT
                break
            if interrupt.requested():
                status = Status.INTERRUPTED
                break
            if rounds >= max_rounds:
                break
            tp = time.perf_counter()
            positive, added = master.price()
            pricing_s += time.perf_counter() - tp
            rounds += 1
            positive_log.append(positive)
            if positive == 0 or added == 0:
                # No column can raise the optimum (added == 0: every improving column is
                # already in, up to the solver's own dual tolerance).
                phase_certified = True
                break
            status = master.run(deadline)
            if status == Status.OPTIMAL:
                settled = master.values()
        certified = certified and phase_certified and status == Status.OPTIMAL
        if status != Status.OPTIMAL:
            break
        if phase == MAXMIN:
            level = float(master.level())
            master.hold_level(level)
    values = np.asarray(master.values(), dtype=float)
    if status != Status.OPTIMAL and not master.has_feasible_point():
        # a run stopped early (or failed) may hold no feasible point: keep the last solved
        # master (columns added since carry nothing in it), else nothing at all
        base = settled if settled is not None else np.zeros(0)
        values = np.concatenate([base, np.zeros(max(0, len(values) - len(base)))])
    return SearchResult(status=str(status), certified=certified, values=values,
                        rounds=rounds, pricing_s=pricing_s, positive=tuple(positive_log),
                        first_objective=first, maxmin_level=level)


__all__ = ["PricedMaster", "SearchResult", "search"]
