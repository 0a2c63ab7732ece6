"""The link-layer protocols' view of the shared engine (:mod:`qdcopt.engine`).

The protocols touch a narrow interface — :meth:`EventLoop.schedule`, :meth:`EventLoop.after`,
:meth:`EventLoop.run`, :attr:`EventLoop.now`, :attr:`EventLoop.events` and
:meth:`EventLoop.rng` — which this module maps onto :class:`qdcopt.engine.Simulator` (the
event heap, its tie-break and its clock) and :class:`qdcopt.engine.Streams` (the seeded
streams).  Nothing here keeps its own heap or derives its own seeds.

Time is float seconds.  Events at the same time run in the order they were scheduled, so
a run is a pure function of its seed.  A stream is keyed by a name and integers (for
example ``rng("edge", 3)``, one edge's arrivals), so it draws the same numbers whatever the
protocol does with the others.
"""

from __future__ import annotations

import numpy as np

from qdcopt.engine import Simulator, Streams


class EventLoop(Simulator):
    """The shared event loop with the run's named seeded streams.

    Parameters
    ----------
    seed
        Seed of every stream of the run (an int or a tuple of ints).
    """

    __slots__ = ("streams",)

    schedule = Simulator.at
    """Run ``fn(*args)`` at time ``t`` (not before :attr:`now`)."""

    def __init__(self, seed: int | tuple[int, ...] = 0) -> None:
        super().__init__()
        self.streams = Streams(seed)

    @property
    def events(self) -> int:
        """Events run so far."""
        return self.events_run

    def rng(self, name: str, *key: int) -> np.random.Generator:
        """The stream called ``name`` with integer ``key`` (created on first use).

        The stream depends only on the loop's seed, the name and the key.
        """
        return self.streams.get(name, *key)
