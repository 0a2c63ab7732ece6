"""Jobs (quantum circuits) in a family-A instance, turned into entanglement requests.

An instance may list ``[[jobs]]`` instead of explicit requests; the loader then calls
:func:`requests_from_jobs`.  :func:`~qdcopt.datacenter.load.extract_eds` does the same from a
file and returns the whole :class:`~qdcopt.datacenter.demand.eds.EdsResult` (request
table, per-job summary).

Fields (times are seconds or strings with a unit)::

    [circuit_defaults]            # optional; every field optional
    gate_1q = "5 ns"              # for QPUs that do not give their own
    gate_2q = "50 ns"
    measure = "5 ns"              # default: the QPU's gate_1q
    classical = "0 ns"            # classical message latency between QPUs
    placement = "graph"           # or "contiguous"
    protocol = "cat"              # or "teleport"
    reuse = false                 # one cat link for consecutive same-control remote gates
    timing = "layers"             # or "asap"
    seed = 0

    [[qpus]]                      # gate_1q / gate_2q may be given per QPU
    id = "A"
    data_qubits = 2
    gate_2q = "60 ns"

    [[jobs]]
    id = "ghz"                    # default job<i>
    circuit = "ghz"               # random | qft | ghz | quantum_volume | qaoa | adder | multiplier
    qubits = 4                    # adder / multiplier take bits = ... instead
    # qasm = "ghz4.qasm"          # instead of circuit: an OpenQASM 2/3 file (path relative
    #                             # to the instance file); in a document built in Python,
    #                             # circuit (or qasm) may be a qiskit QuantumCircuit itself
    # depth = 10                  # random (required), quantum_volume (optional)
    # reps = 1                    # qaoa
    # max_operands = 2            # random
    # seed = 0                    # circuit and placement randomness
    # qpus = ["A", "B"]           # the job's QPUs; or n_qpus = 2; default: fewest that fit
    # start = "0 ns"              # earliest start
    # placement / protocol / reuse / timing override circuit_defaults

QPU allocation (Phase B).  Jobs are taken in file order; each starts at the earliest time
not before its ``start`` at which QPUs free of earlier jobs can hold it (a QPU runs one
job at a time), chosen by :func:`~qdcopt.datacenter.demand.placement.allocate_qpus`.  A job keeps
its QPUs until its runtime estimate has passed.

Job buffers.  With the top-level field ``job_buffer = true`` the jobs are a buffer that
job-selection methods choose from (``start`` is then a job's arrival time): a job that no
set of the instance's QPUs can hold is kept, with no requests, instead of being an error,
so that those methods reject it with a reason.  Either way the loaded instance keeps the
jobs (:attr:`~qdcopt.datacenter.instance.DatacenterInstance.job_specs`) and the QPU
durations, so that a job's requests can be re-extracted on other QPUs or at another start
(:func:`job_flat` caches the reduced circuits).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from qiskit import QuantumCircuit

from qdcopt.datacenter.demand.circuits import LIBRARY_NAMES, CircuitSpec, build_circuit
from qdcopt.datacenter.demand.eds import EdsResult
from qdcopt.datacenter.demand.placement import PLACEMENTS, earliest_allocation, place
from qdcopt.datacenter.demand.reduction import CircuitError, FlatCircuit, flatten
from qdcopt.datacenter.demand.schedule import JobEds, distribute
from qdcopt.datacenter.instance import (
    DEFAULT_GATE_1Q,
    DEFAULT_GATE_2Q,
    PROTOCOLS,
    TIMINGS,
    EdsOptions,
    JobSpec,
    Qpu,
    QpuTiming,
    Requests,
)
from qdcopt.errors import InstanceError
from qdcopt.fields import Section, check_unique, read_document

DEFAULT_FIELDS = {"gate_1q", "gate_2q", "measure", "classical", "placement", "protocol",
                  "reuse", "timing", "seed"}
JOB_FIELDS = {"id", "circuit", "qasm", "qubits", "bits", "depth", "reps", "max_operands",
              "seed", "qpus", "n_qpus", "start", "placement", "protocol", "reuse", "timing"}
CIRCUIT_NAMES = ("random", *LIBRARY_NAMES)
# Size fields each circuit takes: (required, optional).
_SIZE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "random": (("qubits", "depth"), ("max_operands",)),
    "qft": (("qubits",), ()),
    "ghz": (("qubits",), ()),
    "quantum_volume": (("qubits",), ("depth",)),
    "qaoa": (("qubits",), ("reps",)),
    "adder": (("bits",), ()),
    "multiplier": (("bits",), ()),
    "qasm": ((), ()),
}
_ALL_SIZE_FIELDS = {"qubits", "bits", "depth", "reps", "max_operands"}
SEED_MAX = 2**64 - 1
"""Largest circuit and placement seed (the random generators take unsigned 64-bit seeds)."""


def _boolean(sec: Section, name: str, default: bool) -> bool:
    value = sec.raw(name, default)
    if not isinstance(value, bool):
        raise sec.error(name, f"must be true or false, got {value!r}")
    return value


def _choice(sec: Section, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = sec.string(name, default)
    if value not in allowed:
        raise sec.error(name, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _hardware_qpu_sections(doc: Section, path: Path) -> list[Section]:
    """The ``[[qpus]]`` tables, from the instance or the hardware file it names."""
    if doc.has("hardware"):
        hw_path = path.parent / doc.string("hardware")
        return Section(hw_path, "", read_document(hw_path)).tables("qpus", nonempty=True)
    return doc.tables("qpus", nonempty=True)


def qpu_timings(doc: Section, qpus: tuple[Qpu, ...], path: str | Path) -> list[QpuTiming]:
    """Gate and measurement durations of every QPU of an instance.

    Per-QPU ``gate_1q`` / ``gate_2q`` win over ``circuit_defaults``, which win over the
    paper-000 values (5 ns, 50 ns).  ``circuit_defaults.measure`` applies to every QPU;
    without it a measurement lasts as long as the QPU's one-qubit gate.
    """
    defaults = doc.table("circuit_defaults", None)
    g1 = defaults.duration("gate_1q", DEFAULT_GATE_1Q, positive=True)
    g2 = defaults.duration("gate_2q", DEFAULT_GATE_2Q, positive=True)
    measure = defaults.duration("measure", None, positive=True)
    sections = _hardware_qpu_sections(doc, Path(path))
    if len(sections) != len(qpus):  # pragma: no cover - the loader read the same tables
        raise doc.error("qpus", "QPU tables changed while reading")
    return [QpuTiming(gate_1q=sec.duration("gate_1q", g1, positive=True),
                      gate_2q=sec.duration("gate_2q", g2, positive=True), measure=measure)
            for sec in sections]


def read_jobs(doc: Section, qpus: tuple[Qpu, ...], path: str | Path) -> list[JobSpec]:
    """Read and check the ``[[jobs]]`` tables of an instance document.

    Raises
    ------
    InstanceError
        On the first broken rule, naming the file, the field and the rule.
    """
    path = Path(path)
    defaults = doc.table("circuit_defaults", None)
    defaults.reject_unknown(DEFAULT_FIELDS)
    d_place = _choice(defaults, "placement", "graph", PLACEMENTS)
    d_proto = _choice(defaults, "protocol", "cat", PROTOCOLS)
    d_reuse = _boolean(defaults, "reuse", False)
    d_timing = _choice(defaults, "timing", "layers", TIMINGS)
    # seeds are not counts: any unsigned 64-bit integer (qiskit's generators take no more)
    d_seed = defaults.integer("seed", 0, minimum=0, maximum=SEED_MAX)
    classical = defaults.duration("classical", 0)
    qindex = {q.id: i for i, q in enumerate(qpus)}
    out: list[JobSpec] = []
    for i, sec in enumerate(doc.tables("jobs", nonempty=True)):
        sec.reject_unknown(JOB_FIELDS)
        job_id = sec.string("id", f"job{i}")
        seed = sec.integer("seed", d_seed, minimum=0, maximum=SEED_MAX)
        circuit = _circuit_spec(sec, path, seed)
        qpu_idx: tuple[int, ...] | None = None
        n_qpus: int | None = None
        if sec.has("qpus") and sec.has("n_qpus"):
            raise sec.error("n_qpus", "give either qpus or n_qpus, not both")
        if sec.has("qpus"):
            names = sec.strings("qpus")
            for j, name in enumerate(names):
                if name not in qindex:
                    raise InstanceError(sec.file, f"{sec.where('qpus')}[{j}]",
                                        f"unknown QPU id {name!r}")
            if not names or len(set(names)) != len(names):
                raise sec.error("qpus", "must name at least one QPU, each once")
            qpu_idx = tuple(sorted(qindex[name] for name in names))
        if sec.has("n_qpus"):
            n_qpus = sec.integer("n_qpus", minimum=1)
            if n_qpus > len(qpus):
                raise sec.error("n_qpus", f"the instance has only {len(qpus)} QPUs, got {n_qpus}")
        options = EdsOptions(protocol=_choice(sec, "protocol", d_proto, PROTOCOLS),
                             reuse=_boolean(sec, "reuse", d_reuse),
                             timing=_choice(sec, "timing", d_timing, TIMINGS),
                             classical=classical)
        out.append(JobSpec(id=job_id, circuit=circuit, qpus=qpu_idx, n_qpus=n_qpus,
                           start=sec.duration("start", 0),
                           placement=_choice(sec, "placement", d_place, PLACEMENTS),
                           options=options, seed=seed, where=sec.path))
    check_unique(doc.file, doc.where("jobs"), [j.id for j in out])
    return out


def _circuit_spec(sec: Section, path: Path, seed: int) -> CircuitSpec:
    given = [k for k in ("circuit", "qasm") if isinstance(sec.raw(k, None), QuantumCircuit)]
    if given:
        # a qiskit circuit given in a document built in Python, in place of a QASM file
        if sec.has("qasm") and sec.has("circuit"):
            raise sec.error(given[0], "give exactly one of circuit (a name or a qiskit "
                            "circuit) or qasm (a file or a qiskit circuit)")
        for f in sorted(_ALL_SIZE_FIELDS):
            if sec.has(f):
                raise sec.error(f, "does not apply to a circuit given as a QuantumCircuit")
        return CircuitSpec.of(sec.raw(given[0]), seed=seed)
    if sec.has("qasm") == sec.has("circuit"):
        raise sec.error("circuit", "give exactly one of circuit (a name) or qasm (a file)")
    name = "qasm" if sec.has("qasm") else _choice(sec, "circuit", "", CIRCUIT_NAMES)
    required, optional = _SIZE_FIELDS[name]
    for f in sorted(_ALL_SIZE_FIELDS - set(required) - set(optional)):
        if sec.has(f):
            raise sec.error(f, f"does not apply to circuit {name!r}")
    sizes: dict[str, Any] = {}
    for f in required + optional:
        if sec.has(f) or f in required:
            sizes[f] = sec.integer(f, minimum=1)
    if "max_operands" in sizes and sizes["max_operands"] > 4:
        raise sec.error("max_operands", f"must be 1 to 4, got {sizes['max_operands']}")
    file = path.parent / sec.string("qasm") if name == "qasm" else None
    if file is not None and file.is_dir():
        raise sec.error("qasm", f"{sec.string('qasm')!r} is a directory, expected a QASM file")
    if file is not None and not file.is_file():
        raise sec.error("qasm", f"file {sec.string('qasm')!r} does not exist (paths are "
                        "relative to the instance file)")
    return CircuitSpec(name=name, seed=seed, file=file, **sizes)


@lru_cache(maxsize=256)
def _cached_flat(circuit: CircuitSpec) -> FlatCircuit:
    return flatten(build_circuit(circuit))


def job_flat(job: JobSpec, file: str | None = None) -> FlatCircuit:
    """The reduced circuit of a job (cached: a circuit spec always gives the same circuit).

    Raises
    ------
    InstanceError
        When the circuit cannot be built, naming the job.
    """
    try:
        flat = _cached_flat(job.circuit)
    except InstanceError:
        raise  # a QASM file's own message already names the file and the line
    except (CircuitError, ValueError) as exc:
        raise InstanceError(file, job.where, str(exc)) from None
    if flat.n_qubits == 0:
        # Caught here, not in the placement, so that the message names the job and its file.
        qasm = job.circuit.file
        if qasm is None:
            raise InstanceError(file, job.where,
                                f"the circuit of job {job.id!r} has no qubits (nothing to place)")
        raise InstanceError(file if file is not None else qasm, f"{job.where}.qasm",
                            f"file {str(qasm)!r} of job {job.id!r} declares no qubits "
                            "(nothing to place)")
    return flat


def fits_datacenter(job: JobSpec, n_qubits: int, capacities: list[int]) -> bool:
    """Whether some set of QPUs (the job's own, if it names them) can hold the job."""
    if job.qpus is not None:
        return sum(capacities[i] for i in job.qpus) >= n_qubits
    if job.n_qpus is not None:
        if job.n_qpus > n_qubits:
            return False
        return sum(sorted(capacities, reverse=True)[:job.n_qpus]) >= n_qubits
    return sum(capacities) >= n_qubits


def extract_jobs(jobs: list[JobSpec], qpus: tuple[Qpu, ...], timings: list[QpuTiming], *,
                 file: str | None = None, skip_oversized: bool = False) -> EdsResult:
    """Allocate QPUs to jobs, place, distribute and time them (Phases B and C).

    Parameters
    ----------
    jobs
        The jobs, in the order they are allocated.
    qpus
        The instance's QPUs.
    timings
        Durations of each QPU.
    file
        The instance file (for messages).
    skip_oversized
        Leave out (instead of raising) a job that no set of QPUs can hold.

    Returns
    -------
    EdsResult
    """
    caps = [q.data_qubits for q in qpus]
    free_at = [0] * len(qpus)
    done: list[JobEds] = []
    for job in jobs:
        flat = _flat_or_error(job, file)
        if skip_oversized and not fits_datacenter(job, flat.n_qubits, caps):
            continue
        chosen, start = _allocate(job, flat.n_qubits, caps, free_at, file)
        where = place(flat, chosen, [caps[i] for i in chosen], job.placement, seed=job.seed)
        try:
            eds = distribute(flat, where, [timings[i] for i in chosen], job.options,
                             job=job.id, start=start)
        except ValueError as exc:  # a job running beyond the longest time qdcopt represents
            raise InstanceError(file, job.where, str(exc)) from None
        for i in chosen:
            free_at[i] = start + eds.runtime
        done.append(eds)
    return EdsResult.from_jobs([q.id for q in qpus], done, file=file)


def _flat_or_error(job: JobSpec, file: str | None) -> FlatCircuit:
    return job_flat(job, file)


def _allocate(job: JobSpec, n_qubits: int, caps: list[int], free_at: list[int],
              file: str | None) -> tuple[list[int], int]:
    if job.qpus is not None:
        room = sum(caps[i] for i in job.qpus)
        if room < n_qubits:
            raise InstanceError(file, f"{job.where}.qpus", f"the circuit has {n_qubits} qubits "
                                f"but these QPUs hold {room}")
    elif job.n_qpus is not None and job.n_qpus > n_qubits:
        raise InstanceError(file, f"{job.where}.n_qpus", f"the circuit has {n_qubits} qubits, "
                            f"too few to use {job.n_qpus} QPUs")
    found = earliest_allocation(n_qubits, caps, free_at, job.start, qpus=job.qpus,
                                n_qpus=job.n_qpus)
    if found is not None:
        return found
    how = f"{job.n_qpus} QPUs" if job.n_qpus is not None else "the QPUs"
    raise InstanceError(file, job.where, f"the circuit has {n_qubits} qubits, more than {how} "
                        "of the instance can hold")


def requests_from_jobs(doc: Section, qpus: tuple[Qpu, ...], path: str | Path,
                       ) -> tuple[Requests, dict[str, int]]:
    """The requests of an instance's jobs, for the family-A loader.

    Parameters
    ----------
    doc
        The top-level section of the instance document.
    qpus
        The instance's QPUs.
    path
        The instance file.

    Returns
    -------
    (Requests, dict)
        The requests (sorted by need time) and, per job, the tick at which its distributed
        circuit ends (start + runtime estimate).
    """
    result = eds_from_document(doc, qpus, path)
    return result.requests, result.job_runtime


def jobs_from_document(doc: Section, qpus: tuple[Qpu, ...], path: str | Path, *,
                       buffer: bool = False,
                       ) -> tuple[EdsResult, tuple[JobSpec, ...], tuple[QpuTiming, ...]]:
    """The jobs of an instance document, their QPU durations and their extraction.

    Parameters
    ----------
    doc, qpus, path
        As for :func:`requests_from_jobs`.
    buffer
        The jobs form a job buffer: a job no QPUs can hold gets no requests instead of
        being an error.

    Returns
    -------
    (EdsResult, tuple[JobSpec, ...], tuple[QpuTiming, ...])
    """
    jobs = read_jobs(doc, qpus, path)
    timings = qpu_timings(doc, qpus, path)
    result = extract_jobs(jobs, qpus, timings, file=doc.file, skip_oversized=buffer)
    return result, tuple(jobs), tuple(timings)


def eds_from_document(doc: Section, qpus: tuple[Qpu, ...], path: str | Path) -> EdsResult:
    """The :class:`EdsResult` of an instance document's jobs (see
    :func:`~qdcopt.datacenter.load.extract_eds`)."""
    jobs = read_jobs(doc, qpus, path)
    timings = qpu_timings(doc, qpus, path)
    return extract_jobs(jobs, qpus, timings, file=doc.file)


__all__ = ["JobSpec", "eds_from_document", "extract_jobs", "fits_datacenter",
           "job_flat", "jobs_from_document", "qpu_timings", "read_jobs", "requests_from_jobs"]
