"""Family C — the quantum link layer (paper 004): DQP and ESP against the offline optimum.

``FAMILY`` is what the shared flow (``qdcopt.load_instance``, ``solve``, ``validate``,
``compare`` and the command line) uses for instance files with ``kind = "linklayer"``;
``FAMILY.simulate`` runs a protocol on the paper's closed-loop traffic over
several seeds (:func:`qdcopt.linklayer.simulation.simulate.simulate`).
"""

from __future__ import annotations

from qdcopt.families import Family
from qdcopt.linklayer.instance import LinkInstance, build_instance, load_linklayer
from qdcopt.linklayer.methods import METHODS, SPECS
from qdcopt.linklayer.plan import LinkPlan, plan_from_tables
from qdcopt.linklayer.simulation.simulate import ProtocolRuns, simulate
from qdcopt.linklayer.validate import validate

FAMILY = Family(
    name="linklayer",
    load=load_linklayer,
    methods=METHODS,
    specs=SPECS,
    compare_methods=("dqp", "esp", "greedy-matching", "milp"),
    validate=validate,
    plan_from_tables=plan_from_tables,
    exact_methods=("milp",),
    sense="min",
    simulate=simulate,
)

__all__ = ["FAMILY", "LinkInstance", "LinkPlan", "ProtocolRuns", "build_instance",
           "load_linklayer", "simulate", "validate"]
