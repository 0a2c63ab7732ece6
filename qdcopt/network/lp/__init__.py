"""Family-B hyperflow LP: the hypergraph, its LP on highspy and pyomo, pricing, decomposition.

Lives here: ``hypergraph``, ``hyperflow``, ``hyperflow_pyomo``, ``hyperpaths``, ``pricing``,
``decompose``, ``rows`` (what the statements share). May import the family's data
(instance, physics, plan), ``trees`` and solvers.
"""
