"""qdcopt: optimal and heuristic planning of entanglement distribution.

The public API follows one flow, Instance → Method → Plan → Validator → Report::

    import qdcopt
    inst = qdcopt.load_instance("instances/default.toml")
    plan, info = qdcopt.solve(inst, method="greedy")
    report = qdcopt.validate(inst, plan)
    table = qdcopt.compare(inst)
"""

from qdcopt.api import (
    load_instance,
    load_plan,
    methods,
    save_plan,
    simulate,
    solve,
    validate,
)
from qdcopt.compare import compare, run_comparison
from qdcopt.errors import CrossCheckError, InstanceError
from qdcopt.report import Report, Violation
from qdcopt.solvers.highs import SolveInfo, SolverOptions

__version__ = "0.1.0"

__all__ = [
    "CrossCheckError",
    "InstanceError",
    "Report",
    "SolveInfo",
    "SolverOptions",
    "Violation",
    "compare",
    "load_instance",
    "load_plan",
    "methods",
    "run_comparison",
    "save_plan",
    "simulate",
    "solve",
    "validate",
]
