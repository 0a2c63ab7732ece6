"""The Global Entanglement Module: every node's replica of the network's live pairs.

Paper 003 (§III-C, §IV-D) keeps at each node a replica of all active pairs (ends,
request, fidelity, age), synchronised by broadcasting every creation and consumption.
A broadcast from node ``x`` reaches node ``y`` after ``scale · d(x, y) / c`` (fibre
distance over signal speed; ``scale = 0`` is the ideal, instantly consistent GEM).

Broadcast is exact but lazy here: rather than one delivery event per node and update
(10⁴ events per update at 100 nodes), each record keeps when and where it was created
and retired, and a node's replica at time ``t`` is computed from those stamps — the same
set the node would hold had every broadcast been delivered as an event.
:meth:`GEM.replica` materialises one node's replica; :meth:`GEM.sees` answers the
queries policies make.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

_SWEEP_EVERY = 1024  # retirements between sweeps of forgotten records


@dataclass
class Record:
    """One pair as the GEM knows it.

    Attributes
    ----------
    pair
        Pair id.
    key
        ``(tree, i, j)``: the tree and the route segment the pair spans.
    birth
        Heralding time of its oldest link pair.
    created, origin
        When and at which node its creation was announced.
    retired, retired_at
        When and at which node its consumption or loss was announced (``inf``, -1
        while alive).
    """

    pair: int
    key: tuple[int, int, int]
    birth: float
    created: float
    origin: int
    retired: float = math.inf
    retired_at: int = -1


@dataclass
class GEM:
    """Replicated pair records with broadcast delays.

    Queries are about live pairs or for the time of the latest announcement or later (as
    in a running simulation): records whose retirement every node has seen are forgotten.

    Parameters
    ----------
    delay
        ``delay[x, y]``: seconds for an update from node ``x`` to reach node ``y``
        (also kept as nested lists, ``lag[x][y]``, for fast lookups).
    """

    delay: np.ndarray
    records: dict[int, Record] = field(default_factory=dict)
    by_key: dict[tuple[int, int, int], list[Record]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # time for an update from each node to reach every node
        reach = self.delay.max(axis=1) if self.delay.size else np.zeros(0)
        # lookups from plain lists of floats: numpy indexing and numpy scalars are slow
        # one at a time, and numpy scalars would leak into the event times
        self._reach = reach.tolist()
        self.lag: list[list[float]] = self.delay.tolist()
        self._retired = 0

    @classmethod
    def from_distances(cls, distance_km: np.ndarray, speed_km_s: float,
                       scale: float) -> GEM:
        """A GEM whose updates travel at ``speed`` over fibre distances, times ``scale``."""
        d = np.where(np.isfinite(distance_km), distance_km, 0.0)
        return cls(delay=(scale / speed_km_s) * d)

    def publish(self, pair: int, key: tuple[int, int, int], birth: float, time: float,
                origin: int) -> None:
        """Announce a new pair from ``origin`` at ``time``."""
        rec = Record(pair=pair, key=key, birth=birth, created=time, origin=origin)
        self.records[pair] = rec
        self.by_key.setdefault(key, []).append(rec)

    def retire(self, pair: int, time: float, origin: int) -> None:
        """Announce that ``pair`` was consumed or lost, from ``origin`` at ``time``."""
        rec = self.records.get(pair)
        if rec is not None and rec.retired_at < 0:
            rec.retired = time
            rec.retired_at = origin
            self._retired += 1
            if self._retired % _SWEEP_EVERY == 0:
                self._forget(time)

    def _forget(self, time: float) -> None:
        """Drop the records whose retirement every node has seen by ``time``.

        Announcements come in time order, so no later query can see them again; without
        this the records of a long run pile up (policies that never call :meth:`sees`
        would keep every pair ever made, and Python's collector walks them all).
        """
        reach = self._reach
        for key, recs in list(self.by_key.items()):
            alive = [r for r in recs
                     if r.retired_at < 0 or time < r.retired + reach[r.retired_at]]
            if len(alive) != len(recs):
                if alive:
                    self.by_key[key] = alive
                else:
                    del self.by_key[key]
        gone = [pid for pid, r in self.records.items()
                if r.retired_at >= 0 and time >= r.retired + reach[r.retired_at]]
        for pid in gone:
            del self.records[pid]

    def visible(self, rec: Record, node: int, time: float) -> bool:
        """Whether ``node``'s replica holds ``rec`` at ``time``."""
        if time < rec.created + self.lag[rec.origin][node]:
            return False
        return not (rec.retired_at >= 0 and time >= rec.retired + self.lag[rec.retired_at][node])

    def sees(self, node: int, time: float, key: tuple[int, int, int]) -> bool:
        """Whether ``node``'s replica holds a pair for ``key`` at ``time``."""
        recs = self.by_key.get(key)
        if not recs:
            return False
        alive = []
        found = False
        for rec in recs:
            # records whose retirement every node has seen can be dropped
            if rec.retired_at >= 0 and time >= rec.retired + self._reach[rec.retired_at]:
                self.records.pop(rec.pair, None)
                continue
            alive.append(rec)
            if not found and self.visible(rec, node, time):
                found = True
        if len(alive) != len(recs):
            self.by_key[key] = alive
        return found

    def replica(self, node: int, time: float) -> list[Record]:
        """Every record ``node``'s replica holds at ``time``, by pair id."""
        return [rec for _, rec in sorted(self.records.items()) if self.visible(rec, node, time)]
