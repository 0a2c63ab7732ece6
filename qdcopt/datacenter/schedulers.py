"""Family-A request-level methods by name: which EPR event serves which request, and when
the switch moves.  The job-level methods run one of them inside (their ``scheduler`` option),
so this registry sits below theirs (:mod:`qdcopt.datacenter.methods`).

Every method takes its parameter object, ``fn(instance, params)``
(:mod:`qdcopt.datacenter.options`); call them through
``SCHEDULER_SPECS[name](instance, **options)``, which checks the options first.
"""

from __future__ import annotations

from qdcopt.datacenter.heuristics.edf import edf
from qdcopt.datacenter.heuristics.greedy import greedy, greedy_retry
from qdcopt.datacenter.heuristics.scoring import scoring
from qdcopt.datacenter.options import (
    EdfParams,
    GreedyParams,
    GreedyRetryParams,
    MilpLpParams,
    ScoringParams,
    SwitchCpsatParams,
    SwitchMilpParams,
)
from qdcopt.datacenter.switch.cpsat import switch_cpsat
from qdcopt.datacenter.switch.milp import MILP_METHODS
from qdcopt.params import MethodSpec

SCHEDULER_SPECS = {spec.name: spec for spec in (
    MethodSpec("greedy", greedy, GreedyParams,
               "paper-000 greedy in need-time order (Phase E retries on request)", typed=True),
    MethodSpec("greedy-retry", greedy_retry, GreedyRetryParams,
               "the greedy with Phase E retries of rejected requests", typed=True),
    MethodSpec("edf", edf, EdfParams,
               "earliest-deadline-first dispatching of EPR events", typed=True),
    MethodSpec("scoring", scoring, ScoringParams, "score-based dispatching",
               typed=True),
    MethodSpec("milp", MILP_METHODS["milp"], SwitchMilpParams,
               "slot MILP of switch assignment: most requests, proven bound", typed=True),
    MethodSpec("milp-lp", MILP_METHODS["milp-lp"], MilpLpParams,
               "best heuristic plan with the slot model's LP-relaxation bound", typed=True),
    MethodSpec("cpsat", switch_cpsat, SwitchCpsatParams,
               "CP-SAT model of switch assignment (event level, circuit per source): "
               "most requests, proven bound", typed=True),
)}
"""Request-level methods with their parameter classes: the heuristics, then the switch MILP,
its LP bound and the CP-SAT model."""

SCHEDULERS = SCHEDULER_SPECS
"""Request-level method name → its registration, callable as
``SCHEDULERS[name](instance, **options)`` (options checked, then the method gets its
parameter object)."""
