"""Seeded job buffers built in code (the paper-000 Fig. 5 setting and smaller ones)."""

from __future__ import annotations

from qdcopt.datacenter.demand.circuits import CircuitSpec
from qdcopt.datacenter.demand.jobs import JobSpec, extract_jobs
from qdcopt.datacenter.demand.schedule import EdsOptions, QpuTiming
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Source
from qdcopt.timebase import parse_duration


def random_buffer(n_jobs: int, *, qubits: int = 10, depth: int = 500, n_qpus: int = 30,
                  data_qubits: int = 5, comm_qubits: int | None = 5, t_max: object = "1 ms",
                  rate_hz: float = 1e9, t_single: object = "2 ns", t_double: object = "10 ns",
                  placement: str = "graph", arrivals: list[int] | None = None,
                  seed: int = 0) -> DatacenterInstance:
    """A buffer of random circuits on a one-source star datacenter.

    Parameters
    ----------
    n_jobs
        Number of jobs.
    qubits, depth
        Size of every job's random circuit (two-qubit gates at most).
    n_qpus, data_qubits, comm_qubits
        The QPUs (all alike).
    t_max
        Storage window.
    rate_hz
        EPR rate of the one source (its switch reaches every QPU).
    t_single, t_double
        Switch reconfiguration times.
    placement
        Qubit placement of every job.
    arrivals
        Arrival tick of each job (default: all at 0).
    seed
        Job ``i`` uses circuit and placement seed ``seed * 1000 + i``.

    Returns
    -------
    DatacenterInstance
        Requests from the paper's parallel allocation, and the job definitions.
    """
    qpus = tuple(Qpu(f"Q{i}", data_qubits, comm_qubits) for i in range(n_qpus))
    period = round(1e15 / rate_hz)
    source = Source("S", period, 0, parse_duration(t_single), parse_duration(t_double),
                    tuple(range(n_qpus)))
    timings = tuple(QpuTiming() for _ in qpus)
    specs = tuple(
        JobSpec(id=f"job{i}", circuit=CircuitSpec(name="random", qubits=qubits, depth=depth,
                                                  seed=seed * 1000 + i),
                qpus=None, n_qpus=None, start=(arrivals[i] if arrivals else 0),
                placement=placement, options=EdsOptions(), seed=seed * 1000 + i,
                where=f"jobs[{i}]")
        for i in range(n_jobs))
    res = extract_jobs(list(specs), qpus, list(timings), skip_oversized=True)
    return DatacenterInstance(
        name=f"buffer-{n_jobs}x{qubits}q{depth}-seed{seed}", qpus=qpus, sources=(source,),
        t_max=parse_duration(t_max), requests=res.requests, job_runtime=res.job_runtime,
        job_specs=specs, job_timings=timings)
