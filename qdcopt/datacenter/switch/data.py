"""Preprocessing for the switch-assignment MILP: switching costs, slots, request groups, blocks.

Everything the formulation needs is derived here from a :class:`DatacenterInstance`,
in integer arithmetic (see ``models/switch.md`` for the reasoning):

* **Switching costs.**  A change between two pairs that share a QPU moves one output line
  (``t_single``), a change between disjoint pairs moves both (``t_double``).  By the
  paper's rule (the default) that is the time needed between two deliveries, whatever
  moves are made in between; an instance with ``transit_moves`` lets a change go through
  an intermediate pair without serving it (two single moves replace a double one when
  ``2 t_single < t_double``).  The change is ``d_shared`` / ``d_disjoint``; after serving
  at tick ``e`` with the old pair, the new pair can serve at ``e' ≥ e + d + 1``, i.e.
  ``delta = ceil((d + 1) / period)`` events later, which leaves ``c = delta − 1`` *dead*
  events in between.
* **Slots.**  The time axis is cut at every window start ``t_need − t_max`` and just after
  every need time (``t_need + 1``).  Inside a slot every event can serve exactly the same
  requests and every stored pair is still needed at every event, so which event of a
  slot serves which request does not matter for eligibility or memory.
* **Groups.**  Requests with the same pair and the same first and last slot are
  interchangeable; the model counts them instead of naming them.
* **Blocks.**  Requests whose windows are more than one switching time apart from all
  others form independent blocks, solved as separate models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdcopt.datacenter.events import events_between, window_events
from qdcopt.datacenter.instance import DatacenterInstance, Source


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


@dataclass(frozen=True)
class SwitchCosts:
    """Shortest pair changes of one source, in ticks and in dead events.

    Attributes
    ----------
    d_shared, d_disjoint
        Change (ticks) between pairs sharing one QPU / disjoint pairs: the net change by
        the paper's rule, the shortest chain of moves with transit moves.
    c_shared, c_disjoint
        Events that must stay unused between the last delivery of the old pair and the
        first of the new one.
    subadditive
        Whether ``c`` obeys the triangle inequality over every three pairs; then serving
        (or, with transit moves, passing through) a pair on the way never saves events and
        one run per pair and slot suffices (the slot model's paths).
    walks
        Whether the slot model must let a pair be served in several runs of one slot: by
        the paper's rule with ``c_disjoint > 2 c_shared``, serving a pair that shares a
        QPU with each of two disjoint pairs between them is quicker than changing
        directly.
    """

    d_shared: int
    d_disjoint: int
    c_shared: int
    c_disjoint: int
    subadditive: bool
    walks: bool = False

    @property
    def exact(self) -> bool:
        """Whether the slot model with these costs is exact (paths or walks)."""
        return self.subadditive or self.walks

    def dead(self, p: tuple[int, int], q: tuple[int, int]) -> int:
        """Dead events between a delivery to pair ``p`` and one to pair ``q``."""
        shared = len({p[0], p[1]} & {q[0], q[1]})
        if shared == 2:
            return 0
        return self.c_shared if shared == 1 else self.c_disjoint

    def gap(self, p: tuple[int, int], q: tuple[int, int]) -> int:
        """Smallest event-index difference between a delivery to ``p`` and one to ``q``."""
        return 1 + self.dead(p, q)

    def relaxed(self) -> SwitchCosts:
        """The largest subadditive costs not above these (a relaxation when not exact)."""
        cd = min(self.c_disjoint, 2 * self.c_shared)
        cs = min(self.c_shared, 2 * cd)
        return SwitchCosts(self.d_shared, self.d_disjoint, cs, cd, True)


def switch_costs(source: Source, transit_moves: bool = False) -> SwitchCosts:
    """Changes of ``source``'s switch between two deliveries.

    By the paper's rule (``transit_moves=False``) a change between pairs sharing a QPU
    takes ``t_single`` and one between disjoint pairs ``t_double``, whatever moves are
    made in between.  With transit moves a change may pass through pairs it does not
    serve: between sharing pairs, through a pair disjoint from both (needs five ports),
    ``2 t_double``; between disjoint pairs, through a pair that shares one QPU with each,
    ``2 t_single``; longer detours are never shorter than these.
    """
    m = len(source.ports)
    ts, td = source.t_single, source.t_double
    if transit_moves:
        d_sh = min(ts, 2 * td) if m >= 5 else ts
        d_dj = min(td, 2 * ts)
    else:
        d_sh, d_dj = ts, td
    per = source.period
    c_sh = _ceil_div(d_sh + 1, per) - 1
    c_dj = _ceil_div(d_dj + 1, per) - 1
    ok = c_dj <= 2 * c_sh and (m < 5 or c_sh <= 2 * c_dj)
    return SwitchCosts(d_sh, d_dj, c_sh, c_dj, ok, walks=not transit_moves and not ok)


@dataclass(frozen=True, eq=False)
class BlockData:
    """One independent block of requests, ready for the formulation.

    Attributes
    ----------
    requests
        Instance positions of the block's servable requests.
    breakpoints
        Slot ``i`` is the time interval ``[breakpoints[i], breakpoints[i+1])``.
    pairs
        Distinct QPU pairs (rows ``(a, b)``, ``a < b``) of the block.
    group_pair, group_first, group_last
        Per group: pair index, first and last slot of its window.
    group_members
        Per group: instance positions of its requests, by need time.
    n_events, first_event
        Per source and slot: events of the source inside the slot and the first one's index.
    reach
        Per pair: indices of the sources whose switch reaches both QPUs.
    """

    requests: np.ndarray
    breakpoints: np.ndarray
    pairs: np.ndarray
    group_pair: np.ndarray
    group_first: np.ndarray
    group_last: np.ndarray
    group_members: tuple[np.ndarray, ...]
    n_events: np.ndarray
    first_event: np.ndarray
    reach: tuple[tuple[int, ...], ...]

    @property
    def n_slots(self) -> int:
        """Number of slots."""
        return len(self.breakpoints) - 1

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.group_pair)

    def group_size(self) -> np.ndarray:
        """Requests per group."""
        return np.array([len(m) for m in self.group_members], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SwitchData:
    """Preprocessed instance.

    Attributes
    ----------
    instance
        The instance.
    costs
        Switching costs per source.
    unservable
        Instance positions of requests no plan can serve.
    unservable_reason
        Their rejection reason (``"no-source"`` or ``"no-event"``).
    blocks
        Independent blocks of the other requests, in time order.
    """

    instance: DatacenterInstance
    costs: tuple[SwitchCosts, ...]
    unservable: np.ndarray
    unservable_reason: np.ndarray
    blocks: tuple[BlockData, ...]

    @property
    def exact(self) -> bool:
        """Whether the slot formulation is exact for every source."""
        return all(c.exact for c in self.costs)


def _windows(instance: DatacenterInstance) -> tuple[np.ndarray, np.ndarray]:
    """Per request: bit mask of sources that can serve it (reach and an event in window)."""
    req = instance.requests
    n = len(req)
    reach = np.zeros(n, dtype=bool)
    usable = np.zeros((len(instance.sources), n), dtype=bool)
    for si, s in enumerate(instance.sources):
        ports = np.zeros(instance.n_qpus, dtype=bool)
        ports[list(s.ports)] = True
        ok = ports[req.a] & ports[req.b]
        reach |= ok
        k_lo, k_hi = window_events(req.t_need, instance.t_max, s.start, s.period)
        usable[si] = ok & (k_lo <= k_hi)
    return reach, usable


def preprocess(instance: DatacenterInstance, *, split_blocks: bool = True) -> SwitchData:
    """Costs, unservable requests and independent blocks of ``instance``.

    Parameters
    ----------
    instance
        The instance.
    split_blocks
        Cut the requests into independent time blocks (``False``: one block).

    Returns
    -------
    SwitchData
    """
    req = instance.requests
    costs = tuple(switch_costs(s, instance.transit_moves) for s in instance.sources)
    reach, usable = _windows(instance)
    servable = usable.any(axis=0)
    bad = np.flatnonzero(~servable)
    reasons = np.where(reach[bad], "no-event", "no-source").astype(object)
    good = np.flatnonzero(servable)
    if len(good) == 0:
        return SwitchData(instance, costs, bad, reasons, ())
    lo = req.t_need[good] - instance.t_max
    hi = req.t_need[good]
    order = np.lexsort((hi, lo))
    good, lo, hi = good[order], lo[order], hi[order]
    # Blocks are independent when the next window opens more than one full switching
    # time after every earlier window closed: any change fits in between, and no stored
    # pair of one block is alive during the other.
    d_max = max(max(c.d_shared, c.d_disjoint) for c in costs)
    run_end = np.maximum.accumulate(hi)
    cut = np.r_[False, lo[1:] > run_end[:-1] + d_max] if split_blocks else np.zeros(len(lo), bool)
    starts = np.flatnonzero(np.r_[True, cut[1:]])
    bounds = np.r_[starts, len(good)]
    blocks = tuple(_block(instance, good[bounds[b]:bounds[b + 1]])
                   for b in range(len(starts)))
    return SwitchData(instance, costs, bad, reasons, blocks)


def _block(instance: DatacenterInstance, members: np.ndarray) -> BlockData:
    req = instance.requests
    t_need = req.t_need[members]
    lo = t_need - instance.t_max
    bp = np.unique(np.concatenate([lo, t_need + 1]))
    first = np.searchsorted(bp, lo)
    last = np.searchsorted(bp, t_need + 1) - 1
    pair_keys = req.a[members].astype(np.int64) * instance.n_qpus + req.b[members]
    upairs, pair_idx = np.unique(pair_keys, return_inverse=True)
    pairs = np.stack([upairs // instance.n_qpus, upairs % instance.n_qpus], axis=1)
    # Groups: same pair, same first and last slot (and the same usable sources, which
    # follows from the pair and the window on a fixed grid).
    gkey = np.stack([pair_idx, first, last], axis=1)
    ukeys, ginv = np.unique(gkey, axis=0, return_inverse=True)
    ginv = ginv.reshape(-1)
    order = np.lexsort((t_need, ginv))
    split = np.flatnonzero(np.diff(ginv[order])) + 1
    group_members = tuple(members[part] for part in np.split(order, split))
    n_src = len(instance.sources)
    n_slots = len(bp) - 1
    n_events = np.zeros((n_src, n_slots), dtype=np.int64)
    first_event = np.zeros((n_src, n_slots), dtype=np.int64)
    for si, s in enumerate(instance.sources):
        k0, k1 = events_between(bp[:-1], bp[1:] - 1, s.start, s.period)
        n_events[si] = np.maximum(0, k1 - k0 + 1)
        first_event[si] = k0
    reach = []
    for a, b in pairs.tolist():
        reach.append(tuple(si for si, s in enumerate(instance.sources)
                           if a in s.ports and b in s.ports))
    return BlockData(requests=members, breakpoints=bp, pairs=pairs,
                     group_pair=ukeys[:, 0], group_first=ukeys[:, 1], group_last=ukeys[:, 2],
                     group_members=group_members, n_events=n_events, first_event=first_event,
                     reach=tuple(reach))
