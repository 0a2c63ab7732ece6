"""Quantum-datacenter instances: QPUs, entanglement sources with their 2×N switches, and requests;
also the jobs (circuits) requests are extracted from, and the QPUs' operation durations.

Every time is an integer number of ticks (see :mod:`qdcopt.timebase`).  Requests are held
column-wise in read-only numpy arrays so that instances with 10⁶ requests load and
validate quickly; QPUs and sources are small tuples of frozen dataclasses.

Each data class checks its own rules when it is built (``__post_init__``), so an instance
built in code (a generator, a study, a user's script) obeys the same rules as a loaded
file: a broken rule raises :class:`~qdcopt.errors.InstanceError` naming the field
(``qpus[1].id``, ``requests[4].qpu_b``); the loader re-raises it with the file and the
field's path in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from qdcopt.datacenter.events import first_event_index, last_event_index
from qdcopt.errors import InstanceError
from qdcopt.fields import check_unique, count_rule
from qdcopt.timebase import MAX_TICKS, MAX_TIME_TEXT, parse_duration, time_rule

if TYPE_CHECKING:  # only for annotations: building circuits needs qiskit
    from qdcopt.datacenter.demand.circuits import CircuitSpec

UNLIMITED = None
"""Value of :attr:`Qpu.comm_qubits` for a QPU with unlimited communication qubits."""
DEFAULT_GATE_1Q = parse_duration("5 ns")
"""One-qubit gate duration of paper 000 (superconducting qubits)."""
DEFAULT_GATE_2Q = parse_duration("50 ns")
"""Two-qubit gate duration of paper 000."""
PROTOCOLS = ("cat", "teleport")
"""Ways to carry out a non-local gate."""
TIMINGS = ("layers", "asap")
"""Timing rules for need times (see :mod:`qdcopt.datacenter.demand.schedule`)."""


def _fail(field: str, rule: str | None) -> None:
    """Raise a field-level :class:`InstanceError` (no file) when ``rule`` is broken."""
    if rule is not None:
        raise InstanceError(None, field, rule)


def _check_id(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InstanceError(None, field, f"must be a non-empty string, got {value!r}")


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

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _fail("data_qubits", count_rule(self.data_qubits))
        if self.comm_qubits is not None:
            rule = count_rule(self.comm_qubits)
            if rule is not None and "at most" in rule:
                rule += " (unlimited is None in code, \"unlimited\" in files)"
            _fail("comm_qubits", rule)
        for name in ("t1", "t2"):
            if getattr(self, name) is not None:
                _fail(name, time_rule(getattr(self, name), positive=True))


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

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _fail("period", time_rule(self.period, positive=True))
        _fail("start", time_rule(self.start))
        _fail("t_single", time_rule(self.t_single))
        _fail("t_double", time_rule(self.t_double))
        if self.t_double < self.t_single:
            _fail("t_double", "must be at least t_single (both lines move)")
        for j, p in enumerate(self.ports):
            if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
                _fail(f"ports[{j}]", f"must be a QPU index, got {p!r}")
        if len(set(self.ports)) != len(self.ports):
            _fail("ports", "must not repeat a QPU")

    def event_time(self, k: int) -> int:
        """Tick of event ``k``."""
        return self.start + k * self.period

    def first_event_at_or_after(self, t: int) -> int:
        """Smallest event index whose time is ≥ ``t`` (never negative)."""
        return first_event_index(t, self.start, self.period)

    def last_event_at_or_before(self, t: int) -> int:
        """Largest event index whose time is ≤ ``t`` (−1 if none)."""
        return last_event_index(t, self.start, self.period)

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
        n = len(self.id)
        for name in ("id", "job", "a", "b", "t_need"):
            column = getattr(self, name)
            if not isinstance(column, np.ndarray) or column.ndim != 1 or len(column) != n:
                raise InstanceError(None, f"requests.{name}",
                                    f"must be a one-dimensional array of {n} entries")
            column.setflags(write=False)
        for name in ("a", "b", "t_need"):
            if n and not np.issubdtype(getattr(self, name).dtype, np.integer):
                raise InstanceError(None, f"requests.{name}", "must hold integers")
        self._check_rows()

    def _check_rows(self) -> None:
        """Per-request rules, vectorised; the message names the first broken request."""
        if not len(self):
            return
        for name, test, rule in (
                ("qpu_a", self.a < 0, "must be a QPU index"),
                ("qpu_b", self.a == self.b, "a request must join two different QPUs"),
                ("qpu_b", self.a > self.b,
                 "ends must be stored low index first (Requests.from_columns does it)"),
                ("t_need", self.t_need < 0, "must not be negative"),
                ("t_need", self.t_need > MAX_TICKS,
                 f"must be at most {MAX_TICKS} ticks ({MAX_TIME_TEXT}, the longest time "
                 "qdcopt represents)")):
            bad = np.flatnonzero(test)
            if len(bad):
                i = int(bad[0])
                value = {"qpu_a": self.a, "qpu_b": self.b, "t_need": self.t_need}[name][i]
                raise InstanceError(None, f"requests[{i}].{name}", f"{rule}, got {value}")
        ids = self.id.tolist()
        # map/set run in C: this stays a small share of building 10⁶ requests
        if not all(map(isinstance, ids, repeat(str))) or "" in (unique := set(ids)):
            for i, rid in enumerate(ids):
                _check_id(f"requests[{i}].id", rid)
        if len(unique) != len(ids):
            check_unique(None, "requests", ids)

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

    def __post_init__(self) -> None:
        try:
            self._check()
        except InstanceError as exc:
            if self.file is None:
                raise
            raise InstanceError(self.file, exc.field, exc.rule) from None

    def _check(self) -> None:
        """The rules that join the parts: ids unique, every index names a QPU."""
        if not self.qpus:
            _fail("qpus", "must hold at least one entry")
        if not self.sources:
            _fail("sources", "must hold at least one entry")
        for name, items, kind in (("qpus", self.qpus, Qpu), ("sources", self.sources, Source)):
            for i, item in enumerate(items):
                if not isinstance(item, kind):
                    _fail(f"{name}[{i}]", f"must be a {kind.__name__}, got {item!r}")
            check_unique(None, name, [item.id for item in items])
        n = len(self.qpus)
        for i, src in enumerate(self.sources):
            for j, p in enumerate(src.ports):
                if p >= n:
                    _fail(f"sources[{i}].ports[{j}]",
                          f"names QPU index {p}, but the instance has {n} QPUs")
            if len(src.ports) < min(2, n):
                _fail(f"sources[{i}].ports", "a switch must reach at least two QPUs")
        _fail("t_max", time_rule(self.t_max))
        if not isinstance(self.requests, Requests):
            _fail("requests", f"must be Requests, got {type(self.requests).__name__}")
        if len(self.requests):
            hi = int(self.requests.b.max())
            if hi >= n:
                i = int(np.flatnonzero(self.requests.b >= n)[0])
                _fail(f"requests[{i}].qpu_b",
                      f"names QPU index {hi}, but the instance has {n} QPUs")

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


# -- jobs: what the demand schedule is extracted from --------------------------------------
@dataclass(frozen=True)
class QpuTiming:
    """Operation durations on one QPU, in ticks.

    Attributes
    ----------
    gate_1q, gate_2q
        One- and two-qubit gate durations.
    measure
        Measurement duration (``None``: same as ``gate_1q``, the paper gives no value).
    """

    gate_1q: int = DEFAULT_GATE_1Q
    gate_2q: int = DEFAULT_GATE_2Q
    measure: int | None = None

    @property
    def measure_ticks(self) -> int:
        """Measurement duration with the default applied."""
        return self.gate_1q if self.measure is None else self.measure


@dataclass(frozen=True)
class EdsOptions:
    """How non-local gates are carried out and timed.

    Attributes
    ----------
    protocol
        ``"cat"`` (cat-entanglement, one Bell pair per gate) or ``"teleport"``
        (teleport the control there and back, two Bell pairs per gate).
    reuse
        Let one link serve consecutive remote gates with the same control and QPU pair.
    timing
        ``"layers"`` (paper 000) or ``"asap"``.
    classical
        Latency of a classical message between QPUs, in ticks (0 by default).
    """

    protocol: str = "cat"
    reuse: bool = False
    timing: str = "layers"
    classical: int = 0

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, "
                             f"got {self.protocol!r}")
        if self.timing not in TIMINGS:
            raise ValueError(f"timing must be one of {', '.join(TIMINGS)}, got {self.timing!r}")
        if self.classical < 0:
            raise ValueError(f"classical latency must not be negative, got {self.classical}")


@dataclass(frozen=True)
class JobSpec:
    """One job as read from a file.

    Attributes
    ----------
    id
        Job id.
    circuit
        Where its circuit comes from.
    qpus
        Explicit QPU indices, or ``None``.
    n_qpus
        Number of QPUs to use, or ``None`` for the fewest that fit.
    start
        Earliest start tick.
    placement
        ``"contiguous"`` or ``"graph"``.
    options
        Protocol, reuse, timing, classical latency.
    seed
        Seed of the placement heuristic (and of the circuit).
    where
        Dotted path of the job in the file (for messages).
    """

    id: str
    circuit: CircuitSpec
    qpus: tuple[int, ...] | None
    n_qpus: int | None
    start: int
    placement: str
    options: EdsOptions
    seed: int
    where: str
