"""The CP-SAT model of switch assignment: build, hint, read (``models/switch.md`` §9).

One model per independent block, at event level: an optional delivery per (request,
source) whose event is an integer variable, and per source a circuit through the
deliveries in time order whose arcs carry the switching gap of consecutive deliveries
(the paper's net-change rule, or the shortest change with transit moves).  Every feasible
point is a valid plan with as many deliveries, and every valid plan maps to a feasible
point (up to the symmetry of identical requests, which the model breaks).  The method
that solves it is :mod:`qdcopt.datacenter.switch.cpsat`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from qdcopt.datacenter.events import window_events
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.switch.data import BlockData, SwitchCosts

Delivery = tuple[int, int, int]
"""(request position, source index, event index)."""


@dataclass
class _Node:
    """One optional delivery of one request by one source."""

    request: int
    pair: tuple[int, int]
    lo: int
    hi: int
    present: cp_model.IntVar
    t: cp_model.IntVar


@dataclass
class BlockModel:
    """A block's CP-SAT model and the variables a solution and a hint are read from.

    Attributes
    ----------
    model
        The CP-SAT model.
    nodes
        Per source: its optional deliveries.
    arcs
        Per source: ``(tail, head) → literal`` of the circuit (node 0 is the depot,
        ``1..n`` the deliveries, then the hubs).
    hubs
        Per source: ``(first event, hub time variables)``; hub ``b`` stands for events
        ``first + b·G .. first + (b+1)·G − 1``.
    gap_long
        Per source: ``G = 1 + max dead events``; deliveries at least ``G`` events apart
        are compatible whatever their pairs.
    served
        The served-request literals (the objective is their sum).
    aggregated
        Request → its served literal, where several sources can serve it (the sum of
        its presences; elsewhere the presence is the served literal).
    twins
        Groups of identical requests (same pair, same need time), in the order the model
        serves them.
    """

    model: cp_model.CpModel
    nodes: list[list[_Node]]
    arcs: list[dict[tuple[int, int], cp_model.IntVar]]
    hubs: list[tuple[int, list[cp_model.IntVar]]]
    gap_long: list[int]
    served: list[cp_model.IntVar]
    aggregated: dict[int, cp_model.IntVar]
    twins: list[list[int]] = field(default_factory=list)


def build_block_model(instance: DatacenterInstance, block: BlockData,
                      costs: tuple[SwitchCosts, ...], cap: np.ndarray) -> BlockModel:
    """The CP-SAT model of one block (formulation: ``models/switch.md`` §9).

    Parameters
    ----------
    instance
        The instance.
    block
        One independent block (:func:`~qdcopt.datacenter.switch.data.preprocess`).
    costs
        True switching costs per source (consecutive deliveries to pairs ``p`` then ``q``
        are at least ``costs.gap(p, q)`` events apart).
    cap
        Communication qubits per QPU (a large number for unlimited).

    Returns
    -------
    BlockModel
    """
    req = instance.requests
    m = cp_model.CpModel()
    n_src = len(instance.sources)
    members = [int(r) for r in block.requests.tolist()]
    pair_of = {r: (int(req.a[r]), int(req.b[r])) for r in members}
    # identical requests (same pair and need time) are interchangeable: the model serves
    # a prefix of each group, and, on one source, in time order
    by_key: dict[tuple[int, int, int], list[int]] = {}
    for r in members:
        by_key.setdefault((*pair_of[r], int(req.t_need[r])), []).append(r)
    twins = [sorted(g) for g in by_key.values() if len(g) > 1]
    twin_next = {g[k]: g[k + 1] for g in twins for k in range(len(g) - 1)}
    twin_pos = {r: (gi, k) for gi, g in enumerate(twins) for k, r in enumerate(g)}
    nodes: list[list[_Node]] = [[] for _ in range(n_src)]
    per_request: dict[int, list[cp_model.IntVar]] = {r: [] for r in members}
    for si, src in enumerate(instance.sources):
        ports = set(src.ports)
        rs = [r for r in members if pair_of[r][0] in ports and pair_of[r][1] in ports]
        if not rs:
            continue
        need = req.t_need[np.array(rs, dtype=np.int64)]
        lo, hi = window_events(need, instance.t_max, src.start, src.period)
        for r, a, b in zip(rs, lo.tolist(), hi.tolist(), strict=True):
            if a > b:
                continue
            x = m.new_bool_var(f"x_{r}_{si}")
            t = m.new_int_var(a, b, f"t_{r}_{si}")
            nodes[si].append(_Node(r, pair_of[r], a, b, x, t))
            per_request[r].append(x)
    served = []
    aggregated: dict[int, cp_model.IntVar] = {}
    for r in members:
        lits = per_request[r]
        if len(lits) == 1:
            served.append(lits[0])
        else:
            s = aggregated[r] = m.new_bool_var(f"s_{r}")
            m.add(sum(lits) == s)
            served.append(s)
    served_of = dict(zip(members, served, strict=True))
    for r, nxt in twin_next.items():
        m.add_implication(served_of[nxt], served_of[r])
    if n_src == 1:
        # one source: the served twins also come in time order
        node_of = {nd.request: nd for nd in nodes[0]}
        for r, nxt in twin_next.items():
            if r in node_of and nxt in node_of:
                m.add(node_of[nxt].t >= node_of[r].t + 1).only_enforce_if(
                    node_of[nxt].present)
    arcs: list[dict[tuple[int, int], cp_model.IntVar]] = []
    hubs: list[tuple[int, list[cp_model.IntVar]]] = []
    gap_long: list[int] = []
    for si in range(n_src):
        a_s, h_s, g_s = _source_circuit(m, nodes[si], costs[si], twin_pos,
                                        single=n_src == 1)
        arcs.append(a_s)
        hubs.append(h_s)
        gap_long.append(g_s)
        # redundant: one delivery per event (the circuit implies it); gives CP-SAT its
        # scheduling propagation and energy reasoning over events
        if len(nodes[si]) > 1:
            m.add_no_overlap([m.new_optional_fixed_size_interval_var(
                nd.t, 1, nd.present, f"e_{nd.request}_{si}") for nd in nodes[si]])
    _memory(m, instance, block, nodes, cap)
    m.maximize(sum(served))
    return BlockModel(m, nodes, arcs, hubs, gap_long, served, aggregated, twins)


def _source_circuit(m: cp_model.CpModel, nodes: list[_Node], costs: SwitchCosts,
                    twin_pos: dict[int, tuple[int, int]], single: bool,
                    ) -> tuple[dict[tuple[int, int], cp_model.IntVar],
                               tuple[int, list[cp_model.IntVar]], int]:
    """One source's deliveries in time order: a circuit through the depot, the present
    deliveries and the hubs, each arc forcing the gap its two ends need.

    Two consecutive deliveries closer than ``G`` events are joined by a direct arc
    carrying their gap.  Deliveries ``G`` or more events apart need no gap beyond that,
    whatever their pairs, and are joined through a chain of hubs instead (hub ``b`` stands
    for one stretch of ``G`` events; the chain's times rise from the tail's event + ``G``
    to the head's event), so that the arcs number about the requests whose windows meet
    within ``G`` events of each other, not all pairs of requests.  Without dead events
    (``G = 1``) no circuit is needed: distinct events are the whole rule.
    """
    n = len(nodes)
    c_max = max(costs.c_shared, costs.c_disjoint)
    if n == 0 or c_max == 0:
        # every change fits between two events: distinct events (the no-overlap) suffice
        return {}, (0, []), 1
    big = 1 + c_max
    first = min(nd.lo for nd in nodes)
    last = max(nd.hi for nd in nodes)
    n_hubs = (last - first) // big + 1
    hub_t = [m.new_int_var(first + b * big, first + (b + 1) * big - 1, f"h{b}")
             for b in range(n_hubs)]
    arcs: dict[tuple[int, int], cp_model.IntVar] = {}

    def arc(i: int, j: int) -> cp_model.IntVar:
        lit = m.new_bool_var(f"a_{i}_{j}")
        arcs[(i, j)] = lit
        return lit

    arc(0, 0)  # no delivery on this source
    order = sorted(range(n), key=lambda k: nodes[k].lo)
    los = np.array([nodes[k].lo for k in order], dtype=np.int64)
    for i, nd in enumerate(nodes, start=1):
        arcs[(i, i)] = ~nd.present
        arc(0, i)
        arc(i, 0)
        # direct arcs: heads whose window opens before this window's end + G
        stop = int(np.searchsorted(los, nd.hi + big, side="left"))
        for k in order[:stop]:
            j = k + 1
            if j == i:
                continue
            hd = nodes[k]
            g = costs.gap(nd.pair, hd.pair)
            if hd.hi < nd.lo + g:
                continue
            if single and hd.pair == nd.pair and _twin_skip(nd.request, hd.request, twin_pos):
                continue
            lit = arc(i, j)
            if hd.lo < nd.hi + g:  # else the windows alone keep them apart
                m.add(hd.t >= nd.t + g).only_enforce_if(lit)
        # into the hub of the stretch holding this event + G
        for b in range((nd.lo + big - first) // big,
                       min(n_hubs - 1, (nd.hi + big - first) // big) + 1):
            lit = arc(i, 1 + n + b)
            m.add(hub_t[b] >= nd.t + big).only_enforce_if(lit)
        # out of the hubs of this window's stretches
        for b in range((nd.lo - first) // big, (nd.hi - first) // big + 1):
            lit = arc(1 + n + b, i)
            m.add(nd.t >= hub_t[b]).only_enforce_if(lit)
    for b in range(n_hubs):
        h = 1 + n + b
        arc(h, h)  # unused hub
        if b + 1 < n_hubs:
            arc(h, h + 1)  # hub times rise along a chain by construction
    m.add_circuit([(i, j, lit) for (i, j), lit in arcs.items()])
    return arcs, (first, hub_t), big


def _twin_skip(r: int, s: int, twin_pos: dict[int, tuple[int, int]]) -> bool:
    """Whether delivery ``s`` never directly follows ``r`` on a single source: both are
    identical requests and ``s`` is not the next of ``r`` in their group (served twins
    are a prefix of the group, in time order)."""
    gr, gs = twin_pos.get(r), twin_pos.get(s)
    return gr is not None and gs is not None and gr[0] == gs[0] and gs[1] != gr[1] + 1


def _memory(m: cp_model.CpModel, instance: DatacenterInstance, block: BlockData,
            nodes: list[list[_Node]], cap: np.ndarray) -> None:
    """Rule 6: a delivered pair holds a qubit at both its QPUs over the closed tick
    interval [delivery, need]; per QPU with fewer qubits than the block has requests,
    a cumulative over those intervals."""
    req = instance.requests
    n_req = len(block.requests)
    for q in range(instance.n_qpus):
        if cap[q] >= n_req:
            continue
        intervals = []
        for si, src in enumerate(instance.sources):
            for nd in nodes[si]:
                if q not in nd.pair:
                    continue
                start = src.start + src.period * nd.t
                end = int(req.t_need[nd.request]) + 1
                intervals.append(m.new_optional_interval_var(
                    start, end - start, end, nd.present, f"mem_{q}_{nd.request}_{si}"))
        if len(intervals) > cap[q]:
            m.add_cumulative(intervals, [1] * len(intervals), int(cap[q]))


def hint_block(bm: BlockModel, deliveries: list[Delivery]) -> list[Delivery]:
    """Hint the model with a valid plan's deliveries inside the block (every variable).

    Identical requests are relabelled first (served ones a prefix of their group, in
    source and time order), as the model's symmetry breaking asks; the relabelled
    deliveries are returned.
    """
    deliveries = _relabel(bm.twins, deliveries)
    got = {(r, s): k for r, s, k in deliveries}
    m = bm.model
    m.clear_hints()
    served = {r for r, _, _ in deliveries}
    for si, nodes in enumerate(bm.nodes):
        n = len(nodes)
        for nd in nodes:
            k = got.get((nd.request, si))
            m.add_hint(nd.present, k is not None)
            m.add_hint(nd.t, nd.lo if k is None else k)
        arcs = bm.arcs[si]
        if not arcs:
            continue
        first, hub_t = bm.hubs[si]
        big = bm.gap_long[si]
        on: set[tuple[int, int]] = set()
        hub_val = {b: first + b * big for b in range(len(hub_t))}
        seq = sorted((got[(nd.request, si)], i) for i, nd in enumerate(nodes, start=1)
                     if (nd.request, si) in got)
        on.update((i, i) for i, nd in enumerate(nodes, start=1)
                  if (nd.request, si) not in got)
        if not seq:
            on.add((0, 0))
        else:
            on.add((0, seq[0][1]))
            on.add((seq[-1][1], 0))
        for (k1, i), (k2, j) in itertools.pairwise(seq):
            if k2 - k1 < big:
                on.add((i, j))
                continue
            # a long gap goes through the hubs of the stretches from k1 + G to k2
            b1 = (k1 + big - first) // big
            b2 = (k2 - first) // big
            on.add((i, 1 + n + b1))
            on.update((1 + n + b, 2 + n + b) for b in range(b1, b2))
            on.add((1 + n + b2, j))
            for b in range(b1, b2 + 1):
                hub_val[b] = max(first + b * big, k1 + big)
        used = {tail for tail, _ in on}
        for b in range(len(hub_t)):
            if 1 + n + b not in used:
                on.add((1 + n + b, 1 + n + b))
            m.add_hint(hub_t[b], hub_val[b])
        for key, lit in arcs.items():
            if key[0] == key[1] and 1 <= key[0] <= n:
                continue  # the negation of a presence literal, hinted above
            m.add_hint(lit, key in on)
    for r, s in bm.aggregated.items():
        m.add_hint(s, r in served)
    return deliveries


def _relabel(twins: list[list[int]], deliveries: list[Delivery]) -> list[Delivery]:
    """The same deliveries with identical requests renamed: the served ones of each
    group are its first members, given in (source, event) order."""
    if not twins:
        return list(deliveries)
    group_of = {r: g for g, members in enumerate(twins) for r in members}
    out = [d for d in deliveries if d[0] not in group_of]
    slots: dict[int, list[tuple[int, int]]] = {}
    for r, s, k in deliveries:
        g = group_of.get(r)
        if g is not None:
            slots.setdefault(g, []).append((s, k))
    for g, got in slots.items():
        for r, (s, k) in zip(twins[g], sorted(got), strict=False):
            out.append((r, s, k))
    return out


def read_block(solver: cp_model.CpSolver, bm: BlockModel) -> list[Delivery]:
    """The deliveries of the solver's best solution."""
    out = []
    for si, nodes in enumerate(bm.nodes):
        for nd in nodes:
            if solver.boolean_value(nd.present):
                out.append((nd.request, si, int(solver.value(nd.t))))
    return out


