"""Family-A plans: switch timelines, deliveries, rejections and job shifts.

A plan names requests, sources and QPUs by their ids, so it stands on its own as a
folder of CSV files and can be checked against any instance (unknown ids are caught by
the validator rather than being impossible to write).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from qdcopt.errors import InstanceError
from qdcopt.tables import int_column

REASONS: dict[str, str] = {
    "no-source": "no source's switch reaches both QPUs",
    "no-event": "no usable EPR event in the storage window",
    "memory": "communication qubits full during the whole window",
    "not-selected": "an optimisation model chose not to serve it",
    "job-ejected": "its job was ejected because another of its requests failed",
}
"""Rejection reason codes and what each means."""

JOB_REASONS: dict[str, str] = {
    "not-selected": "the method chose not to run it (other jobs use the resources better)",
    "job-ejected": "some of its requests could not be served, so it was taken out (Phases F-G)",
    "too-large": "no set of the datacenter's QPUs can hold its qubits",
    "no-candidate": "no candidate placement and start of the job fits the time horizon",
    "admission": "admission control refused it (the resources it needs are saturated)",
}
"""Reason codes of a rejected job in a job-level plan."""


def _col(values: Any, dtype: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Reconfigurations:
    """Switch reconfigurations: during ``[start, end)`` the switch of ``source`` moves
    from pair (from_a, from_b) to pair (to_a, to_b).  ``from_a``/``from_b`` are empty
    strings when the switch was unset."""

    source: np.ndarray
    start: np.ndarray
    end: np.ndarray
    from_a: np.ndarray
    from_b: np.ndarray
    to_a: np.ndarray
    to_b: np.ndarray

    def __len__(self) -> int:
        return len(self.source)

    def columns(self) -> dict[str, np.ndarray]:
        """The columns by name, as :meth:`DatacenterPlan.build` takes them."""
        return {"source": self.source, "start": self.start, "end": self.end,
                "from_a": self.from_a, "from_b": self.from_b, "to_a": self.to_a,
                "to_b": self.to_b}


@dataclass(frozen=True, eq=False)
class DatacenterPlan:
    """A family-A plan.

    Attributes
    ----------
    method
        Name of the method that made it.
    initial
        Source id → the QPU pair its switch connects before the first reconfiguration
        (``None``: unset).  Setting up the initial state costs nothing, as in paper 000.
    reconfigurations
        The switch timeline of every source.
    delivery_request, delivery_source, delivery_event
        Request ``delivery_request[i]`` gets the pair of event ``delivery_event[i]`` of
        source ``delivery_source[i]``.
    rejected_request, rejected_reason
        Requests not served, with a reason code from :data:`REASONS`.
    shift_job, shift_request, shift_delay
        Job delays (paper 000 Phase E): request ``shift_request[i]`` of job
        ``shift_job[i]`` and every later request of that job are ``shift_delay[i]`` ticks
        later than the instance says.  Several shifts of a job add up.
    job_id, job_accepted, job_qpus, job_start, job_candidate, job_reason
        Job decisions (empty unless the plan is a *job-level plan*, see
        :mod:`qdcopt.datacenter.demand.decisions`): job ``job_id[i]`` runs (or was tried, when
        rejected) on the QPUs ``job_qpus[i]`` (space-separated ids; empty: not placed)
        from tick ``job_start[i]``; ``job_candidate[i]`` names the candidate (free text)
        and ``job_reason[i]`` is a :data:`JOB_REASONS` code for a rejected job.  The
        requests of such a plan are re-extracted from these decisions.
    """

    family: ClassVar[str] = "datacenter"

    method: str
    initial: dict[str, tuple[str, str] | None]
    reconfigurations: Reconfigurations
    delivery_request: np.ndarray
    delivery_source: np.ndarray
    delivery_event: np.ndarray
    rejected_request: np.ndarray
    rejected_reason: np.ndarray
    shift_job: np.ndarray = field(default_factory=lambda: _col([], object))
    shift_request: np.ndarray = field(default_factory=lambda: _col([], object))
    shift_delay: np.ndarray = field(default_factory=lambda: _col([], np.int64))
    job_id: np.ndarray = field(default_factory=lambda: _col([], object))
    job_accepted: np.ndarray = field(default_factory=lambda: _col([], bool))
    job_qpus: np.ndarray = field(default_factory=lambda: _col([], object))
    job_start: np.ndarray = field(default_factory=lambda: _col([], np.int64))
    job_candidate: np.ndarray = field(default_factory=lambda: _col([], object))
    job_reason: np.ndarray = field(default_factory=lambda: _col([], object))

    @property
    def is_job_level(self) -> bool:
        """Whether the plan carries job decisions (its requests follow from them)."""
        return len(self.job_id) > 0

    @property
    def changes_demand(self) -> bool:
        """Whether the plan delays jobs or chooses where and when jobs run (then it answers
        another question and is not bounded by an optimum over the instance's demand)."""
        return len(self.shift_job) > 0 or self.is_job_level

    @property
    def n_accepted(self) -> int:
        """Number of deliveries."""
        return len(self.delivery_request)

    @classmethod
    def build(cls, method: str, *, initial: dict[str, tuple[str, str] | None],
              reconf: dict[str, list[Any]] | None = None,
              deliveries: tuple[Any, Any, Any] = ((), (), ()),
              rejected: tuple[Any, Any] = ((), ()),
              shifts: tuple[Any, Any, Any] = ((), (), ()),
              jobs: dict[str, list[Any]] | None = None) -> DatacenterPlan:
        """Build a plan from plain columns.

        Parameters
        ----------
        reconf
            Columns ``source, start, end, from_a, from_b, to_a, to_b`` (lists).
        deliveries
            ``(request ids, source ids, event indices)``.
        rejected
            ``(request ids, reason codes)``.
        shifts
            ``(job ids, request ids, delays in ticks)``.
        jobs
            Job decisions: columns ``job, accepted, qpus, start, candidate, reason``.
        """
        jobs = jobs or {k: [] for k in _TABLE_COLUMNS["jobs"]}
        reconf = reconf or {k: [] for k in
                            ("source", "start", "end", "from_a", "from_b", "to_a", "to_b")}
        rc = Reconfigurations(
            source=_col(reconf["source"], object), start=_col(reconf["start"], np.int64),
            end=_col(reconf["end"], np.int64), from_a=_col(reconf["from_a"], object),
            from_b=_col(reconf["from_b"], object), to_a=_col(reconf["to_a"], object),
            to_b=_col(reconf["to_b"], object))
        return cls(method=method, initial=dict(initial), reconfigurations=rc,
                   delivery_request=_col(deliveries[0], object),
                   delivery_source=_col(deliveries[1], object),
                   delivery_event=_col(deliveries[2], np.int64),
                   rejected_request=_col(rejected[0], object),
                   rejected_reason=_col(rejected[1], object),
                   shift_job=_col(shifts[0], object), shift_request=_col(shifts[1], object),
                   shift_delay=_col(shifts[2], np.int64),
                   job_id=_col(jobs["job"], object), job_accepted=_col(jobs["accepted"], bool),
                   job_qpus=_col(jobs["qpus"], object), job_start=_col(jobs["start"], np.int64),
                   job_candidate=_col(jobs["candidate"], object),
                   job_reason=_col(jobs["reason"], object))

    # -- tables ---------------------------------------------------------------------------
    def to_tables(self) -> dict[str, pd.DataFrame]:
        """The plan as DataFrames: initial, switch, deliveries, rejected, shifts, and jobs
        (job decisions) for a job-level plan."""
        rc = self.reconfigurations
        initial = pd.DataFrame(
            [(s, *(p if p is not None else ("", ""))) for s, p in self.initial.items()],
            columns=["source", "qpu_a", "qpu_b"])
        switch = pd.DataFrame({"source": rc.source, "start": rc.start, "end": rc.end,
                               "from_a": rc.from_a, "from_b": rc.from_b,
                               "to_a": rc.to_a, "to_b": rc.to_b})
        deliveries = pd.DataFrame({"request": self.delivery_request,
                                   "source": self.delivery_source,
                                   "event": self.delivery_event})
        rejected = pd.DataFrame({"request": self.rejected_request,
                                 "reason": self.rejected_reason})
        shifts = pd.DataFrame({"job": self.shift_job, "from_request": self.shift_request,
                               "delay": self.shift_delay})
        tables = {"initial": initial, "switch": switch, "deliveries": deliveries,
                  "rejected": rejected, "shifts": shifts}
        if self.is_job_level:
            tables["jobs"] = pd.DataFrame({
                "job": self.job_id, "accepted": self.job_accepted.astype(np.int64),
                "qpus": self.job_qpus, "start": self.job_start,
                "candidate": self.job_candidate, "reason": self.job_reason})
        return tables

    def meta(self) -> dict[str, Any]:
        """Manifest content besides the tables."""
        return {"method": self.method, "time_unit": "fs (times are integer ticks of 1e-15 s)"}


_TABLE_COLUMNS = {
    "initial": ["source", "qpu_a", "qpu_b"],
    "switch": ["source", "start", "end", "from_a", "from_b", "to_a", "to_b"],
    "deliveries": ["request", "source", "event"],
    "rejected": ["request", "reason"],
    "shifts": ["job", "from_request", "delay"],
    "jobs": ["job", "accepted", "qpus", "start", "candidate", "reason"],
}
_OPTIONAL_TABLES = {"jobs"}  # plans without job decisions (and older plans) lack it


def plan_from_tables(tables: dict[str, pd.DataFrame], manifest: dict[str, Any],
                     folder: Path) -> DatacenterPlan:
    """Rebuild a plan from the tables of :meth:`DatacenterPlan.to_tables`.

    Raises
    ------
    InstanceError
        When a table or column is missing or a number column holds something else.
    """
    cols: dict[str, dict[str, np.ndarray]] = {}
    for name, columns in _TABLE_COLUMNS.items():
        if name not in tables and name in _OPTIONAL_TABLES:
            continue
        if name not in tables:
            raise InstanceError(folder / "plan.json", f"tables.{name}", "required table is missing")
        frame = tables[name]
        file = folder / f"{name}.csv"
        if frame.empty and len(frame.columns) == 0:
            frame = pd.DataFrame({c: [] for c in columns})
        for c in columns:
            if c not in frame.columns:
                raise InstanceError(file, c, "required column is missing")
        cols[name] = {}
        for c in columns:
            if c in ("start", "end", "event", "delay", "accepted"):
                cols[name][c] = int_column(frame, c, file)
            else:
                cols[name][c] = frame[c].fillna("").astype(str).to_numpy(dtype=object)
    ini = cols["initial"]
    initial: dict[str, tuple[str, str] | None] = {}
    for s, a, b in zip(ini["source"], ini["qpu_a"], ini["qpu_b"], strict=True):
        initial[str(s)] = (str(a), str(b)) if a and b else None
    sw, dl, rj, sh = cols["switch"], cols["deliveries"], cols["rejected"], cols["shifts"]
    return DatacenterPlan.build(
        str(manifest.get("method", "")), initial=initial, reconf=sw,
        deliveries=(dl["request"], dl["source"], dl["event"]),
        rejected=(rj["request"], rj["reason"]),
        shifts=(sh["job"], sh["from_request"], sh["delay"]),
        jobs=({k: cols["jobs"][k] for k in _TABLE_COLUMNS["jobs"]} if "jobs" in cols else None))
