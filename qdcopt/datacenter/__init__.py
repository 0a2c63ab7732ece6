"""Family A: entanglement distribution in a quantum datacenter (star of QPUs, sources, switches)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdcopt.datacenter.edf import edf
from qdcopt.datacenter.export import export_operator_files
from qdcopt.datacenter.greedy import greedy, greedy_retry
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.load import load_datacenter
from qdcopt.datacenter.plan import DatacenterPlan, plan_from_tables
from qdcopt.datacenter.scoring import scoring
from qdcopt.datacenter.switch_milp import switch_lp_bound, switch_milp
from qdcopt.datacenter.validate import validate
from qdcopt.families import Family


def _load(path: Path, document: dict[str, Any]) -> DatacenterInstance:
    return load_datacenter(path, document)


METHODS = {
    "greedy": greedy,
    "greedy-retry": greedy_retry,
    "edf": edf,
    "scoring": scoring,
    "milp": switch_milp,
    "milp-lp": switch_lp_bound,
}

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
)

__all__ = ["FAMILY", "DatacenterInstance", "DatacenterPlan", "Qpu", "Requests", "Source",
           "load_datacenter", "validate"]
