"""What one seeded execution measures: :class:`RunStats`.

While a run goes on, its per-request and per-node counters are plain Python lists
(:meth:`RunStats.counting`); :meth:`RunStats.freeze` turns them into numpy arrays when the
run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RunStats:
    """What one seeded run measured.

    Attributes
    ----------
    duration
        Simulated seconds.
    delivered, fidelity_sum, latencies, fidelities
        Per request: pairs delivered, sum of their fidelities, every latency (between
        deliveries; with a request stream, from a request's arrival to its delivery) and
        every delivered fidelity.
    expired
        Per request: pairs discarded by a cut-off (root pairs included).
    memory_area
        Per request: memory-seconds held by its pairs.
    generated
        Link pairs heralded (all trees).
    swaps, swap_failures
        Swaps performed and failed.
    total_memory_area, total_memories
        Memory-seconds in use over the run, memories in the network.
    peak_memory
        Largest number of memories in use at each node.
    events
        Events the loop ran.
    predistributed, predist_used, stock_expired
        Pre-distributed pairs made, those taken into a request's tree, and those
        discarded from stock by the stock cut-off.
    start
        When requests started (after a one-time pre-distribution batch; else 0).
    arrivals, unserved, surplus
        Request stream: requests that arrived, those still waiting at the end, and pairs
        delivered with no request waiting (their memories are freed at once).
    link_expired
        Dynamic connectionless baseline: link pairs discarded by their cut-off before any
        chain took them (they belong to no request, so ``expired`` leaves them out).
    central_queries, central_wait
        Centralised baseline: queries sent to the central GEM, and the seconds they spent
        waiting for its server in all (0 when ``central_service_time`` is 0).
    trace
        The event trace when asked for.
    """

    duration: float
    delivered: np.ndarray
    fidelity_sum: np.ndarray
    latencies: list[list[float]]
    fidelities: list[list[float]]
    expired: np.ndarray
    memory_area: np.ndarray
    generated: int = 0
    swaps: int = 0
    swap_failures: int = 0
    total_memory_area: float = 0.0
    total_memories: int = 0
    peak_memory: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    events: int = 0
    predistributed: int = 0
    predist_used: int = 0
    stock_expired: int = 0
    start: float = 0.0
    arrivals: int = 0
    unserved: int = 0
    surplus: int = 0
    link_expired: int = 0
    central_queries: int = 0
    central_wait: float = 0.0
    trace: list[tuple] = field(default_factory=list)

    @classmethod
    def counting(cls, duration: float, requests: int, nodes: int, memories: int,
                 ) -> RunStats:
        """Zeroed measurements for a run about to start.

        The array counters are plain lists until :meth:`freeze`: a run updates them one
        element at a time, which is slow on numpy arrays.

        Parameters
        ----------
        duration
            Simulated seconds the run measures.
        requests
            Number of requests (length of the per-request counters).
        nodes
            Number of nodes (length of ``peak_memory``).
        memories
            Memories in the network.

        Returns
        -------
        RunStats
        """
        return cls(duration=duration, delivered=[0] * requests,
                   fidelity_sum=[0.0] * requests, latencies=[[] for _ in range(requests)],
                   fidelities=[[] for _ in range(requests)], expired=[0] * requests,
                   memory_area=[0.0] * requests, total_memories=memories,
                   peak_memory=[0] * nodes)

    def freeze(self) -> None:
        """Turn the list counters of a finished run into numpy arrays."""
        self.delivered = np.array(self.delivered, dtype=np.int64)
        self.fidelity_sum = np.array(self.fidelity_sum, dtype=float)
        self.expired = np.array(self.expired, dtype=np.int64)
        self.memory_area = np.array(self.memory_area, dtype=float)
        self.peak_memory = np.array(self.peak_memory, dtype=np.int64)
