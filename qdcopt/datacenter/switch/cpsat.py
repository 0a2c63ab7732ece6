"""Switch assignment as a constraint programme solved by OR-Tools CP-SAT (``models/switch.md`` §9).

Public method (signature ``fn(instance, params) -> (DatacenterPlan, SolveInfo)``; call it
through ``qdcopt.datacenter.SCHEDULER_SPECS["cpsat"](instance, **options)``):

``cpsat``   one CP-SAT model per independent block, at event level: an optional delivery
            per (request, source) with its event as an integer variable, and per source a
            circuit through the deliveries in time order whose arcs carry the switching
            gap between consecutive deliveries (the paper's net-change rule, or the
            shortest change with transit moves).  Hinted with the best heuristic plan
            (improved by the run-sequence search where it applies).

The model is exact: every feasible point is a valid plan with as many deliveries, and
every valid plan maps to a feasible point (up to the symmetry of identical requests,
which the model breaks).  The claimed ``objective`` is the validated count of the returned
plan; ``bound`` is the sum over blocks of the least of CP-SAT's proven bound and the
solver-free bound (``interval_bound``); ``extra["cpsat_bound"]`` is CP-SAT's alone.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from qdcopt.datacenter.events import window_events
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import SwitchCpsatParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.switch.anneal import anneal_block
from qdcopt.datacenter.switch.bounds import interval_bound
from qdcopt.datacenter.switch.data import BlockData, SwitchCosts, preprocess
from qdcopt.datacenter.switch.milp import (
    ANNEAL_SHARE,
    _annealable,
    _renamed,
    best_heuristic,
)
from qdcopt.datacenter.switch.plan import block_deliveries, plan_from_deliveries
from qdcopt.runs import interrupt
from qdcopt.solvers.highs import SolveInfo, Status

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
        a_s, h_s, g_s = _source_circuit(m, nodes[si], costs[si], twin_next,
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
                    twin_next: dict[int, int], single: bool,
                    ) -> tuple[dict[tuple[int, int], cp_model.IntVar],
                               tuple[int, list[cp_model.IntVar]], int]:
    """One source's deliveries in time order: a circuit through the depot, the present
    deliveries and the hubs, each arc forcing the gap its two ends need.

    Two consecutive deliveries closer than ``G`` events are joined by a direct arc
    carrying their gap.  Deliveries ``G`` or more events apart need no gap beyond that,
    whatever their pairs, and are joined through a chain of hubs instead (hub ``b`` stands
    for one stretch of ``G`` events; the chain's times rise from the tail's event + ``G``
    to the head's event), so that the arcs number about the requests whose windows meet
    within ``G`` events of each other, not all pairs of requests.
    """
    n = len(nodes)
    if n == 0:
        return {}, (0, []), 1
    c_max = max(costs.c_shared, costs.c_disjoint)
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
            if single and hd.pair == nd.pair and _twin_skip(nd.request, hd.request, twin_next):
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


def _twin_skip(r: int, s: int, twin_next: dict[int, int]) -> bool:
    """Whether delivery ``s`` can never directly follow ``r`` on a single source: both are
    identical requests and ``s`` is not the next in their group's order (served twins are
    a prefix, in time order)."""
    seen = r
    if twin_next.get(r) == s:
        return False
    # s earlier in the group than r, or further than the next: never consecutive
    k = twin_next.get(seen)
    while k is not None:
        if k == s:
            return True
        k = twin_next.get(k)
    k = s
    while k is not None:
        k = twin_next.get(k)
        if k == r:
            return True
    return False


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
        if n == 0:
            continue
        arcs = bm.arcs[si]
        first, hub_t = bm.hubs[si]
        big = bm.gap_long[si]
        on: set[tuple[int, int]] = set()
        hub_val = {b: first + b * big for b in range(len(hub_t))}
        seq = sorted((got[(nd.request, si)], i) for i, nd in enumerate(nodes, start=1)
                     if (nd.request, si) in got)
        for i, nd in enumerate(nodes, start=1):
            k = got.get((nd.request, si))
            m.add_hint(nd.present, k is not None)
            m.add_hint(nd.t, nd.lo if k is None else k)
            if k is None:
                on.add((i, i))
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


@dataclass
class _BlockResult:
    deliveries: list[Delivery]
    bound: int
    cp_bound: int
    status: str
    branches: int = 0
    conflicts: int = 0


def solve_block(instance: DatacenterInstance, block: BlockData, costs: tuple[SwitchCosts, ...],
                cap: np.ndarray, start: list[Delivery], time_limit: float | None,
                workers: int, seed: int, verbose: bool = False) -> _BlockResult:
    """Build, hint and solve one block's model.

    Returns
    -------
    _BlockResult
        The best deliveries (the start's when CP-SAT found none as good), the block's
        bound from CP-SAT (at most the block's request count) and its status.
    """
    bm = build_block_model(instance, block, costs, cap)
    if start:
        start = hint_block(bm, start)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    if time_limit is not None:
        prm.max_time_in_seconds = max(0.05, float(time_limit))
    prm.num_workers = int(workers)
    prm.random_seed = int(seed)
    prm.log_search_progress = bool(verbose)
    # a Ctrl-C (the process-wide flag) stops the search with its best solution
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            if interrupt.requested():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        code = solver.solve(bm.model)
    finally:
        done.set()
        watcher.join()
    n = len(block.requests)
    if code == cp_model.MODEL_INVALID:  # pragma: no cover - a defect of the builder
        raise RuntimeError("CP-SAT rejected the switch model: "
                           + bm.model.validate())
    cp_bound = n
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):
        b = solver.best_objective_bound
        if math.isfinite(b):
            cp_bound = int(min(n, math.floor(b + 1e-6)))
    found: list[Delivery] = []
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = read_block(solver, bm)
    if code == cp_model.OPTIMAL:
        status = Status.OPTIMAL
        cp_bound = len(found)
    elif interrupt.requested():
        status = Status.INTERRUPTED
    else:
        status = Status.TIME_LIMIT
    best = found if len(found) >= len(start) else start
    return _BlockResult(best, cp_bound, cp_bound, status, int(solver.num_branches),
                        int(solver.num_conflicts))


def switch_cpsat(instance: DatacenterInstance, params: SwitchCpsatParams,
                 ) -> tuple[DatacenterPlan, SolveInfo]:
    """Solve switch assignment with the CP-SAT model, block by block.

    Parameters
    ----------
    instance
        The instance.
    params
        The options: ``time_limit`` (wall-clock seconds for the whole method),
        ``workers`` (CP-SAT's search workers), ``seed`` (CP-SAT's random seed; with one
        worker and a run that ends by proof, the same seed gives the same plan),
        ``warm_start`` (hint from the best heuristic plan), ``anneal`` (improve the
        hint by the run-sequence search first, for :data:`ANNEAL_SHARE` of a block's
        time, where it applies), ``split_blocks`` and ``verbose`` (CP-SAT's log).

    Returns
    -------
    (DatacenterPlan, SolveInfo)
        ``objective``: requests served by the validated plan; ``bound``: proven upper
        bound (per block the least of CP-SAT's bound and the solver-free bound); status
        ``optimal`` when the plan meets the bound, ``time_limit`` when a block's search
        ran out of time, ``feasible`` otherwise.  ``extra``: ``cpsat_bound`` (CP-SAT's
        bounds alone, summed; blocks settled without a model count their solver-free
        bound), ``blocks``, ``blocks_modelled``, ``blocks_settled_by_start``, ``arcs``,
        ``branches``, ``conflicts``, ``warm_start``, ``annealed_gain``,
        ``reconfigurations``, ``phase_times``.
    """
    from qdcopt.datacenter.validate import validate

    t0 = time.perf_counter()
    data = preprocess(instance, split_blocks=params.split_blocks)
    deadline = None if params.time_limit is None else t0 + 0.95 * float(params.time_limit)
    phase = dict.fromkeys(("heuristics", "anneal", "build_solve", "assembly"), 0.0)
    tp = time.perf_counter()
    warm, warm_name, _ = (best_heuristic(instance) if params.warm_start else (None, "", {}))
    phase["heuristics"] = time.perf_counter() - tp
    starts = block_deliveries(data, warm)
    model_costs = tuple(c if c.exact else c.relaxed() for c in data.costs)
    cap = instance.comm_capacity()
    tally = _CpTally()
    sizes = np.array([len(b.requests) for b in data.blocks], dtype=np.float64)
    remaining = float(sizes.sum())
    per_block: list[list[Delivery]] = []
    for b, block in enumerate(data.blocks):
        free = interval_bound(block, model_costs)
        mine = starts[b]
        share = None if deadline is None else max(
            0.0, deadline - time.perf_counter()) * sizes[b] / max(1.0, remaining)
        remaining -= sizes[b]
        if len(mine) < free and params.anneal and _annealable(block, data.costs, cap) \
                and not interrupt.requested():
            ta = time.perf_counter()
            better = anneal_block(instance, block, data.costs[0], mine,
                                  None if share is None else ANNEAL_SHARE * share,
                                  moves=20_000 * len(block.requests), seed=params.seed,
                                  target=free)
            tally.annealed += len(better) - len(mine)
            mine = better
            phase["anneal"] += time.perf_counter() - ta
        if len(mine) >= free:
            tally.settled += 1
            tally.add(free, free, Status.OPTIMAL)
            per_block.append(mine)
            continue
        late = deadline is not None and time.perf_counter() >= deadline
        if late or interrupt.requested():
            tally.add(free, free, Status.INTERRUPTED if interrupt.requested()
                      else Status.TIME_LIMIT)
            per_block.append(mine)
            continue
        left = None if deadline is None else max(
            0.05, min(share or 0.0, deadline - time.perf_counter()))
        tb = time.perf_counter()
        res = solve_block(instance, block, data.costs, cap, mine, left, params.workers,
                          params.seed, params.verbose)
        phase["build_solve"] += time.perf_counter() - tb
        tally.modelled += 1
        tally.branches += res.branches
        tally.conflicts += res.conflicts
        tally.add(min(free, res.bound), res.cp_bound, res.status)
        per_block.append(res.deliveries)
    tp = time.perf_counter()
    reasons = {int(r): str(why) for r, why in
               zip(data.unservable.tolist(), data.unservable_reason.tolist(), strict=True)}
    deliveries = [d for part in per_block for d in part]
    plan, dropped = plan_from_deliveries(instance, "cpsat", deliveries, reasons)
    rep = validate(instance, plan)
    value = -1 if rep.violations else int(rep.objective)
    source = "cpsat"
    if warm is not None:
        wrep = validate(instance, warm)
        if int(wrep.objective) > value:
            plan, rep, value, source = (_renamed(warm, "cpsat"), wrep, int(wrep.objective),
                                        warm_name)
    if value < 0:  # pragma: no cover - every model point is a valid plan (§9)
        plan, _ = plan_from_deliveries(instance, "cpsat", [], reasons)
        rep = validate(instance, plan)
        value = 0
    phase["assembly"] = time.perf_counter() - tp
    if value >= tally.bound:
        status = Status.OPTIMAL
    elif interrupt.requested():
        status = Status.INTERRUPTED
    elif any(s in (Status.TIME_LIMIT, Status.INTERRUPTED) for s in tally.statuses):
        status = Status.TIME_LIMIT
    else:
        status = Status.FEASIBLE
    info = SolveInfo(
        method="cpsat", status=status, objective=float(value), bound=float(tally.bound),
        time_s=time.perf_counter() - t0,
        extra={"cpsat_bound": int(tally.cp_bound), "blocks": len(data.blocks),
               "blocks_modelled": tally.modelled, "blocks_settled_by_start": tally.settled,
               "branches": tally.branches, "conflicts": tally.conflicts,
               "warm_start": warm_name, "plan_from": source, "dropped": dropped,
               "annealed_gain": tally.annealed, "workers": params.workers,
               "reconfigurations": int(rep.metrics["reconfigurations"]),
               "unservable": len(data.unservable),
               "phase_times": {k: round(v, 4) for k, v in phase.items()}})
    return plan, info


@dataclass
class _CpTally:
    bound: int = 0
    cp_bound: int = 0
    statuses: list[str] = field(default_factory=list)
    modelled: int = 0
    settled: int = 0
    annealed: int = 0
    branches: int = 0
    conflicts: int = 0

    def add(self, bound: int, cp_bound: int, status: str) -> None:
        self.bound += int(bound)
        self.cp_bound += int(cp_bound)
        self.statuses.append(status)
