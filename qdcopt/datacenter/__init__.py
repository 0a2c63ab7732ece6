"""Family A: entanglement distribution in a quantum datacenter (star of QPUs, sources, switches)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdcopt.datacenter.admission import admit_lp, admit_utilisation
from qdcopt.datacenter.edf import edf
from qdcopt.datacenter.export import export_operator_files
from qdcopt.datacenter.greedy import greedy, greedy_retry
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.load import load_datacenter
from qdcopt.datacenter.options import (
    AdmitLpParams,
    AdmitUtilisationParams,
    EdfParams,
    GreedyParams,
    GreedyRetryParams,
    MilpLpParams,
    MilpParams,
    PipelineParams,
    PipelineRetryParams,
    ScoringParams,
    SelectMilpParams,
)
from qdcopt.datacenter.pipeline import pipeline_parallel, pipeline_retry, pipeline_sequential
from qdcopt.datacenter.plan import DatacenterPlan, plan_from_tables
from qdcopt.datacenter.scoring import scoring
from qdcopt.datacenter.selection_milp import select_milp
from qdcopt.datacenter.switch_milp import switch_lp_bound, switch_milp
from qdcopt.datacenter.validate import validate
from qdcopt.families import Family
from qdcopt.params import MethodSpec


def _load(path: Path, document: dict[str, Any]) -> DatacenterInstance:
    return load_datacenter(path, document)


def _scheduler_specs() -> dict[str, MethodSpec]:
    return SCHEDULER_SPECS


SCHEDULER_SPECS = {spec.name: spec for spec in (
    MethodSpec("greedy", greedy, GreedyParams,
               "paper-000 greedy in need-time order (Phase E retries on request)"),
    MethodSpec("greedy-retry", greedy_retry, GreedyRetryParams,
               "the greedy with Phase E retries of rejected requests"),
    MethodSpec("edf", edf, EdfParams, "earliest-deadline-first dispatching of EPR events"),
    MethodSpec("scoring", scoring, ScoringParams, "score-based dispatching"),
    MethodSpec("milp", switch_milp, MilpParams,
               "slot MILP of switch assignment: most requests, proven bound"),
    MethodSpec("milp-lp", switch_lp_bound, MilpLpParams,
               "best heuristic plan with the slot model's LP-relaxation bound"),
)}
"""Request-level methods: which EPR event serves which request, and the switch timeline."""

JOB_SPECS = {spec.name: spec for spec in (
    MethodSpec("select-milp", select_milp, SelectMilpParams,
               "job-selection MILP, then the scheduler at event level", _scheduler_specs),
    MethodSpec("pipeline-sequential", pipeline_sequential, PipelineParams,
               "paper-000 pipeline, one job at a time on the whole datacenter",
               _scheduler_specs),
    MethodSpec("pipeline-parallel", pipeline_parallel, PipelineParams,
               "paper-000 pipeline, jobs in parallel on free QPUs", _scheduler_specs),
    MethodSpec("pipeline-retry", pipeline_retry, PipelineRetryParams,
               "paper-000 pipeline with Phase E retries of failed requests",
               _scheduler_specs),
    MethodSpec("admit-utilisation", admit_utilisation, AdmitUtilisationParams,
               "first-come first-served admission under a utilisation limit",
               _scheduler_specs),
    MethodSpec("admit-lp", admit_lp, AdmitLpParams,
               "first-come first-served admission while the selection LP stays feasible",
               _scheduler_specs),
)}
"""Job-level methods: which jobs run, where and when (they need an instance with [[jobs]])."""

SPECS = {**SCHEDULER_SPECS, **JOB_SPECS}
"""Method name → its registration (function, parameter class, summary)."""

SCHEDULERS = {name: spec.fn for name, spec in SCHEDULER_SPECS.items()}
"""Request-level method name → function."""

JOB_METHODS = {name: spec.fn for name, spec in JOB_SPECS.items()}
"""Job-level method name → function."""

METHODS = {**SCHEDULERS, **JOB_METHODS}


def _job_methods(instance: DatacenterInstance) -> tuple[str, ...]:
    return tuple(JOB_METHODS) if instance.job_specs else ()


FAMILY = Family(
    name="datacenter",
    load=_load,
    methods=METHODS,
    compare_methods=("greedy", "edf", "scoring", "milp", "greedy-retry"),
    validate=validate,
    plan_from_tables=plan_from_tables,
    exact_methods=("milp",),
    sense="max",
    export=export_operator_files,
    more_methods=_job_methods,
    specs=SPECS,
)

__all__ = ["FAMILY", "JOB_METHODS", "JOB_SPECS", "METHODS", "SCHEDULERS", "SCHEDULER_SPECS",
           "SPECS", "DatacenterInstance", "DatacenterPlan",
           "Qpu", "Requests", "Source",
           "load_datacenter", "validate"]
