"""Family-A request-level methods by name: which EPR event serves which request, and when
the switch moves.  The job-level methods run one of them inside (their ``scheduler`` option),
so this registry sits below theirs (:mod:`qdcopt.datacenter.methods`).
"""

from __future__ import annotations

from qdcopt.datacenter.heuristics import HEURISTICS
from qdcopt.datacenter.options import (
    EdfParams,
    GreedyParams,
    GreedyRetryParams,
    MilpLpParams,
    ScoringParams,
    SwitchMilpParams,
)
from qdcopt.datacenter.switch.milp import MILP_METHODS
from qdcopt.params import MethodSpec

SCHEDULER_SPECS = {spec.name: spec for spec in (
    MethodSpec("greedy", HEURISTICS["greedy"], GreedyParams,
               "paper-000 greedy in need-time order (Phase E retries on request)"),
    MethodSpec("greedy-retry", HEURISTICS["greedy-retry"], GreedyRetryParams,
               "the greedy with Phase E retries of rejected requests"),
    MethodSpec("edf", HEURISTICS["edf"], EdfParams,
               "earliest-deadline-first dispatching of EPR events"),
    MethodSpec("scoring", HEURISTICS["scoring"], ScoringParams, "score-based dispatching"),
    MethodSpec("milp", MILP_METHODS["milp"], SwitchMilpParams,
               "slot MILP of switch assignment: most requests, proven bound"),
    MethodSpec("milp-lp", MILP_METHODS["milp-lp"], MilpLpParams,
               "best heuristic plan with the slot model's LP-relaxation bound"),
)}
"""Request-level methods with their parameter classes: the heuristics, then the switch MILP
and its LP bound."""

SCHEDULERS = {name: spec.fn for name, spec in SCHEDULER_SPECS.items()}
"""Request-level method name → function."""
