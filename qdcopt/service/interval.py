"""One scheduling interval: the PGAs to place (the problem) and where they go (the plan).

Time inside an interval is a whole number of *slots*; every PGA lasts a whole number of
slots.  A demand's PGAs are *jobs* with a release slot and a deadline slot (the window of
one period ``1/R`` of its rate), so schedules are integers and the validator compares
integers exactly.  Resources have an integer capacity (communication qubits); a PGA
holds ``use`` units of each resource of its path for its whole duration.

A demand is *on track* in the interval when at least ``min_pgas`` of its jobs are
scheduled (by default all of them: every PGA its rate asks for).  The objective of a
schedule is the number of demands on track; the number of PGAs scheduled breaks ties.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class IntervalProblem:
    """The PGAs of one scheduling interval.

    Attributes
    ----------
    n_slots
        Slots in the interval (slots ``0 .. n_slots − 1``).
    slot_seconds
        Length of a slot.
    resource_names, capacity
        Resources and their capacities (communication qubits).
    demand_ids
        Demand names.
    demand_resources, demand_use
        Per demand: indices of the resources its PGAs hold, and how many units of each.
    demand_start
        First slot at which the demand may be served (its admission; may be negative
        when admitted before the interval).
    min_pgas
        Jobs of the demand that must be scheduled for it to be on track.
    job_demand, job_release, job_deadline, job_duration
        Per job (PGA): its demand, first start slot allowed, slot by which it must have
        ended (exclusive), and its length in slots.
    """

    n_slots: int
    slot_seconds: float
    resource_names: tuple[str, ...]
    capacity: np.ndarray
    demand_ids: tuple[str, ...]
    demand_resources: tuple[tuple[int, ...], ...]
    demand_use: tuple[tuple[int, ...], ...]
    demand_start: np.ndarray
    min_pgas: np.ndarray
    job_demand: np.ndarray
    job_release: np.ndarray
    job_deadline: np.ndarray
    job_duration: np.ndarray

    family = "service"

    @property
    def n_jobs(self) -> int:
        """Number of jobs (PGAs to place)."""
        return len(self.job_demand)

    @property
    def n_demands(self) -> int:
        """Number of demands."""
        return len(self.demand_ids)

    def check(self) -> None:
        """Raise ``ValueError`` if the arrays disagree (lengths, ranges)."""
        n = self.n_jobs
        for name in ("job_release", "job_deadline", "job_duration"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} must have one entry per job")
        if n and (self.job_duration.min() < 1 or self.job_demand.min() < 0
                  or self.job_demand.max() >= self.n_demands):
            raise ValueError("job durations must be ≥ 1 and demands must exist")
        if len(self.min_pgas) != self.n_demands or len(self.demand_start) != self.n_demands:
            raise ValueError("min_pgas and demand_start need one entry per demand")

    def utilisation(self) -> np.ndarray:
        """Per resource: slot-units of every job over ``capacity · n_slots``."""
        load = np.zeros(len(self.resource_names))
        for d in range(self.n_demands):
            slots = int(self.job_duration[self.job_demand == d].sum())
            for r, u in zip(self.demand_resources[d], self.demand_use[d], strict=True):
                load[r] += u * slots
        return load / np.maximum(self.capacity * self.n_slots, 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (the plan folder keeps it beside the schedule)."""
        return {"n_slots": self.n_slots, "slot_seconds": self.slot_seconds,
                "resource_names": list(self.resource_names),
                "capacity": self.capacity.tolist(), "demand_ids": list(self.demand_ids),
                "demand_resources": [list(x) for x in self.demand_resources],
                "demand_use": [list(x) for x in self.demand_use],
                "demand_start": self.demand_start.tolist(), "min_pgas": self.min_pgas.tolist(),
                "job_demand": self.job_demand.tolist(), "job_release": self.job_release.tolist(),
                "job_deadline": self.job_deadline.tolist(),
                "job_duration": self.job_duration.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntervalProblem:
        """Inverse of :meth:`to_dict`."""
        arr = lambda k: np.asarray(data[k], dtype=np.int64)  # noqa: E731
        return cls(n_slots=int(data["n_slots"]), slot_seconds=float(data["slot_seconds"]),
                   resource_names=tuple(data["resource_names"]), capacity=arr("capacity"),
                   demand_ids=tuple(data["demand_ids"]),
                   demand_resources=tuple(tuple(x) for x in data["demand_resources"]),
                   demand_use=tuple(tuple(x) for x in data["demand_use"]),
                   demand_start=arr("demand_start"), min_pgas=arr("min_pgas"),
                   job_demand=arr("job_demand"), job_release=arr("job_release"),
                   job_deadline=arr("job_deadline"), job_duration=arr("job_duration"))


@dataclass(frozen=True)
class IntervalSchedule:
    """A plan for one interval: the start slot of each scheduled PGA.

    Attributes
    ----------
    problem
        The interval it schedules.
    job
        Scheduled jobs (indices into the problem's jobs).
    start
        Start slot of each.
    duration
        Slots each holds its resources (as planned; the validator checks it).
    method
        Method that made it.
    """

    problem: IntervalProblem
    job: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    method: str = ""

    family = "service"

    @classmethod
    def from_starts(cls, problem: IntervalProblem, starts: np.ndarray,
                    method: str) -> IntervalSchedule:
        """A schedule from a start slot per job (``−1``: not scheduled)."""
        job = np.flatnonzero(starts >= 0)
        return cls(problem, job, starts[job].astype(np.int64),
                   problem.job_duration[job].astype(np.int64), method)

    def scheduled_per_demand(self) -> np.ndarray:
        """PGAs scheduled for each demand."""
        return np.bincount(self.problem.job_demand[self.job],
                           minlength=self.problem.n_demands)

    def on_track(self) -> np.ndarray:
        """Whether each demand has at least ``min_pgas`` PGAs scheduled."""
        return self.scheduled_per_demand() >= self.problem.min_pgas

    def to_tables(self) -> dict[str, pd.DataFrame]:
        """The plan as one table of PGAs (``pgas``)."""
        p = self.problem
        return {"pgas": pd.DataFrame({
            "job": self.job, "demand": [p.demand_ids[d] for d in p.job_demand[self.job]],
            "start_slot": self.start, "duration_slots": self.duration,
            "start_s": self.start * p.slot_seconds,
            "end_s": (self.start + self.duration) * p.slot_seconds})}

    def meta(self) -> dict[str, Any]:
        """What the manifest keeps besides the tables: the interval problem itself."""
        return {"method": self.method, "problem": self.problem.to_dict()}


MAX_SLOT_INDEX = 10**9
"""Largest slot number, job number or duration a plan table may name."""


def _integer_cell(text: object) -> int | None:
    """An integer written as ``12`` or ``12.0``; ``None`` for anything else."""
    try:
        return int(str(text).strip())
    except ValueError:
        pass
    try:
        value = float(str(text))
    except ValueError:
        return None
    if not math.isfinite(value) or not value.is_integer() or abs(value) > 2**53:
        return None
    return int(value)


def schedule_from_tables(tables: dict[str, pd.DataFrame], manifest: dict[str, Any],
                         folder: Path) -> IntervalSchedule:
    """Inverse of :meth:`IntervalSchedule.to_tables` / :meth:`~IntervalSchedule.meta`."""
    from qdcopt.errors import InstanceError

    meta = manifest.get("meta", manifest)
    if "problem" not in meta:
        raise InstanceError(Path(folder) / "plan.json", "meta.problem",
                            "required field is missing")
    try:
        problem = IntervalProblem.from_dict(meta["problem"])
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        raise InstanceError(Path(folder) / "plan.json", "problem",
                            f"is not an interval problem ({exc.__class__.__name__}: "
                            f"{str(exc)[:80]})") from None
    frame = tables.get("pgas")
    if frame is None:
        raise InstanceError(folder, "pgas.csv", "required table is missing")
    file = Path(folder) / "pgas.csv"
    cols = {}
    for col in ("job", "start_slot", "duration_slots"):
        if col not in frame.columns:
            raise InstanceError(file, col, "required column is missing")
        out = np.zeros(len(frame), dtype=np.int64)
        for row, text in enumerate(frame[col].tolist()):
            value = _integer_cell(text)
            # slots of one interval: far beyond ±10⁹ is no slot, and the replay's arrays
            # span every slot a PGA names
            if value is None or abs(value) > MAX_SLOT_INDEX:
                raise InstanceError(file, f"row {row + 2}.{col}",
                                    f"must be an integer of at most {MAX_SLOT_INDEX} in size, "
                                    f"got {text!r}")
            out[row] = value
        cols[col] = out
    if "demand" in frame.columns:
        # the demand column repeats the job's demand: a different one is a corrupt plan
        for row, (job, named) in enumerate(zip(cols["job"].tolist(), frame["demand"].tolist(),
                                               strict=True)):
            d = int(problem.job_demand[job]) if 0 <= job < problem.n_jobs else -1
            if 0 <= d < problem.n_demands:
                owner = problem.demand_ids[d]
                if str(named) != owner:
                    raise InstanceError(file, f"row {row + 2}.demand",
                                        f"job {job} belongs to demand {owner!r}, the row names "
                                        f"{named!r}")
            elif str(named) not in problem.demand_ids:
                raise InstanceError(file, f"row {row + 2}.demand",
                                    f"names no demand of the interval, got {named!r}")
    return IntervalSchedule(problem, cols["job"], cols["start_slot"], cols["duration_slots"],
                            str(meta.get("method", "")))


def dumps(problem: IntervalProblem) -> str:
    """The problem as JSON text."""
    return json.dumps(problem.to_dict())
