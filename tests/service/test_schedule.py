"""Interval scheduling: EDF, the MILP against brute force, the validator's rules."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdcopt.service.generate import periodic_problem, random_problem
from qdcopt.service.heuristics.edf import edf
from qdcopt.service.interval import IntervalProblem, IntervalSchedule
from qdcopt.service.models.pga_milp import milp
from qdcopt.service.validate import validate_schedule


def _tiny(seed: int):
    """Two resources of capacity 1 and a shared one of capacity 1: three demands."""
    rng = np.random.default_rng(seed)
    demands = []
    for i in range(3):
        period = float(rng.integers(2, 5))
        demands.append({"id": f"d{i}", "resources": [i % 2, 2], "period": period,
                        "duration": int(rng.integers(1, 3)) if period >= 2 else 1,
                        "phase": float(rng.integers(0, 2))})
    return periodic_problem(6, [1, 1, 1], demands)


def _brute_best(problem) -> int:
    """Most demands on track over every assignment of a start (or none) to every job."""
    choices = []
    for j in range(problem.n_jobs):
        lo = max(problem.job_release[j], problem.demand_start[problem.job_demand[j]], 0)
        hi = min(problem.job_deadline[j], problem.n_slots) - problem.job_duration[j]
        choices.append([-1, *range(lo, hi + 1)])
    best = 0
    for starts in itertools.product(*choices):
        plan = IntervalSchedule.from_starts(problem, np.array(starts, dtype=np.int64), "x")
        report = validate_schedule(problem, plan)
        if report.ok:
            best = max(best, int(report.objective))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_milp_matches_brute_force_on_tiny_intervals(seed):
    problem = _tiny(seed)
    assert problem.n_jobs <= 9
    plan, info = milp(problem, time_limit=30)
    report = validate_schedule(problem, plan)
    assert report.ok, report.violations
    best = _brute_best(problem)
    assert report.objective == best == info.objective
    assert info.status == "optimal" and info.bound == best
    edf_plan, _ = edf(problem)
    assert validate_schedule(problem, edf_plan).objective <= best


def test_milp_beats_edf_where_edf_spreads_misses():
    # one resource, two slots; A needs slot 0, C slot 1, B two PGAs in [0, 2).  EDF serves
    # A, then the earlier-released B (a PGA B cannot use alone) instead of C.
    problem = IntervalProblem(
        n_slots=2, slot_seconds=1.0, resource_names=("r",), capacity=np.array([1]),
        demand_ids=("A", "B", "C"), demand_resources=((0,), (0,), (0,)),
        demand_use=((1,), (1,), (1,)), demand_start=np.array([0, 0, 0]),
        min_pgas=np.array([1, 2, 1]), job_demand=np.array([0, 1, 1, 2]),
        job_release=np.array([0, 0, 0, 1]), job_deadline=np.array([1, 2, 2, 2]),
        job_duration=np.array([1, 1, 1, 1]))
    e, _ = edf(problem)
    m, info = milp(problem, time_limit=30)
    assert validate_schedule(problem, e).objective == 1
    assert validate_schedule(problem, m).objective == 2 == info.objective == info.bound


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=6), st.integers(1, 6),
       st.data())
def test_edf_meets_every_deadline_when_utilisation_at_most_one(periods, cycles, data):
    """Unit PGAs with integer periods on one resource: Σ 1/P ≤ 1 ⇒ no deadline missed."""
    if sum(1.0 / p for p in periods) > 1.0 + 1e-12:
        periods = sorted(periods)
        while periods and sum(1.0 / p for p in periods) > 1.0 + 1e-12:
            periods.pop(0)
    if not periods:
        return
    phases = [data.draw(st.integers(0, p - 1)) for p in periods]
    horizon = cycles * int(np.lcm.reduce(periods)) + max(phases)
    demands = [{"resources": [0], "period": float(p), "duration": 1, "phase": float(ph)}
               for p, ph in zip(periods, phases, strict=True)]
    problem = periodic_problem(horizon, [1], demands)
    plan, _ = edf(problem)
    report = validate_schedule(problem, plan)
    assert report.ok
    assert len(plan.job) == problem.n_jobs  # every PGA placed in its window


def test_edf_and_milp_schedules_validate_on_a_random_interval():
    problem = random_problem(300, seed=4)
    for method in (edf, milp):
        plan, info = method(problem)
        report = validate_schedule(problem, plan)
        assert report.ok
        assert report.objective == info.objective


# -- one broken schedule per rule -------------------------------------------------------

def _valid():
    demands = [{"id": "a", "resources": [0, 2], "period": 3.0, "duration": 2, "start": 0},
               {"id": "b", "resources": [1, 2], "use": [1, 1], "period": 3.0, "duration": 1,
                "phase": 1.0}]
    problem = periodic_problem(6, [1, 1, 2], demands)
    plan, _ = edf(problem)
    assert validate_schedule(problem, plan).ok
    return problem, plan


def _codes(problem, plan):
    return validate_schedule(problem, plan).codes()


def test_rule_unknown_job():
    problem, plan = _valid()
    bad = replace(plan, job=np.r_[plan.job[:-1], 99])
    assert "D1-UNKNOWN-JOB" in _codes(problem, bad)


def test_rule_duplicate():
    problem, plan = _valid()
    bad = replace(plan, job=np.r_[plan.job, plan.job[0]], start=np.r_[plan.start, plan.start[0]],
                  duration=np.r_[plan.duration, plan.duration[0]])
    assert "D1-DUPLICATE" in _codes(problem, bad)


def test_rule_resource_double_booked():
    problem, _plan = _valid()
    # shrink the shared resource to capacity 1: a and b overlap on it
    tight = replace(problem, capacity=np.array([1, 1, 1]))
    starts = np.array([0, 3, 1])  # a: [0,2) [3,5); b: [1,2)
    bad = IntervalSchedule.from_starts(tight, starts, "x")
    assert _codes(tight, bad) == {"D2-RESOURCE"}


def test_rule_outside_interval():
    problem, plan = _valid()
    bad = replace(plan, start=np.r_[plan.start[:-1], problem.n_slots - 0])
    assert "D3-INTERVAL" in _codes(problem, bad)


def test_rule_window():
    problem, plan = _valid()
    j = int(plan.job[0])
    late = int(problem.job_deadline[j]) - int(problem.job_duration[j]) + 1
    bad = replace(plan, start=np.r_[late, plan.start[1:]])
    assert "D4-WINDOW" in _codes(problem, bad)


def test_rule_before_admission():
    problem, plan = _valid()
    later = replace(problem, demand_start=np.array([1, 1]))
    assert "D5-ADMISSION" in _codes(later, replace(plan, problem=later))


def test_rule_duration():
    problem, plan = _valid()
    bad = replace(plan, duration=np.r_[plan.duration[0] + 1, plan.duration[1:]])
    assert "D6-DURATION" in _codes(problem, bad)


@pytest.mark.parametrize("seed", range(3))
def test_compiled_edf_gives_the_same_schedule(seed):
    from qdcopt.service.heuristics.edf import edf_starts

    problem = random_problem(400, seed=seed, load=1.3, duration=2)
    assert np.array_equal(edf_starts(problem, compiled=False), edf_starts(problem, compiled=True))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.5, 1.6), st.integers(1, 3))
def test_edf_schedules_always_validate(seed, load, duration):
    """Whatever the load, EDF never breaks a rule, and the compiled loop agrees."""
    from qdcopt.service.heuristics.edf import edf_starts

    problem = random_problem(120, seed=seed, load=load, duration=duration)
    plan, info = edf(problem)
    report = validate_schedule(problem, plan)
    assert report.ok, report.violations
    assert report.objective == info.objective
    assert np.array_equal(edf_starts(problem, compiled=True), plan_starts(plan, problem))


def plan_starts(plan, problem):
    out = np.full(problem.n_jobs, -1, dtype=np.int64)
    out[plan.job] = plan.start
    return out
