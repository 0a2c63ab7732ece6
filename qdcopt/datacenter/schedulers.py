"""Family-A request-level methods by name: which EPR event serves which request, and when
the switch moves.  The job-level methods run one of them inside (their ``scheduler`` option),
so this registry sits below theirs (:mod:`qdcopt.datacenter.methods`).

Every method takes its parameter object, ``fn(instance, params)``
(:mod:`qdcopt.datacenter.options`); call them through
``SCHEDULER_SPECS[name](instance, **options)``, which checks the options first.  The
heuristics' own functions (:mod:`qdcopt.datacenter.heuristics`) take keyword options: the
methods below hand them every option of the parameter object.
"""

from __future__ import annotations

from qdcopt.datacenter.heuristics.edf import edf
from qdcopt.datacenter.heuristics.greedy import greedy, greedy_retry
from qdcopt.datacenter.heuristics.scoring import scoring
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import (
    EdfParams,
    GreedyParams,
    GreedyRetryParams,
    MilpLpParams,
    ScoringParams,
    SwitchMilpParams,
)
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.switch.milp import MILP_METHODS
from qdcopt.params import MethodSpec
from qdcopt.solvers.highs import SolveInfo


def method_greedy(instance: DatacenterInstance, params: GreedyParams,
                  ) -> tuple[DatacenterPlan, SolveInfo]:
    """The paper-000 greedy in need-time order
    (:func:`~qdcopt.datacenter.heuristics.greedy.greedy`)."""
    return greedy(instance, retries=params.retries, delta=params.delta,
                  max_attempts=params.max_attempts, compiled=params.compiled)


def method_greedy_retry(instance: DatacenterInstance, params: GreedyRetryParams,
                        ) -> tuple[DatacenterPlan, SolveInfo]:
    """The greedy with Phase E retries
    (:func:`~qdcopt.datacenter.heuristics.greedy.greedy_retry`)."""
    return greedy_retry(instance, delta=params.delta, max_attempts=params.max_attempts,
                        compiled=params.compiled)


def method_edf(instance: DatacenterInstance, params: EdfParams,
               ) -> tuple[DatacenterPlan, SolveInfo]:
    """Earliest-deadline-first dispatching (:func:`~qdcopt.datacenter.heuristics.edf.edf`)."""
    return edf(instance, compiled=params.compiled)


def method_scoring(instance: DatacenterInstance, params: ScoringParams,
                   ) -> tuple[DatacenterPlan, SolveInfo]:
    """Score-based dispatching (:func:`~qdcopt.datacenter.heuristics.scoring.scoring`)."""
    return scoring(instance, alpha=params.alpha, beta=params.beta, gamma=params.gamma,
                   delta=params.delta, breadth=params.breadth, compiled=params.compiled)


SCHEDULER_SPECS = {spec.name: spec for spec in (
    MethodSpec("greedy", method_greedy, GreedyParams,
               "paper-000 greedy in need-time order (Phase E retries on request)", typed=True),
    MethodSpec("greedy-retry", method_greedy_retry, GreedyRetryParams,
               "the greedy with Phase E retries of rejected requests", typed=True),
    MethodSpec("edf", method_edf, EdfParams,
               "earliest-deadline-first dispatching of EPR events", typed=True),
    MethodSpec("scoring", method_scoring, ScoringParams, "score-based dispatching",
               typed=True),
    MethodSpec("milp", MILP_METHODS["milp"], SwitchMilpParams,
               "slot MILP of switch assignment: most requests, proven bound", typed=True),
    MethodSpec("milp-lp", MILP_METHODS["milp-lp"], MilpLpParams,
               "best heuristic plan with the slot model's LP-relaxation bound", typed=True),
)}
"""Request-level methods with their parameter classes: the heuristics, then the switch MILP
and its LP bound."""

SCHEDULERS = SCHEDULER_SPECS
"""Request-level method name → its registration, callable as
``SCHEDULERS[name](instance, **options)`` (options checked, then the method gets its
parameter object)."""
