"""Family D — hub orchestration and demand service over time (papers 001, 002).

``FAMILY`` is what the shared flow uses for instance files with ``kind = "service"``:
either a ModEn-Hub study (``[hub]``) or a demand service on a star (``[network]``,
``[demands]``, ``[controller]``).  Methods schedule one interval of PGAs (``edf``,
``milp``); :func:`simulate` runs an instance over time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdcopt.families import Family
from qdcopt.report import Report
from qdcopt.service.instance import HubInstance, ServiceInstance, interval_of, load_service
from qdcopt.service.interval import IntervalProblem, IntervalSchedule, schedule_from_tables
from qdcopt.service.methods import METHODS, SPECS
from qdcopt.service.simulation.simulate import simulate
from qdcopt.service.validate import validate_schedule


def _load(path: Path, document: dict[str, Any]) -> HubInstance | ServiceInstance:
    return load_service(path, document)


def validate(instance: Any, plan: IntervalSchedule) -> Report:
    """Validate an interval schedule against the interval its instance defines."""
    return validate_schedule(interval_of(instance), plan)


FAMILY = Family(
    name="service",
    load=_load,
    methods=METHODS,
    compare_methods=("edf", "milp"),
    validate=validate,
    plan_from_tables=schedule_from_tables,
    exact_methods=("milp",),
    sense="max",
    specs=SPECS,
    simulate=simulate,
)

__all__ = ["FAMILY", "HubInstance", "IntervalProblem", "IntervalSchedule", "ServiceInstance",
           "load_service", "simulate", "validate", "validate_schedule"]
