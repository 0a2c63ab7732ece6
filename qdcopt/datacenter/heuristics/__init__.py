"""Family-A request-level heuristics: greedy, EDF, scoring and the engine they share.

Lives here: one module per heuristic, ``dispatch`` (the event engine) and ``_kernels``
(their compiled loops). May import the family's data (instance, plan); no other method.
"""

from __future__ import annotations

from qdcopt.datacenter.heuristics.edf import edf
from qdcopt.datacenter.heuristics.greedy import greedy, greedy_retry
from qdcopt.datacenter.heuristics.scoring import scoring

HEURISTICS = {
    "greedy": greedy,
    "greedy-retry": greedy_retry,
    "edf": edf,
    "scoring": scoring,
}
"""Request-level heuristics by name; the switch MILP takes its warm start from the best."""
