"""Quantum-datacenter instances: QPUs, entanglement sources with their 2×N switches, and requests.

Every time is an integer number of ticks (see :mod:`qdcopt.timebase`).  Requests are held
column-wise in read-only numpy arrays so that instances with 10⁶ requests load and
validate quickly; QPUs and sources are small tuples of frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:  # jobs.py imports this module
    from qdcopt.datacenter.eds import QpuTiming
    from qdcopt.datacenter.jobs import JobSpec

UNLIMITED = None
"""Value of :attr:`Qpu.comm_qubits` for a QPU with unlimited communication qubits."""


@dataclass(frozen=True)
class Qpu:
    """A quantum processing unit.

    Attributes
    ----------
    id
        Name used in files.
    data_qubits
        Qubits available for computation.
    comm_qubits
        Communication qubits, i.e. how many Bell-pair halves it can store at once;
        ``None`` for unlimited.
    t1, t2
        Relaxation and dephasing times in ticks, or ``None`` when unknown.
    """

    id: str
    data_qubits: int
    comm_qubits: int | None = UNLIMITED
    t1: int | None = None
    t2: int | None = None


@dataclass(frozen=True)
class Source:
    """An entanglement source feeding one 2×N optical switch.

    The source emits a Bell pair at every event ``start + k * period`` (k = 0, 1, ...);
    the switch sends it to the two QPUs its output lines currently connect.

    Attributes
    ----------
    id
        Name used in files.
    period
        Ticks between events (``1 / f_epr``).
    start
        Tick of event 0.
    t_single, t_double
        Reconfiguration time when one output line changes, and when both change.
    ports
        Indices (into the instance's QPUs) of the QPUs this switch reaches.
    """

    id: str
    period: int
    start: int
    t_single: int
    t_double: int
    ports: tuple[int, ...]

    def event_time(self, k: int) -> int:
        """Tick of event ``k``."""
        return self.start + k * self.period

    def first_event_at_or_after(self, t: int) -> int:
        """Smallest event index whose time is ≥ ``t`` (never negative)."""
        if t <= self.start:
            return 0
        return -((self.start - t) // self.period)

    def last_event_at_or_before(self, t: int) -> int:
        """Largest event index whose time is ≤ ``t`` (−1 if none)."""
        if t < self.start:
            return -1
        return (t - self.start) // self.period

    def reconfiguration_time(self, old: tuple[int, int] | None, new: tuple[int, int]) -> int:
        """Duration of a reconfiguration from pair ``old`` to pair ``new``.

        Photons of a pair are symmetric, so only the *set* of connected QPUs matters:
        pairs sharing one QPU differ in one output line (``t_single``), disjoint pairs in
        both (``t_double``); from an unset switch both lines move.
        """
        if old is None:
            return self.t_double
        shared = len(set(old) & set(new))
        if shared == 2:
            return 0
        return self.t_single if shared == 1 else self.t_double


@dataclass(frozen=True, eq=False)
class Requests:
    """Entanglement requests, column-wise.

    Attributes
    ----------
    id
        Request ids (strings), unique.
    job
        Job of each request (strings).
    a, b
        QPU indices of the two ends, ``a < b`` (a pair is unordered).
    t_need
        Tick at which the Bell pair is consumed.
    """

    id: np.ndarray
    job: np.ndarray
    a: np.ndarray
    b: np.ndarray
    t_need: np.ndarray

    def __post_init__(self) -> None:
        for name in ("id", "job", "a", "b", "t_need"):
            getattr(self, name).setflags(write=False)

    def __len__(self) -> int:
        return len(self.id)

    @classmethod
    def from_columns(cls, ids: list[str] | np.ndarray, jobs: list[str] | np.ndarray,
                     a: list[int] | np.ndarray, b: list[int] | np.ndarray,
                     t_need: list[int] | np.ndarray) -> Requests:
        """Build from columns; ends are put in ``a < b`` order."""
        a_arr = np.asarray(a, dtype=np.int64)
        b_arr = np.asarray(b, dtype=np.int64)
        lo, hi = np.minimum(a_arr, b_arr), np.maximum(a_arr, b_arr)
        return cls(
            id=np.asarray(ids, dtype=object),
            job=np.asarray(jobs, dtype=object),
            a=lo.astype(np.int32),
            b=hi.astype(np.int32),
            t_need=np.asarray(t_need, dtype=np.int64),
        )

    def order(self) -> np.ndarray:
        """Processing order: by need time, ties by position in the instance."""
        return np.lexsort((np.arange(len(self)), self.t_need))

    def index(self) -> dict[str, int]:
        """Request id → position."""
        return {rid: i for i, rid in enumerate(self.id.tolist())}


@dataclass(frozen=True, eq=False)
class DatacenterInstance:
    """A quantum-datacenter planning instance (family A).

    Attributes
    ----------
    name
        Instance name.
    qpus
        The QPUs.
    sources
        Entanglement sources, each with its switch.
    t_max
        Longest time (ticks) a Bell pair may wait in memory before use.
    requests
        The entanglement requests.
    min_fidelity
        The fidelity from which ``t_max`` was derived, if it was.
    file
        The file it was loaded from (for messages), if any.
    description
        Free text.
    job_runtime
        Job id → tick at which the job's distributed circuit ends (its start plus its
        runtime estimate, from the circuit extraction); empty when the requests were given
        directly, and then the last need time stands for the end.
    job_specs
        The jobs the requests were extracted from (file order), kept so that job-selection
        methods and the validator can re-extract a job's requests on other QPUs or at
        another start; empty when the requests were given directly.
    job_timings
        Gate and measurement durations of every QPU, used for that re-extraction.
    transit_moves
        Whether a switch may pass through a pair it does not serve, so that a change
        between two deliveries costs the fastest sequence of moves (two single-line moves
        can replace a double one).  ``False`` (the paper's rule): between deliveries to
        pairs ``p`` and ``q`` of one source the switch needs the duration of the net
        change, ``t_single`` or ``t_double``, whatever moves are made in between.
    """

    family: ClassVar[str] = "datacenter"

    name: str
    qpus: tuple[Qpu, ...]
    sources: tuple[Source, ...]
    t_max: int
    requests: Requests
    min_fidelity: float | None = None
    file: str | None = None
    description: str = ""
    job_runtime: dict[str, int] = field(default_factory=dict)
    job_specs: tuple[JobSpec, ...] = ()
    job_timings: tuple[QpuTiming, ...] = ()
    transit_moves: bool = False

    @property
    def n_qpus(self) -> int:
        """Number of QPUs."""
        return len(self.qpus)

    def qpu_index(self) -> dict[str, int]:
        """QPU id → index."""
        return {q.id: i for i, q in enumerate(self.qpus)}

    def source_index(self) -> dict[str, int]:
        """Source id → index."""
        return {s.id: i for i, s in enumerate(self.sources)}

    def comm_capacity(self) -> np.ndarray:
        """Communication qubits per QPU, with unlimited as a very large number."""
        big = np.iinfo(np.int64).max // 4
        return np.array([big if q.comm_qubits is None else q.comm_qubits for q in self.qpus],
                        dtype=np.int64)

    def pair_name(self, a: int, b: int) -> str:
        """``"A-B"`` for QPU indices a, b."""
        return f"{self.qpus[a].id}-{self.qpus[b].id}"
