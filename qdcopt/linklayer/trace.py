"""Requests of the link layer, how each edge draws them, and a realised trace.

Every edge owns one random stream (``"edge", e``) and draws, per request and always in
the same order: which end initiates, the size ``|R|`` (uniform), the attempts of each pair
(geometric with success ``p``, summed) and the back-off that follows the request's
completion (exponential).  Because the draws of a stream do not depend on the protocol,
DQP, ESP and the schedulers see the same k-th request on every edge (common random
numbers), and the service time ``attempts × period`` of each request is known as soon as
it exists — the knowledge the offline optimum is allowed to use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdcopt.linklayer import physics
from qdcopt.linklayer.events import EventLoop
from qdcopt.linklayer.instance import LinkInstance


@dataclass(frozen=True)
class Draw:
    """One request's random numbers on its edge."""

    initiator_first: bool
    size: int
    attempts: int
    next_gap: float


@dataclass(frozen=True)
class TraceRequest:
    """A realised request: who, when, how much work.

    Attributes
    ----------
    id
        Index in the trace.
    edge
        Edge index in the instance.
    initiator, remote
        End nodes (indices); the initiator asked for it.
    size
        Pairs requested.
    attempts
        Attempts the physical layer will need for all its pairs.
    created
        Arrival time, seconds.
    """

    id: int
    edge: int
    initiator: int
    remote: int
    size: int
    attempts: int
    created: float


@dataclass(frozen=True)
class Trace:
    """A realised arrival trace with per-node clocks (so each request's duration is fixed).

    Attributes
    ----------
    clocks
        Clock cycle of each node, seconds.
    periods
        Attempt period of each edge, seconds.
    requests
        Requests in arrival order.
    """

    clocks: tuple[float, ...]
    periods: tuple[float, ...]
    requests: tuple[TraceRequest, ...]

    def duration(self, r: TraceRequest) -> float:
        """Service time of request ``r``: its attempts times its edge's period."""
        return r.attempts * self.periods[r.edge]


def first_gap(rng: np.random.Generator, instance: LinkInstance) -> float:
    """Back-off before an edge's first request."""
    return float(rng.exponential(instance.traffic.backoff_mean))


def draw_request(rng: np.random.Generator, instance: LinkInstance) -> Draw:
    """The random numbers of one request on an edge, in their fixed order."""
    tr = instance.traffic
    first = bool(rng.random() < 0.5)
    size = int(rng.integers(tr.size_min, tr.size_max + 1))
    attempts = int(rng.geometric(instance.success_probability, size).sum())
    gap = float(rng.exponential(tr.backoff_mean))
    return Draw(first, size, attempts, gap)


def draw_clocks(loop: EventLoop, instance: LinkInstance) -> tuple[float, ...]:
    """Each node's clock cycle, uniform in ``[clock_min, clock_max]``."""
    hw = instance.hardware
    return tuple(float(x) for x in loop.rng("clocks").uniform(hw.clock_min, hw.clock_max,
                                                               instance.n))


def edge_periods(instance: LinkInstance, clocks: tuple[float, ...]) -> tuple[float, ...]:
    """Attempt period of each edge."""
    rt = instance.hardware.round_trip
    return tuple(physics.attempt_period(clocks[u], clocks[v], rt) for u, v in instance.edges)


def realise_trace(instance: LinkInstance, duration: float | None = None,
                  seed: int | None = None) -> Trace:
    """The fixed trace that ``solve`` and ``compare`` replay.

    Each edge issues requests as the paper's traffic does, but open-loop: request k + 1
    arrives its back-off after request k *would* complete on an otherwise idle network
    (its own service time).  Contention then only delays service, never arrivals, so
    every method faces the same requests at the same times.

    Parameters
    ----------
    instance
        The instance.
    duration
        Arrivals in ``[0, duration)``; the instance's ``trace.duration`` by default.
    seed
        The instance's ``trace.seed`` by default.

    Returns
    -------
    Trace
    """
    duration = instance.trace.duration if duration is None else duration
    seed = instance.trace.seed if seed is None else seed
    loop = EventLoop(seed)
    clocks = draw_clocks(loop, instance)
    periods = edge_periods(instance, clocks)
    raw = []
    for e, (u, v) in enumerate(instance.edges):
        rng = loop.rng("edge", e)
        t = first_gap(rng, instance)
        while t < duration:
            d = draw_request(rng, instance)
            a, b = (u, v) if d.initiator_first else (v, u)
            raw.append((t, e, a, b, d.size, d.attempts))
            t += d.attempts * periods[e] + d.next_gap
    raw.sort(key=lambda x: (x[0], x[1]))
    reqs = tuple(TraceRequest(i, e, a, b, s, n, t) for i, (t, e, a, b, s, n) in enumerate(raw))
    return Trace(clocks=clocks, periods=periods, requests=reqs)
