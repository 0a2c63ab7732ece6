"""Seeded random family-A instances with paper-000-like parameters, built in memory.

Requests come in *layers*, as the non-local gates of a distributed circuit do: every
``layer`` ticks a batch of requests is needed at the same instant.  The batch sizes are
Poisson with a mean chosen so that, over the whole horizon, the requests ask for
``load`` times the pairs the sources can emit.  Pairs are drawn from a skewed
distribution (a random ranking of the QPU pairs with Zipf-like weights), because the
traffic between QPUs of a placed circuit is rarely uniform and because the skew is what
makes grouping requests of one pair worth a reconfiguration.
"""

from __future__ import annotations

import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.timebase import MAX_TICKS, parse_duration, parse_rate, seconds


def random_instance(n_requests: int, *, n_qpus: int = 5, rate: object = "1 GHz",
                    t_max: object = "100 ns", comm_qubits: int | None = None,
                    t_single: object = "2 ns", t_double: object = "10 ns",
                    layer: object = "50 ns", load: float = 0.8, skew: float = 1.0,
                    n_sources: int = 1, seed: int = 0) -> DatacenterInstance:
    """A seeded random datacenter instance.

    Parameters
    ----------
    n_requests
        Number of requests (exactly).
    n_qpus
        Number of QPUs (at least 2); every source reaches every QPU.
    rate
        Emission rate of each source (Hz or a string such as ``"1 MHz"``).
    t_max
        Longest storage time of a pair (seconds or a string with a unit).
    comm_qubits
        Communication qubits of every QPU (``None``: unlimited).
    t_single, t_double
        Switch reconfiguration times (one / both output lines), paper 000: 2 ns and 10 ns.
    layer
        Time between consecutive request batches (paper 000: 50 ns, a two-qubit gate).
    load
        Requests per emitted pair over the horizon (all sources together).
    skew
        Exponent of the Zipf-like pair weights (0: uniform pairs).
    n_sources
        Number of sources (hub units), all on the same grid.
    seed
        Seed of the random generator; the same arguments give the same instance.

    Returns
    -------
    DatacenterInstance
        Requests ``r0, r1, ...`` in need-time order, one job ``j0``.
    """
    if n_qpus < 2:
        raise ValueError("n_qpus must be at least 2")
    if n_requests < 0:
        raise ValueError("n_requests must not be negative")
    if load <= 0:
        raise ValueError("load must be positive")
    rng = np.random.default_rng(seed)
    period = parse_rate(rate)
    step = parse_duration(layer, allow_zero=False)
    tmax = parse_duration(t_max)
    ts = parse_duration(t_single)
    td = parse_duration(t_double)
    pairs = np.array([(a, b) for a in range(n_qpus) for b in range(a + 1, n_qpus)],
                     dtype=np.int64)
    weights = 1.0 / np.arange(1, len(pairs) + 1) ** skew
    weights = weights[rng.permutation(len(pairs))]
    weights /= weights.sum()
    # Horizon so that the requests ask for `load` times the pairs the sources emit.
    horizon = n_requests * period / (load * n_sources)
    n_layers = max(1, int(np.ceil(horizon / step)))
    # Checked in Python integers before numpy builds the need times, which would wrap
    # around int64 silently; the instance checks the same limit again.
    last = n_layers * step + tmax
    if last > MAX_TICKS:
        raise ValueError(f"the last requests would be needed at {seconds(last):g} s, beyond "
                         "1000 s: raise load or shorten layer")
    counts = rng.multinomial(n_requests, np.full(n_layers, 1.0 / n_layers))
    # Need times: layer k at (k + 1) * step, so that the first window starts at >= 0
    # for storage times up to one layer and sources start emitting at tick 0.
    t_need = np.repeat((np.arange(n_layers, dtype=np.int64) + 1) * step + tmax, counts)
    which = rng.choice(len(pairs), size=n_requests, p=weights)
    qpus = tuple(Qpu(id=f"Q{i}", data_qubits=100, comm_qubits=comm_qubits)
                 for i in range(n_qpus))
    sources = tuple(Source(id=f"S{s}", period=period, start=0, t_single=ts, t_double=td,
                           ports=tuple(range(n_qpus))) for s in range(n_sources))
    requests = Requests.from_columns(
        [f"r{i}" for i in range(n_requests)], ["j0"] * n_requests,
        pairs[which, 0], pairs[which, 1], t_need)
    name = f"random-n{n_requests}-q{n_qpus}-s{seed}"
    return DatacenterInstance(name=name, qpus=qpus, sources=sources, t_max=tmax,
                              requests=requests,
                              description=f"random_instance(load={load}, skew={skew})",
                              job_runtime={"j0": int(t_need.max()) if n_requests else 0})
