"""Family-A request-level methods by name: which EPR event serves which request, and when
the switch moves.  The job-level methods run one of them inside (their ``scheduler`` option),
so this registry sits below theirs (:mod:`qdcopt.datacenter.methods`).
"""

from __future__ import annotations

from qdcopt.datacenter.heuristics import HEURISTICS
from qdcopt.datacenter.switch.milp import MILP_METHODS

SCHEDULERS = {**HEURISTICS, **MILP_METHODS}
"""Request-level methods: the heuristics, then the switch MILP and its LP bound."""
