"""Former place of :mod:`qdcopt.solvers.highs`, kept for one release: import from there."""

from qdcopt.solvers.highs import (
    MAXIMIZE,
    MINIMIZE,
    SolveInfo,
    SolverOptions,
    relative_gap,
    solve_pyomo,
)

__all__ = ["MAXIMIZE", "MINIMIZE", "SolveInfo", "SolverOptions", "relative_gap", "solve_pyomo"]
