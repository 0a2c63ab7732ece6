"""A family-C plan: when each request of the realised trace is generated.

A plan names the trace it schedules (``trace_duration``, ``trace_seed``,
``trace_arrivals``: the validator realises the same trace from the instance) and holds
one row per served request::

    executions.csv   request, u, v, start, finish      (times in seconds)

``u`` and ``v`` are the request's end nodes (initiator first).  Every method — the DQP
and ESP simulations replaying the trace, the greedy matching scheduler, the MILP — writes
the same table, so one validator judges them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from qdcopt.errors import InstanceError

COLUMNS = ("request", "u", "v", "start", "finish")
MAX_PLAN_SECONDS: float = 1e6
"""Latest time a plan may name: float seconds keep the validator's 1 ns tolerance up to
about 4 · 10⁶ s."""


@dataclass(frozen=True)
class Generation:
    """One generation: request ``request`` between ``u`` and ``v`` over [start, finish)."""

    request: int
    u: str
    v: str
    start: float
    finish: float


@dataclass(frozen=True)
class LinkPlan:
    """A schedule of the realised trace.

    Attributes
    ----------
    method
        Method that made it.
    trace_duration, trace_seed
        The trace it schedules.
    executions
        One generation per served request.
    trace_arrivals
        How the trace's arrivals were paced (``"uncontended"`` or ``"greedy"``).
    """

    family: ClassVar[str] = "linklayer"

    method: str
    trace_duration: float
    trace_seed: int
    executions: tuple[Generation, ...]
    trace_arrivals: str = "greedy"

    def to_tables(self) -> dict[str, pd.DataFrame]:
        """The plan as named DataFrames."""
        rows = [(x.request, x.u, x.v, x.start, x.finish) for x in self.executions]
        return {"executions": pd.DataFrame(rows, columns=list(COLUMNS))}

    def meta(self) -> dict[str, Any]:
        """JSON-ready manifest content."""
        return {"method": self.method, "trace_duration": self.trace_duration,
                "trace_seed": self.trace_seed, "trace_arrivals": self.trace_arrivals}


def plan_from_tables(tables: dict[str, pd.DataFrame], manifest: dict[str, Any],
                     folder: Path | None = None) -> LinkPlan:
    """Rebuild a plan from its tables (inverse of :meth:`LinkPlan.to_tables`).

    Raises
    ------
    InstanceError
        When the table, a column or a manifest field is missing or a cell has a bad type.
    """
    file = f"{folder}/executions.csv" if folder is not None else "executions.csv"
    if "executions" not in tables:
        raise InstanceError(file, "", "table 'executions' is missing from the plan")
    frame = tables["executions"]
    for c in COLUMNS:
        if c not in frame.columns:
            raise InstanceError(file, c, "required column is missing")
    out = []
    for i, rec in enumerate(frame.to_dict("records")):
        row = f"row {i + 2}"   # the line in the file: the header is line 1
        try:
            req = int(rec["request"])
        except (TypeError, ValueError):
            raise InstanceError(file, f"{row}.request",
                                f"must be an integer, got {rec['request']!r}") from None
        times = []
        for col in ("start", "finish"):
            try:
                value = float(rec[col])
            except (TypeError, ValueError):
                value = math.nan
            # a nan compares false with everything, so the replay could never judge it
            # (a negative or early start is the validator's to judge: C4-RELEASE)
            if not (math.isfinite(value) and abs(value) <= MAX_PLAN_SECONDS):
                raise InstanceError(file, f"{row}.{col}",
                                    f"must be a finite time in seconds, at most "
                                    f"{MAX_PLAN_SECONDS:g} in size, got {rec[col]!r}")
            times.append(value)
        out.append(Generation(req, str(rec["u"]), str(rec["v"]), *times))
    mfile = f"{folder}/plan.json" if folder is not None else "plan.json"
    try:
        duration = float(manifest["trace_duration"])
        seed = manifest["trace_seed"]
    except (KeyError, TypeError, ValueError):
        raise InstanceError(mfile, "trace_duration", "trace_duration and trace_seed must be "
                                                     "given as numbers") from None
    if not (math.isfinite(duration) and 0.0 < duration <= 1000.0):
        raise InstanceError(mfile, "trace_duration",
                            f"must be a time in seconds in (0, 1000], got {duration!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InstanceError(mfile, "trace_seed",
                            f"must be a non-negative integer, got {seed!r}")
    arrivals = str(manifest.get("trace_arrivals", "greedy"))
    if arrivals not in ("uncontended", "greedy"):
        raise InstanceError(mfile, "trace_arrivals", f"must be 'uncontended' or 'greedy', "
                                                     f"got {arrivals!r}")
    return LinkPlan(method=str(manifest.get("method", "")), trace_duration=duration,
                    trace_seed=seed, executions=tuple(out), trace_arrivals=arrivals)
