"""The family-D methods: a service instance's busiest interval → (schedule, SolveInfo).

* ``edf`` — earliest deadline first (:mod:`qdcopt.service.heuristics.edf`);
* ``milp`` — the time-indexed MILP, warm-started from EDF (:mod:`qdcopt.service.models.pga_milp`).

Both schedule the interval :func:`qdcopt.service.demand.jobs.snapshot_problem` builds
(every pair with a demand admitted at time 0).  ModEn-Hub instances have no schedule to
solve; they are run with :func:`qdcopt.service.simulation.simulate.simulate`.
"""

from __future__ import annotations

from typing import Any

from qdcopt.params import MethodSpec
from qdcopt.service.heuristics.edf import edf
from qdcopt.service.instance import interval_of
from qdcopt.service.interval import IntervalSchedule
from qdcopt.service.models.pga_milp import milp
from qdcopt.service.options import EdfParams, PgaMilpParams
from qdcopt.solvers.highs import SolveInfo


def method_edf(instance: Any, *, compiled: bool | None = None,
               **_common: Any) -> tuple[IntervalSchedule, SolveInfo]:
    """EDF on the instance's interval (the common solver options do not apply)."""
    return edf(interval_of(instance), compiled=compiled)


def method_milp(instance: Any, *, warm_start: bool = True, time_limit: float | None = 60.0,
                threads: int = 1, seed: int = 0, mip_gap: float = 1e-6,
                verbose: bool = False) -> tuple[IntervalSchedule, SolveInfo]:
    """The interval MILP on the instance's interval."""
    return milp(interval_of(instance), warm_start=warm_start, time_limit=time_limit,
                threads=threads, seed=seed, mip_gap=mip_gap, verbose=verbose)


SPECS = {spec.name: spec for spec in (
    MethodSpec("edf", method_edf, EdfParams,
               "earliest deadline first on the busiest interval (non-preemptive)"),
    MethodSpec("milp", method_milp, PgaMilpParams,
               "time-indexed MILP: most demands on track, warm-started from EDF"),
)}
"""Method name → its registration."""

METHODS = {name: spec.fn for name, spec in SPECS.items()}
"""Method name → function."""
