"""The options of every family-C method: one frozen parameter class per method.

The defaults live here alone: each method receives its parameter object.  See
:mod:`qdcopt.params` for how options are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qdcopt.linklayer.trace import ARRIVALS
from qdcopt.params import MethodParams, option


@dataclass(frozen=True)
class TraceParams(MethodParams):
    """Options of the protocols and the greedy scheduler: which realised trace they replay
    (default: the instance's ``[trace]`` table)."""

    trace_duration: float | None = option(None, "seconds of arrivals in the realised trace",
                                          gt=0)
    trace_seed: int | None = option(None, "seed of the realised trace", ge=0)
    trace_arrivals: str | None = option(None, "pacing of each edge's next request",
                                        choices=ARRIVALS)


@dataclass(frozen=True)
class MatchingMilpParams(TraceParams):
    """Options of ``milp`` (the matching MILP on the realised trace)."""

    slot: float | None = option(None, "slot length in seconds of the slot forms (default: "
                                "the trace's)", gt=0)
    window: int = option(250, "requests per window of the windowed solve", ge=1)
    form: str = option("precedence", "formulation: continuous-time precedence MILP "
                       "(precedence, exact), or the slot model in start (x) or cumulative "
                       "(z) variables", choices=("precedence", "x", "z"))
    branch_nodes: int = option(50_000, "search nodes of the branch and bound over active "
                               "schedules run before the precedence MILP in each window "
                               "(0: the MILP alone)", ge=0)

    USES: ClassVar[tuple[str, ...]] = ("time_limit", "threads", "seed", "mip_gap", "verbose")
