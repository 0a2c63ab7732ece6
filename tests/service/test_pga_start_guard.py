"""The interval MILP started from EDF against brute force on random small intervals.

HiGHS 1.16, started from the EDF schedule, reports on some of these intervals the
objective (and, on some, a dual bound) of a better schedule while handing back the start
itself: the MILP then returned the EDF schedule with status ``optimal`` and a bound one
demand above it.  Every interval here is small enough to solve by enumeration, so each
of the MILP's claims is checked: its plan validates, its validated objective is the
optimum and, being ``optimal``, it meets its bound.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qdcopt.service.generate import periodic_problem
from qdcopt.service.interval import IntervalProblem, IntervalSchedule
from qdcopt.service.models.pga_milp import milp
from qdcopt.service.validate import validate_schedule

SEEDS = range(300)

STAR_SEEDS_THAT_TRIPPED_HIGHS = (367, 843, 1231)
"""Star intervals beyond :data:`SEEDS` on which the started solve misreported (at 843 the
MILP returned one demand on track of two; at 367 and 1231 a bound above the optimum)."""


def line_problem(seed: int) -> IntervalProblem:
    """A random interval on the line a – b – c: demands a-c (both qubits of b, PGAs of 1–3
    slots), a-b and b-c (one qubit each end, 1–2 slots); periods up to two slots longer
    than the PGA, phases 0 or 1, 5–8 slots."""
    rng = np.random.default_rng(seed)
    n_slots = int(rng.integers(5, 9))
    demands = []
    for i, (res, use, longest) in enumerate((([0, 1, 2], [1, 2, 1], 3),
                                             ([0, 1], [1, 1], 2), ([1, 2], [1, 1], 2))):
        dur = int(rng.integers(1, longest + 1))
        demands.append({"id": f"d{i}", "resources": res, "use": use,
                        "period": float(rng.integers(dur, dur + 3)), "duration": dur,
                        "phase": float(rng.integers(0, 2))})
    return periodic_problem(n_slots, [1, 2, 1], demands)


def star_problem(seed: int) -> IntervalProblem:
    """A random interval on a star: 3–4 end nodes of one qubit, a junction of 2–4, 3–4
    demands between random end nodes (two junction qubits each), PGAs of 1–2 slots,
    4–7 slots."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(3, 5))
    n_slots = int(rng.integers(4, 8))
    demands = []
    for i in range(int(rng.integers(3, 5))):
        a, b = (int(v) for v in rng.choice(m, size=2, replace=False))
        dur = int(rng.integers(1, 3))
        demands.append({"id": f"d{i}", "resources": [a, b, m], "use": [1, 1, 2],
                        "period": float(rng.integers(dur, dur + 3)), "duration": dur,
                        "phase": float(rng.integers(0, 2))})
    return periodic_problem(n_slots, [1] * m + [int(rng.integers(2, 5))], demands)


def _place(problem: IntervalProblem, jobs: list[int]) -> np.ndarray | None:
    """Starts that place every job of ``jobs`` within capacity (depth-first), or None."""
    load = np.zeros((len(problem.capacity), problem.n_slots + 1), dtype=np.int64)
    starts = np.full(problem.n_jobs, -1, dtype=np.int64)

    def place(i: int) -> bool:
        if i == len(jobs):
            return True
        j = jobs[i]
        d = problem.job_demand[j]
        lo = max(problem.job_release[j], problem.demand_start[d], 0)
        hi = min(problem.job_deadline[j], problem.n_slots) - problem.job_duration[j]
        held = list(zip(problem.demand_resources[d], problem.demand_use[d], strict=True))
        for s in range(lo, hi + 1):
            e = s + problem.job_duration[j]
            if all((load[r, s:e] + u <= problem.capacity[r]).all() for r, u in held):
                for r, u in held:
                    load[r, s:e] += u
                starts[j] = s
                if place(i + 1):
                    return True
                for r, u in held:
                    load[r, s:e] -= u
        starts[j] = -1
        return False

    return starts if place(0) else None


def brute_force(problem: IntervalProblem) -> tuple[int, np.ndarray]:
    """Most demands on track, and a schedule reaching it: the largest set of demands
    whose jobs can all be placed (every demand here needs all of its jobs)."""
    jobs_of = [np.flatnonzero(problem.job_demand == d).tolist()
               for d in range(problem.n_demands)]
    assert all(problem.min_pgas[d] == len(jobs_of[d]) for d in range(problem.n_demands))
    for k in range(problem.n_demands, 0, -1):
        for subset in itertools.combinations(range(problem.n_demands), k):
            starts = _place(problem, [j for d in subset for j in jobs_of[d]])
            if starts is not None:
                return k, starts
    return 0, np.full(problem.n_jobs, -1, dtype=np.int64)


def _wrong_claims(problem: IntervalProblem) -> list[str]:
    """What the MILP gets wrong on ``problem`` (empty when every claim holds)."""
    best, starts = brute_force(problem)
    witness = validate_schedule(problem, IntervalSchedule.from_starts(problem, starts, "x"))
    assert witness.ok and witness.objective == best  # the enumeration itself is right
    plan, info = milp(problem, time_limit=30)
    report = validate_schedule(problem, plan)
    wrong = []
    if not report.ok:
        wrong.append(f"plan invalid: {sorted(report.codes())}")
    if report.objective != best:
        wrong.append(f"validated objective {report.objective:g}, optimum {best}")
    if info.objective != report.objective:
        wrong.append(f"claims {info.objective:g}, validated {report.objective:g}")
    if info.status == "optimal" and info.bound != report.objective:
        wrong.append(f"status optimal with objective {report.objective:g} and bound "
                     f"{info.bound:g}")
    if info.bound < best:
        wrong.append(f"bound {info.bound:g} below the optimum {best}")
    return wrong


@pytest.mark.parametrize("shape", ["line", "star"])
def test_milp_claims_hold_on_random_small_intervals(shape):
    make = line_problem if shape == "line" else star_problem
    failures = {seed: w for seed in SEEDS if (w := _wrong_claims(make(seed)))}
    assert not failures, f"{len(failures)} of {len(SEEDS)} {shape} intervals: {failures}"


@pytest.mark.parametrize("seed", STAR_SEEDS_THAT_TRIPPED_HIGHS)
def test_milp_claims_hold_where_the_started_solve_misreported(seed):
    assert _wrong_claims(star_problem(seed)) == []


def test_a_rejected_start_is_recorded():
    # line seed 130: HiGHS 1.16 reports 2 demands on track (+ tie-break) from the EDF
    # start of 1 and returns that start; the run is discarded and solved without it
    _, info = milp(line_problem(130), time_limit=30)
    assert info.objective == info.bound == 2 and info.status == "optimal"
    assert "start_rejected" in info.extra
