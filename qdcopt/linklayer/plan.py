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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from qdcopt.errors import InstanceError

COLUMNS = ("request", "u", "v", "start", "finish")


@dataclass(frozen=True)
class Execution:
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
    executions: tuple[Execution, ...]
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
        try:
            req = int(rec["request"])
            start, finish = float(rec["start"]), float(rec["finish"])
        except (TypeError, ValueError):
            raise InstanceError(file, f"[{i}]", "request must be an integer and start, finish "
                                                "numbers") from None
        out.append(Execution(req, str(rec["u"]), str(rec["v"]), start, finish))
    mfile = f"{folder}/plan.json" if folder is not None else "plan.json"
    try:
        duration = float(manifest["trace_duration"])
        seed = int(manifest["trace_seed"])
    except (KeyError, TypeError, ValueError):
        raise InstanceError(mfile, "trace_duration", "trace_duration and trace_seed must be "
                                                     "given as numbers") from None
    arrivals = str(manifest.get("trace_arrivals", "greedy"))
    if arrivals not in ("uncontended", "greedy"):
        raise InstanceError(mfile, "trace_arrivals", f"must be 'uncontended' or 'greedy', "
                                                     f"got {arrivals!r}")
    return LinkPlan(method=str(manifest.get("method", "")), trace_duration=duration,
                    trace_seed=seed, executions=tuple(out), trace_arrivals=arrivals)
