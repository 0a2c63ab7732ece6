"""The family-D methods: a service instance's busiest interval → (schedule, SolveInfo).

* ``edf`` — earliest deadline first (:mod:`qdcopt.service.heuristics.edf`);
* ``milp`` — the time-indexed MILP, warm-started from EDF (:mod:`qdcopt.service.models.pga_milp`).

Both schedule the interval :func:`qdcopt.service.demand.jobs.snapshot_problem` builds
(every pair with a demand admitted at time 0).  ModEn-Hub instances have no schedule to
solve; they are run with :func:`qdcopt.service.simulation.simulate.simulate`.  Each method
takes its parameter object, ``fn(instance, params)`` (:mod:`qdcopt.service.options`); call
them through ``SPECS[name](instance, **options)``, which checks the options first.
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


def method_edf(instance: Any, params: EdfParams) -> tuple[IntervalSchedule, SolveInfo]:
    """EDF on the instance's interval (the common solver options do not apply)."""
    return edf(interval_of(instance), compiled=params.compiled)


def method_milp(instance: Any, params: PgaMilpParams) -> tuple[IntervalSchedule, SolveInfo]:
    """The interval MILP on the instance's interval."""
    return milp(interval_of(instance), warm_start=params.warm_start,
                time_limit=params.time_limit, threads=params.threads, seed=params.seed,
                mip_gap=params.mip_gap, verbose=params.verbose)


SPECS = {spec.name: spec for spec in (
    MethodSpec("edf", method_edf, EdfParams,
               "earliest deadline first on the busiest interval (non-preemptive)", typed=True),
    MethodSpec("milp", method_milp, PgaMilpParams,
               "time-indexed MILP: most demands on track, warm-started from EDF", typed=True),
)}
"""Method name → its registration."""

METHODS = SPECS
"""Method name → its registration, callable as ``METHODS[name](instance, **options)``
(options checked, then the method gets its parameter object)."""
