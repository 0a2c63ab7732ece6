"""A minimal seeded-order event loop on a binary heap (float seconds).

Events at the same time run by priority, then in the order they were scheduled, so a
run is reproducible.  The interface is two calls — :meth:`EventLoop.at` and
:meth:`EventLoop.run` — so another engine can take its place.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class EventLoop:
    """Events ``(time, priority, kind, payload)`` handled in time order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, str, Any]] = []
        self._seq = 0
        self.now = 0.0
        self.handled = 0

    def at(self, time: float, kind: str, payload: Any = None, priority: int = 0) -> None:
        """Schedule an event; ``time`` may not lie in the past."""
        if time < self.now:
            raise ValueError(f"event {kind!r} at {time} is before now ({self.now})")
        heapq.heappush(self._heap, (time, priority, self._seq, kind, payload))
        self._seq += 1

    def run(self, until: float, handle: Callable[[str, Any], None]) -> None:
        """Handle every event up to time ``until`` (inclusive), in order."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            time, _, _, kind, payload = heapq.heappop(heap)
            self.now = time
            self.handled += 1
            handle(kind, payload)
        self.now = max(self.now, until)
