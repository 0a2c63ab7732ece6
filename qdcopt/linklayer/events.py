"""A minimal seeded discrete-event loop: the only engine the link-layer protocols touch.

The interface is deliberately narrow — :meth:`EventLoop.schedule`, :meth:`EventLoop.after`,
:meth:`EventLoop.run`, :attr:`EventLoop.now` and :meth:`EventLoop.rng` — so that a shared
engine offering the same calls can replace this module without touching the protocols.

Time is float seconds.  Events at the same time run in the order they were scheduled (a
sequence number breaks ties), so a run is a pure function of its seed.  Random streams
are numpy generators spawned from one :class:`numpy.random.SeedSequence` and keyed by a
name and integers, so a stream (for example one edge's arrivals) draws the same numbers
whatever the protocol does with the others.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np


class EventLoop:
    """Event heap with float time, FIFO tie-break and named seeded streams.

    Parameters
    ----------
    seed
        Seed of every stream of the run (an int or a sequence of ints).
    """

    def __init__(self, seed: int | tuple[int, ...] = 0) -> None:
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = 0
        self._entropy = seed
        self._streams: dict[tuple[Any, ...], np.random.Generator] = {}
        self.now = 0.0
        self.events = 0

    def schedule(self, t: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at time ``t`` (not before :attr:`now`)."""
        if t < self.now:
            raise ValueError(f"cannot schedule at {t!r} before now ({self.now!r})")
        heapq.heappush(self._heap, (t, self._seq, fn, args))
        self._seq += 1

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` ``delay`` seconds from now."""
        self.schedule(self.now + delay, fn, *args)

    def run(self, until: float = float("inf")) -> None:
        """Process events with time ≤ ``until`` in time order; :attr:`now` ends at the last."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= until:
            t, _, fn, args = pop(heap)
            self.now = t
            fn(*args)
            self.events += 1

    @property
    def pending(self) -> int:
        """Events still in the heap."""
        return len(self._heap)

    def rng(self, name: str, *key: int) -> np.random.Generator:
        """The stream called ``name`` with integer ``key`` (created on first use).

        The stream depends only on the loop's seed, the name and the key.
        """
        k = (name, *key)
        gen = self._streams.get(k)
        if gen is None:
            entropy = self._entropy if isinstance(self._entropy, int) else list(self._entropy)
            ss = np.random.SeedSequence(entropy, spawn_key=(zlib.crc32(name.encode()), *key))
            gen = self._streams[k] = np.random.Generator(np.random.PCG64(ss))
        return gen
