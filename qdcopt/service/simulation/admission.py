"""Admission control (paper 002 §5.1): the utilisation rule and a schedule-aware rule.

* **utilisation** — admit while, on every resource ``r``, ``U_r = Σ_τ E_τ R_τ u_τr / C_r``
  stays at most ``limit`` (``u`` units of ``r`` held by a PGA of ``τ``, ``C_r`` its
  capacity; for a one-qubit resource this is the paper's ``Σ E_τ R_τ``), and the PGAs
  per interval stay within the scheduler's budget (the paper's second rule: 1 500);
* **schedule** — admit only if the scheduler can still keep every admitted demand and
  the candidate on track (every PGA due in an interval placed) in the next
  ``lookahead`` intervals: EDF is run on them and must keep all on track.  On one
  bottleneck resource with PGAs of one slot (the star of Fig. 4.2) EDF is exact, so the
  test is exactly "the schedule can still meet every admitted demand's rate"; elsewhere
  it is a sufficient test.  Optionally (``reach_target``) a demand is also refused when
  the PGAs its rate leaves before expiry give ``min_packets`` with probability below
  the target.  Both tests are polynomial (paper 002 §5.1 asks for a fast feasibility
  test that reflects the scheduler).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from qdcopt.service.demand.demands import Demand, reach_probability

RULES = ("utilisation", "schedule")


def utilisation(demands: Sequence[Demand], use: Callable[[Demand], dict[int, int]],
                pga_seconds: Callable[[Demand], float], capacity: np.ndarray) -> np.ndarray:
    """``U_r`` of every resource for the given demands."""
    u = np.zeros(len(capacity))
    for d in demands:
        for r, k in use(d).items():
            u[r] += pga_seconds(d) * d.rate * k
    return u / capacity


def utilisation_ok(admitted: Sequence[Demand], candidate: Demand,
                   use: Callable[[Demand], dict[int, int]],
                   pga_seconds: Callable[[Demand], float], capacity: np.ndarray, limit: float,
                   interval_seconds: float, max_pgas: int | None) -> bool:
    """The utilisation rule for ``candidate`` given the admitted demands."""
    u = utilisation([*admitted, candidate], use, pga_seconds, capacity)
    if np.any(u > limit + 1e-12):
        return False
    if max_pgas is not None:
        per_interval = sum(d.rate for d in [*admitted, candidate]) * interval_seconds
        if per_interval > max_pgas:
            return False
    return True


def can_reach(candidate: Demand, p_success: float, target: float) -> bool:
    """The reach test: PGAs at the demand's rate before expiry reach minimal service w.p. ≥
    ``target``."""
    assert candidate.start is not None
    pgas = int(np.floor(candidate.rate * max(candidate.expires - candidate.start, 0.0) + 1e-9))
    return reach_probability(candidate.cls.min_packets - candidate.packets, pgas,
                             p_success) >= target


