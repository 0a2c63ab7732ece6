"""The check of every MIP run (``qdcopt.solvers.highs.run_mip``) on a model where HiGHS,
given a start, reports an objective its returned solution does not have."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from qdcopt.solvers.arrays import LinearSpec, solve_arrays
from qdcopt.solvers.highs import (
    MAXIMIZE,
    MINIMIZE,
    SolverOptions,
    Status,
    objectives_agree,
    run_mip,
    validated_run,
)

# Nine rows of an interval PGA model (a line a – b – c), cut down from one on which
# HiGHS 1.16, started from EDF's schedule X0 (objective 1.625), reports objective 2.625
# and returns X0.  On this cut, started from X0, it reports the optimum 2.875 and again
# returns X0.  Columns 0–11 start a PGA (tie-break 1/8), 12–14 put a demand on track.
COST = np.array([0.125] * 12 + [1.0] * 3)
ROWS = [  # (lower, {column: coefficient}, upper)
    (-math.inf, {7: 1, 8: 1, 9: 1}, 1),
    (-math.inf, {2: 2, 5: 1, 9: 1}, 2),
    (-math.inf, {2: 2, 3: 2, 5: 1, 10: 1}, 2),
    (-math.inf, {0: 1, 1: 1, 7: 1}, 1),
    (-math.inf, {1: 1, 8: 1}, 1),
    (-math.inf, {3: 1, 11: 1}, 1),
    (0, {0: 1, 1: 1, 2: 1, 3: 1, 12: -2}, math.inf),
    (0, {4: 1, 5: 1, 6: 1, 13: -3}, math.inf),
    (0, {7: 1, 8: 1, 9: 1, 10: 1, 11: 1, 14: -2}, math.inf),
]
X0 = np.array([1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1], dtype=float)


def _spec() -> LinearSpec:
    spec = LinearSpec(sense="max")
    spec.add_vars("x", list(range(len(COST) - 3)), 0.0, 1.0, integer=True, cost=0.125)
    spec.add_vars("y", list(range(3)), 0.0, 1.0, integer=True, cost=1.0)
    spec.row_block("rows")
    for lb, coef, ub in ROWS:
        spec.add_row(list(coef), [float(v) for v in coef.values()], lb, ub)
    return spec


def _optimum() -> float:
    """The model's optimum by enumerating every binary vector."""
    spec = _spec()
    xs = np.array(list(itertools.product((0.0, 1.0), repeat=len(COST))))
    mat = np.zeros((len(ROWS), len(COST)))
    for r, (_, coef, _) in enumerate(ROWS):
        for c, v in coef.items():
            mat[r, c] = v
    act = xs @ mat.T
    ok = ((act >= np.array(spec.row_lb) - 1e-9) & (act <= np.array(spec.row_ub) + 1e-9)).all(1)
    return float((xs[ok] @ COST).max())


def _highs():
    """A silent HiGHS object holding the model (presolve on, one thread, seed 0)."""
    from qdcopt.solvers.arrays import build_highs

    return build_highs(_spec(), SolverOptions(time_limit=30))


def _raw_misreports() -> bool:
    """Whether HiGHS itself, started from X0, reports an objective its solution lacks."""
    h = _highs()
    h.setSolution(len(X0), np.arange(len(X0), dtype=np.int32), X0)
    h.run()
    x = np.asarray(h.getSolution().col_value)
    return not objectives_agree(h.getInfo().objective_function_value, float(COST @ x))


def test_start_is_feasible_and_worse_than_the_optimum():
    spec = _spec()
    assert spec.violation(X0) == 0.0
    assert COST @ X0 == 1.625 and _optimum() == 2.875


@pytest.mark.parametrize("start", ["vector", "indices"])
def test_run_mip_returns_a_solution_that_has_the_reported_objective(start):
    h = _highs()
    given = X0 if start == "vector" else (np.flatnonzero(X0), np.ones(int(X0.sum())))
    run = run_mip(h, COST, start=given, time_limit=30)
    assert run.consistent and run.x is not None
    assert run.objective == pytest.approx(float(COST @ run.x), abs=1e-12)
    assert run.objective == pytest.approx(_optimum())
    assert run.status == Status.OPTIMAL and run.bound == pytest.approx(run.objective)
    assert _spec().violation(run.x) <= 1e-9


def test_run_mip_rejects_the_misreported_start():
    if not _raw_misreports():
        pytest.skip("this HiGHS returns the solution it reports from this start")
    run = run_mip(_highs(), COST, start=X0, time_limit=30)
    assert run.start_rejected


def test_run_mip_without_start_keeps_the_run():
    run = run_mip(_highs(), COST, time_limit=30)
    assert not run.start_rejected and run.consistent
    assert run.objective == pytest.approx(_optimum())


def test_solve_arrays_passes_its_start_through_the_check():
    res = solve_arrays(_spec(), SolverOptions(time_limit=30),
                       start=(np.arange(len(X0)), X0))
    assert res.status == "optimal"
    assert res.objective == pytest.approx(_optimum())
    assert res.objective == pytest.approx(float(COST @ res.x), abs=1e-12)
    assert res.start_rejected == _raw_misreports()


@pytest.mark.parametrize("sense, no_bound", [(MAXIMIZE, math.inf), (MINIMIZE, -math.inf)])
def test_validated_run_drops_the_claims_of_a_misreported_solution(sense, no_bound):
    run = validated_run(Status.OPTIMAL, X0, 2.625, 2.625, COST, sense=sense, nodes=3)
    assert not run.consistent
    assert run.objective == 1.625 and run.reported == 2.625
    assert run.status == Status.FEASIBLE and run.bound == no_bound and run.nodes == 3


def test_validated_run_keeps_an_agreeing_solution():
    run = validated_run(Status.OPTIMAL, X0, 1.625 + 1e-12, 1.625, COST)
    assert run.consistent and run.status == Status.OPTIMAL and run.bound == 1.625


@pytest.mark.parametrize("status", [Status.TIME_LIMIT, Status.INTERRUPTED])
def test_validated_run_keeps_a_status_that_claims_nothing(status):
    run = validated_run(status, X0, 2.625, 3.0, COST)
    assert run.status == status and run.bound == math.inf and run.objective == 1.625


def test_validated_run_without_a_solution():
    run = validated_run(Status.TIME_LIMIT, None, math.nan, math.nan, COST, sense=MINIMIZE)
    assert run.consistent and math.isnan(run.objective) and run.bound == -math.inf


def test_offset_is_part_of_the_recomputed_objective():
    run = validated_run(Status.OPTIMAL, X0, 11.625, 11.625, COST, offset=10.0)
    assert run.consistent and run.objective == 11.625


def test_every_mip_start_is_handed_over_by_the_checked_run():
    # a start passed to HiGHS anywhere else would skip the check
    package = Path(__file__).resolve().parents[1] / "qdcopt"
    callers = sorted(str(f.relative_to(package)) for f in package.rglob("*.py")
                     if "setSolution" in f.read_text(encoding="utf-8"))
    assert callers == ["solvers/highs.py"]


def test_dropping_the_last_row_restores_the_model_and_its_optimum():
    # admission adds a tentative row and drops it when the LP becomes infeasible: the
    # model afterwards must be the one before, row blocks included
    from qdcopt.solvers.arrays import LinearSpec, solve_arrays
    from qdcopt.solvers.highs import SolverOptions, Status

    spec = LinearSpec(sense="max")
    x = spec.add_vars("x", [0, 1, 2], 0.0, 1.0, integer=False, cost=1.0)
    spec.row_block("cap")
    spec.add_row(x.tolist(), [1.0, 1.0, 1.0], -math.inf, 2.0)
    before = (list(spec.rows_i), list(spec.rows_j), list(spec.row_lb), list(spec.row_ub),
              {k: list(v) for k, v in spec.row_blocks.items()})
    spec.row_block("tentative")
    spec.add_row([0, 1, 2], [1.0, 1.0, 1.0], 3.0, 3.0)  # contradicts the cap
    assert solve_arrays(spec, SolverOptions(), relax=True).status == Status.INFEASIBLE
    spec.drop_last_row()
    after = (spec.rows_i, spec.rows_j, spec.row_lb, spec.row_ub,
             {k: v for k, v in spec.row_blocks.items() if v})
    assert after == before
    res = solve_arrays(spec, SolverOptions(), relax=True)
    assert res.status == Status.OPTIMAL and res.objective == pytest.approx(2.0)
