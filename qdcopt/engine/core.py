"""The event loop: a binary heap of timed callbacks.

Time is a float number of seconds.  The planning side of qdcopt keeps exact integer
ticks because its validator compares event times for equality; a stochastic execution
never does: its times are sums of sampled continuous waits (exponential or geometric ×
attempt period), so two events coincide only by construction, and then the order is
fixed by the sequence counter, not by the float.  A double keeps a relative precision
of 1e-16, i.e. below a picosecond over a simulated day — far below every physical time
the simulations use (≥ 1 ns) — so floats lose nothing here and keep the loop fast.

Ties: events at the same time run in the order they were scheduled (a strictly
increasing sequence number is the heap's second key), so a run is a deterministic
function of its seed.  Cancellation is lazy: a cancelled event stays in the heap and is
skipped when it surfaces, which keeps ``cancel`` O(1).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

_push = heapq.heappush

TraceHook = Callable[[float, "Event"], None]


class Event:
    """A scheduled callback (returned by :meth:`Simulator.at`; pass it to ``cancel``).

    Attributes
    ----------
    time
        When it runs, seconds.
    seq
        Its scheduling order (the tie-breaker).
    fn, args
        The callback and its arguments.
    cancelled
        Set by :meth:`Simulator.cancel`.
    """

    __slots__ = ("args", "cancelled", "fn", "seq", "time")

    def __init__(self, time: float, seq: int, fn: Callable[..., Any], args: tuple) -> None:
        self.time = time
        self.seq = seq
        self.fn = fn
        self.args = args
        self.cancelled = False

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", repr(self.fn))
        return f"Event(t={self.time:.9g}, seq={self.seq}, {name})"


class Simulator:
    """A discrete-event loop in continuous time.

    Parameters
    ----------
    trace
        Optional hook called as ``trace(time, event)`` before each event runs.

    Examples
    --------
    >>> sim = Simulator()
    >>> out = []
    >>> _ = sim.at(2.0, out.append, "b")
    >>> _ = sim.after(1.0, out.append, "a")
    >>> sim.run()
    2
    >>> out
    ['a', 'b']
    """

    __slots__ = ("_heap", "_seq", "_stop", "events_run", "now", "trace")

    def __init__(self, trace: TraceHook | None = None) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Event]] = []
        self._seq = 0
        self.events_run = 0
        self.trace = trace
        self._stop = False

    def at(self, time: float, fn: Callable[..., Any], *args: Any) -> Event:
        """Schedule ``fn(*args)`` at absolute ``time`` (not before now).

        Raises
        ------
        ValueError
            When ``time`` is earlier than the current time or not a number.
        """
        if not time >= self.now:  # also catches NaN
            raise ValueError(f"cannot schedule at {time!r}, before now ({self.now!r})")
        seq = self._seq = self._seq + 1
        event = Event(time, seq, fn, args)
        _push(self._heap, (time, seq, event))
        return event

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> Event:
        """Schedule ``fn(*args)`` after ``delay`` seconds (``delay ≥ 0``)."""
        # the body of `at`, inline: this is the loop's most frequent call
        time = self.now + delay
        if not time >= self.now:  # also catches NaN and negative delays
            raise ValueError(f"cannot schedule at {time!r}, before now ({self.now!r})")
        seq = self._seq = self._seq + 1
        event = Event(time, seq, fn, args)
        _push(self._heap, (time, seq, event))
        return event

    @staticmethod
    def cancel(event: Event | None) -> None:
        """Cancel a scheduled event (no effect on ``None`` or an event that already ran)."""
        if event is not None:
            event.cancelled = True

    def stop(self) -> None:
        """Make the current :meth:`run` return after the event that is running."""
        self._stop = True

    def pending(self) -> int:
        """Events in the heap, cancelled ones included."""
        return len(self._heap)

    def peek(self) -> float:
        """Time of the next live event, ``inf`` when none."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else math.inf

    def run(self, until: float = math.inf, max_events: int | None = None) -> int:
        """Run events in time order up to and including ``until``.

        Parameters
        ----------
        until
            Stop before the first event later than this; the clock is then set to
            ``until`` (when finite), so that time-averages can be closed there.
        max_events
            Stop after this many events (a guard for tests).

        A callback may call :meth:`stop` to end the run after it (the clock then stays at
        that event's time).

        Returns
        -------
        int
            Number of events run by this call.
        """
        heap = self._heap
        pop = heapq.heappop
        trace = self.trace
        count = 0
        limit = math.inf if max_events is None else max_events
        self._stop = False
        while heap and count < limit and not self._stop:
            time, _, event = heap[0]
            if time > until:
                break
            pop(heap)
            if event.cancelled:
                continue
            self.now = time
            if trace is not None:
                trace(time, event)
            event.fn(*event.args)
            count += 1
        if math.isfinite(until) and until > self.now and count < limit and not self._stop:
            self.now = until
        self.events_run += count
        return count
