"""What DQP and ESP share: the network, its physical layer, arrivals and the record.

:class:`LinkLayerRun` owns the event loop, the per-node clocks, each edge's attempt
period and request stream, and the physical layer.  A protocol subclass decides *when*
a request starts: it calls :meth:`LinkLayerRun.begin_generation` once both end nodes
are reserved, and is told :meth:`~LinkLayerRun.on_finished` when the last pair is
heralded.  The physical layer samples a request's attempts at creation (a geometric
number per pair), so a generation is two events — start and finish — never one per
attempt.  The run checks the link-layer invariant Σ_j x_ij ≤ 1 on every start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from qdcopt.linklayer.events import EventLoop
from qdcopt.linklayer.instance import LinkInstance
from qdcopt.linklayer.trace import Trace, draw_clocks, draw_request, edge_periods, first_gap


@dataclass
class Request:
    """A request as it lives through a run (mutable: the run stamps its times).

    Attributes
    ----------
    id
        Creation index in the run.
    edge, initiator, remote, size, attempts
        As in :class:`~qdcopt.linklayer.trace.TraceRequest`.
    created
        NL_start, seconds.
    duration
        Service time (attempts × period), seconds.
    next_gap
        Back-off the edge waits after this request completes (closed-loop traffic).
    pl_start, pl_finish
        PL_start and PL_finish (= NL_finish: the last pair is heralded), seconds.
    """

    id: int
    edge: int
    initiator: int
    remote: int
    size: int
    attempts: int
    created: float
    duration: float
    next_gap: float = math.nan
    pl_start: float = math.nan
    pl_finish: float = math.nan

    @property
    def priority(self) -> tuple[float, int, int]:
        """Order of requests by creation (ties: initiator, then id)."""
        return (self.created, self.initiator, self.id)


@dataclass
class RunRecord:
    """Everything a run leaves behind.

    Attributes
    ----------
    protocol
        Protocol name.
    duration
        Simulated seconds (``inf`` when a fixed trace was run to its end).
    clocks, periods
        Node clocks and edge attempt periods, seconds.
    requests
        Every request created, in creation order.
    events, messages
        Events processed and control messages sent.
    violations
        Invariant breaks seen on the fly (a node asked to generate twice at once).
    transitions
        ``(time, node, message, state before, state after)`` when logging was on.
    counters
        Protocol-specific counts (ESP: ``wake_timeouts``).
    """

    protocol: str
    duration: float
    clocks: tuple[float, ...]
    periods: tuple[float, ...]
    requests: list[Request]
    events: int
    messages: int
    violations: list[str] = field(default_factory=list)
    transitions: list[tuple[float, int, str, str, str]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


class LinkLayerRun:
    """A network of link-layer nodes under one protocol (subclasses implement it).

    Parameters
    ----------
    instance
        The network and its parameters.
    seed
        Seed of the run (clocks, and each edge's requests in closed-loop mode).
    trace
        A fixed trace to replay instead of the closed-loop traffic.
    log
        Keep every handled message with the state before and after.
    """

    name = "base"

    def __init__(self, instance: LinkInstance, seed: int | tuple[int, ...] = 0,
                 trace: Trace | None = None, log: bool = False) -> None:
        self.instance = instance
        self.loop = EventLoop(seed)
        self.trace = trace
        if trace is not None:
            self.clocks, self.periods = trace.clocks, trace.periods
        else:
            self.clocks = draw_clocks(self.loop, instance)
            self.periods = edge_periods(instance, self.clocks)
        self.delay = instance.hardware.message_delay
        self.generating: list[int | None] = [None] * instance.n
        self.requests: list[Request] = []
        self.messages = 0
        self.violations: list[str] = []
        self.log = log
        self.transitions: list[tuple[float, int, str, str, str]] = []
        self._horizon = math.inf

    # -- traffic --------------------------------------------------------------------------
    def _start_traffic(self) -> None:
        if self.trace is not None:
            for r in self.trace.requests:
                self.loop.schedule(r.created, self._arrive_fixed, r)
            return
        for e in range(len(self.instance.edges)):
            rng = self.loop.rng("edge", e)
            self.loop.schedule(first_gap(rng, self.instance), self._arrive_closed, e)

    def _arrive_fixed(self, r: Any) -> None:
        # Keep the trace's id so a plan made from this run names the trace's requests.
        req = Request(r.id, r.edge, r.initiator, r.remote, r.size, r.attempts,
                      self.loop.now, r.attempts * self.periods[r.edge])
        self.requests.append(req)
        self.on_arrival(req)

    def _arrive_closed(self, e: int) -> None:
        if self.loop.now >= self._horizon:
            return
        d = draw_request(self.loop.rng("edge", e), self.instance)
        u, v = self.instance.edges[e]
        a, b = (u, v) if d.initiator_first else (v, u)
        req = Request(len(self.requests), e, a, b, d.size, d.attempts, self.loop.now,
                      d.attempts * self.periods[e], d.next_gap)
        self.requests.append(req)
        self.on_arrival(req)

    # -- physical layer -------------------------------------------------------------------
    def begin_generation(self, req: Request) -> None:
        """Hand ``req`` to the physical layer now; both ends must be reserved for it."""
        for node in (req.initiator, req.remote):
            busy = self.generating[node]
            if busy is not None:
                self.violations.append(f"t={self.loop.now!r}: node {node} asked to generate "
                                       f"for request {req.id} while generating {busy}")
            self.generating[node] = req.id
        req.pl_start = self.loop.now
        self.loop.after(req.duration, self._finish, req)

    def _finish(self, req: Request) -> None:
        req.pl_finish = self.loop.now
        for node in (req.initiator, req.remote):
            self.generating[node] = None
        if self.trace is None and not math.isnan(req.next_gap):
            self.loop.after(req.next_gap, self._arrive_closed, req.edge)
        self.on_finished(req)

    # -- messaging ------------------------------------------------------------------------
    def send(self, delay: float, handler: Any, *args: Any) -> None:
        """Deliver a control message: ``handler(*args)`` after ``delay`` seconds."""
        self.messages += 1
        self.loop.after(delay, handler, *args)

    def note(self, node: int, message: str, before: str, after: str) -> None:
        """Log a handled message (when logging is on)."""
        if self.log:
            self.transitions.append((self.loop.now, node, message, before, after))

    # -- protocol hooks -------------------------------------------------------------------
    def on_arrival(self, req: Request) -> None:
        """A request was created at its initiator."""
        raise NotImplementedError

    def on_finished(self, req: Request) -> None:
        """The physical layer heralded ``req``'s last pair (both ends learn it now)."""
        raise NotImplementedError

    def counters(self) -> dict[str, int]:
        """Protocol-specific counts kept in the record."""
        return {}

    # -- running --------------------------------------------------------------------------
    def run(self, duration: float | None = None) -> RunRecord:
        """Run closed-loop traffic for ``duration`` seconds, or a fixed trace to its end.

        Parameters
        ----------
        duration
            Simulated seconds (closed loop); ignored with a fixed trace, which runs until
            every request is served.
        """
        if self.trace is None:
            if duration is None:
                raise ValueError("a closed-loop run needs a duration")
            self._horizon = duration
        self._start_traffic()
        self.loop.run(self._horizon)
        return RunRecord(self.name, self._horizon, self.clocks, self.periods, self.requests,
                         self.loop.events, self.messages, self.violations, self.transitions,
                         self.counters())
