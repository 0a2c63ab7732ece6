"""Every family-A method by name, as the family entry point hands them to the shared flow.

Request-level methods come from :mod:`qdcopt.datacenter.schedulers`; job-level methods
(which jobs run, where and when) are registered here.  A job-level method takes its
parameter object and the options forwarded to its scheduler,
``fn(instance, params, scheduler_options)``; call every method through
``SPECS[name](instance, **options)``, which checks the options (the scheduler's too).
"""

from __future__ import annotations

from qdcopt.datacenter.jobs.admission import admit_lp, admit_utilisation
from qdcopt.datacenter.jobs.pipeline import (
    pipeline_parallel,
    pipeline_retry,
    pipeline_sequential,
)
from qdcopt.datacenter.jobs.selection import select_milp
from qdcopt.datacenter.options import (
    AdmitLpParams,
    AdmitUtilisationParams,
    PipelineParams,
    PipelineRetryParams,
    SelectMilpParams,
)
from qdcopt.datacenter.schedulers import SCHEDULER_SPECS
from qdcopt.params import MethodSpec


def _scheduler_specs() -> dict[str, MethodSpec]:
    # the job-level methods pass options they do not declare on to their scheduler
    return SCHEDULER_SPECS


JOB_SPECS = {spec.name: spec for spec in (
    MethodSpec("select-milp", select_milp, SelectMilpParams,
               "job-selection MILP, then the scheduler at event level", _scheduler_specs,
               typed=True),
    MethodSpec("pipeline-sequential", pipeline_sequential, PipelineParams,
               "paper-000 pipeline, one job at a time on the whole datacenter",
               _scheduler_specs, typed=True),
    MethodSpec("pipeline-parallel", pipeline_parallel, PipelineParams,
               "paper-000 pipeline, jobs in parallel on free QPUs", _scheduler_specs,
               typed=True),
    MethodSpec("pipeline-retry", pipeline_retry, PipelineRetryParams,
               "paper-000 pipeline with Phase E retries of failed requests",
               _scheduler_specs, typed=True),
    MethodSpec("admit-utilisation", admit_utilisation, AdmitUtilisationParams,
               "first-come first-served admission under a utilisation limit",
               _scheduler_specs, typed=True),
    MethodSpec("admit-lp", admit_lp, AdmitLpParams,
               "first-come first-served admission while the selection LP stays feasible",
               _scheduler_specs, typed=True),
)}
"""Job-level methods with their parameter classes: which jobs run, where and when (they
need an instance with [[jobs]])."""

JOB_METHODS = JOB_SPECS
"""Job-level method name → its registration, callable as
``JOB_METHODS[name](instance, **options)``."""

SPECS = {**SCHEDULER_SPECS, **JOB_SPECS}
"""Method name → its registration (function, parameter class, summary)."""

METHODS = SPECS
"""Every method of the family, request-level first, callable as
``METHODS[name](instance, **options)`` (options checked, then the method gets its parameter
object)."""
