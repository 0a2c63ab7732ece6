"""Family-A request-level heuristics: greedy, EDF, scoring and the engine they share.

Lives here: one module per heuristic, ``dispatch`` (the event engine) and ``_kernels``
(their compiled loops). May import the family's data (instance, plan); no other method.
"""
