"""Family A: entanglement distribution in a quantum datacenter (star of QPUs, sources, switches)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdcopt.datacenter.export import export_operator_files
from qdcopt.datacenter.heuristics.edf import edf
from qdcopt.datacenter.heuristics.greedy import greedy, greedy_retry
from qdcopt.datacenter.heuristics.scoring import scoring
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.jobs.admission import admit_lp, admit_utilisation
from qdcopt.datacenter.jobs.pipeline import pipeline_parallel, pipeline_retry, pipeline_sequential
from qdcopt.datacenter.jobs.selection import select_milp
from qdcopt.datacenter.load import load_datacenter
from qdcopt.datacenter.plan import DatacenterPlan, plan_from_tables
from qdcopt.datacenter.switch.milp import switch_lp_bound, switch_milp
from qdcopt.datacenter.validate import validate
from qdcopt.families import Family


def _load(path: Path, document: dict[str, Any]) -> DatacenterInstance:
    return load_datacenter(path, document)


SCHEDULERS = {
    "greedy": greedy,
    "greedy-retry": greedy_retry,
    "edf": edf,
    "scoring": scoring,
    "milp": switch_milp,
    "milp-lp": switch_lp_bound,
}
"""Request-level methods: which EPR event serves which request, and the switch timeline."""

JOB_METHODS = {
    "select-milp": select_milp,
    "pipeline-sequential": pipeline_sequential,
    "pipeline-parallel": pipeline_parallel,
    "pipeline-retry": pipeline_retry,
    "admit-utilisation": admit_utilisation,
    "admit-lp": admit_lp,
}
"""Job-level methods: which jobs run, where and when (they need an instance with [[jobs]])."""

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
)

__all__ = ["FAMILY", "JOB_METHODS", "METHODS", "SCHEDULERS", "DatacenterInstance", "DatacenterPlan",
           "Qpu", "Requests", "Source",
           "load_datacenter", "validate"]
