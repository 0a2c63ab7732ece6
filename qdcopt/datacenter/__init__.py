"""Family A: entanglement distribution in a quantum datacenter (star of QPUs, sources, switches).

Lives here: the data and its checks (instance, load, generate, presets, storage, plan), the
validator, export, the method registry, and ``FAMILY``; below, one folder per concern.
May import the shared modules (``qdcopt.*``, ``qdcopt.solvers``); never another family.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdcopt.datacenter.export import export_operator_files
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.load import load_datacenter
from qdcopt.datacenter.methods import JOB_METHODS, JOB_SPECS, METHODS, SPECS
from qdcopt.datacenter.plan import DatacenterPlan, plan_from_tables
from qdcopt.datacenter.schedulers import SCHEDULER_SPECS, SCHEDULERS
from qdcopt.datacenter.validate import validate
from qdcopt.families import Family


def _load(path: Path, document: dict[str, Any]) -> DatacenterInstance:
    return load_datacenter(path, document)


def _job_methods(instance: DatacenterInstance) -> tuple[str, ...]:
    return tuple(JOB_METHODS) if instance.job_specs else ()


FAMILY = Family(
    name="datacenter",
    load=_load,
    methods=METHODS,
    compare_methods=("greedy", "edf", "scoring", "milp", "greedy-retry"),
    validate=validate,
    plan_from_tables=plan_from_tables,
    exact_methods=("milp", "cpsat"),
    sense="max",
    export=export_operator_files,
    more_methods=_job_methods,
    specs=SPECS,
)

__all__ = ["FAMILY", "JOB_METHODS", "JOB_SPECS", "METHODS", "SCHEDULERS", "SCHEDULER_SPECS",
           "SPECS", "DatacenterInstance", "DatacenterPlan",
           "Qpu", "Requests", "Source",
           "load_datacenter", "validate"]
