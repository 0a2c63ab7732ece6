"""Family B — network swapping (paper 003): hyperflow LP, swapping trees, validator.

Lives here: the data (instance, waxman, physics, plan), the validator, export, the tree
methods, the registry (methods) and ``lp/``. May import the shared modules; never another
family. ``FAMILY`` is what the shared flow (``qdcopt.load_instance``, ``solve``, ``validate``,
``compare`` and the command line) uses for instance files with ``kind = "network"``.
"""

from __future__ import annotations

from qdcopt.families import Family
from qdcopt.network.export import export_plan
from qdcopt.network.instance import NetworkInstance, load_network
from qdcopt.network.methods import ALIASES, METHODS, SPECS
from qdcopt.network.plan import NetworkPlan, plan_from_tables
from qdcopt.network.runtime import simulate
from qdcopt.network.topology.graphs import load_graph_file, network_instance_from_graph
from qdcopt.network.topology.repeaters import insert_repeaters, load_network_file
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.network.validate import validate

COMPARE_METHODS = ("lp", "iterative", "greedy")


def compare_for(instance: NetworkInstance) -> tuple[str, ...]:
    """``compare``'s default methods for ``instance``: only ``lp`` and ``iterative`` plan
    GHZ requests (``greedy`` refuses them), so an instance with them compares those two."""
    return ("lp", "iterative") if instance.ghz else COMPARE_METHODS


FAMILY = Family(
    name="network",
    load=load_network_file,
    methods=METHODS,
    compare_methods=COMPARE_METHODS,
    compare_for=compare_for,
    validate=validate,
    plan_from_tables=plan_from_tables,
    exact_methods=("lp",),
    sense="max",
    export=export_plan,
    specs=SPECS,
    aliases=ALIASES,
    simulate=simulate,
)

__all__ = ["FAMILY", "NetworkInstance", "NetworkPlan", "insert_repeaters", "load_graph_file",
           "load_network", "load_network_file", "network_instance_from_graph",
           "validate", "waxman_instance"]
