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


ARRIVALS = ("uncontended", "greedy")


def realise_trace(instance: LinkInstance, duration: float | None = None,
                  seed: int | None = None, arrivals: str | None = None) -> Trace:
    """The fixed trace that ``solve`` and ``compare`` replay.

    Each edge issues requests as the paper's traffic does — the next one a back-off after
    the previous one completes — but the completions that pace the arrivals are those of
    a reference, not of the method being judged, so every method faces the same requests
    at the same times (contention then delays service, never arrivals):

    * ``"greedy"`` (default): after request k completes under a zero-delay greedy
      matching controller run in closed loop — the load then regulates itself as in the
      paper's runs;
    * ``"uncontended"``: request k + 1 arrives its back-off after request k *would*
      complete on an otherwise idle network (creation + own service time) — a heavier
      load, which grows without bound at nodes of degree four or more on long traces.

    Parameters
    ----------
    instance
        The instance.
    duration
        Arrivals in ``[0, duration)``; the instance's ``trace.duration`` by default.
    seed
        The instance's ``trace.seed`` by default.
    arrivals
        ``"uncontended"`` or ``"greedy"``; the instance's ``trace.arrivals`` by default.

    Returns
    -------
    Trace
    """
    duration = instance.trace.duration if duration is None else duration
    seed = instance.trace.seed if seed is None else seed
    arrivals = instance.trace.arrivals if arrivals is None else arrivals
    if arrivals not in ARRIVALS:
        raise ValueError(f"arrivals must be one of {', '.join(ARRIVALS)}, got {arrivals!r}")
    loop = EventLoop(seed)
    clocks = draw_clocks(loop, instance)
    periods = edge_periods(instance, clocks)
    if arrivals == "greedy":
        raw = _greedy_closed_loop(instance, loop, periods, duration)
    else:
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


def _greedy_closed_loop(instance: LinkInstance, loop: EventLoop, periods: tuple[float, ...],
                        duration: float) -> list[tuple[float, int, int, int, int, int]]:
    """Arrivals of the paper's closed-loop traffic paced by a zero-delay greedy controller.

    Whenever a request arrives or a generation ends, waiting requests are offered free
    nodes in arrival order; an edge's next request arrives its back-off after the
    previous one completes.  Only the arrivals are kept.  The run is a sequence of events
    on ``loop``: at one instant, generations end (priority 0) before requests arrive
    (priority 1), and nothing starts until every event of the instant has run.
    """
    free = [True] * instance.n
    waiting: list[tuple[float, int, int, int, float, float]] = []
    out: list[tuple[float, int, int, int, int, int]] = []

    def settle() -> None:
        t = loop.now
        if loop.peek() == t:
            return   # settle every event of this instant before starting generations
        keep = []
        for w in waiting:
            _, we, a, b, service, gap = w
            if free[a] and free[b]:
                free[a] = free[b] = False
                end = t + service
                loop.at(end, finish, we, priority=0)
                loop.at(end + gap, arrive, we, priority=1)
            else:
                keep.append(w)
        waiting[:] = keep

    def finish(e: int) -> None:
        u, v = instance.edges[e]
        free[u] = free[v] = True
        settle()

    def arrive(e: int) -> None:
        t = loop.now
        if t >= duration:
            return
        d = draw_request(loop.rng("edge", e), instance)
        u, v = instance.edges[e]
        a, b = (u, v) if d.initiator_first else (v, u)
        out.append((t, e, a, b, d.size, d.attempts))
        waiting.append((t, e, a, b, d.attempts * periods[e], d.next_gap))
        settle()

    for e in range(len(instance.edges)):
        loop.at(first_gap(loop.rng("edge", e), instance), arrive, e, priority=1)
    loop.run()
    return out
