"""The offline optimum of a realised trace: windows, heuristics, bounds, and the slot model.

``solve_matching_milp`` runs, per window, either the exact continuous-time precedence
MILP (``form="precedence"``, the default: :mod:`.precedence_milp`, started from an
iterated local search over serial orders) or the time-indexed slot model below
(``form="x"`` / ``"z"``), and returns the best feasible plan with a certified bound.

Given every request's arrival ``a_k``, end nodes and service time ``d_k`` (its realised
attempts × its link's attempt period), choose non-preemptive generation intervals so that
every node takes part in at most one generation at a time (a matching at every instant)
and the total — equivalently mean — latency Σ (C_k − a_k) is least.

Time-indexed statement on slots of length Δ, with *rounded-down* data
``r_k = ⌊a_k/Δ⌋`` and ``q_k = ⌊d_k/Δ⌋``::

    min  Σ_k Σ_s (s + q_k) Δ · x_ks  −  Σ_k a_k
    s.t. Σ_s x_ks = 1                                         every request k
         Σ_{k ∋ v} Σ_{s = t−q_k+1}^{t} x_ks ≤ 1               every node v, slot t
         x_ks ∈ {0, 1},  s ≥ r_k

Why the optimum is a lower bound on every protocol run of the same trace: any continuous
non-preemptive schedule with starts S_k ≥ a_k and node-disjoint overlapping intervals
maps to slot starts ``s_k = ⌊S_k/Δ⌋ ≥ r_k``; two requests sharing a node, k before l,
keep ``s_l ≥ ⌊(S_k + d_k)/Δ⌋ ≥ s_k + q_k`` (⌊x + y⌋ ≥ ⌊x⌋ + ⌊y⌋), so the slot schedule is
feasible, and its cost ``(s_k + q_k)Δ ≤ S_k + d_k`` is no larger.  DQP and ESP produce
such schedules (a request holds both nodes for one uninterrupted block of its realised
attempts, after it was created); message delays only push starts later.  The bound
assumes what the protocols cannot have: zero control delay and clairvoyance (future
arrivals and every request's attempt count known in advance).

Columns are pruned without losing any optimum: a start is kept only if the request can
still finish within ``UB − Σ_{l≠k} LB_l`` of its arrival (UB: the greedy schedule's total
latency, LB_l: request l's least rounded latency), and before the horizon
``max_k r_k + Σ_k q_k`` that an optimal slot schedule never passes (every late start is
preceded, on one of its nodes, by a chain of back-to-back generations).

Every precedence window first runs an exact branch and bound over active schedules
(:mod:`.active_search`) from the local search's schedule, on a budget of search nodes and
a quarter of the window's time; when it finishes, its schedule is proven optimal and the
MILP is not built.  Otherwise the MILP starts from the better of the two schedules.

Every precedence window also computes the node-group bound of its requests
(:func:`~qdcopt.linklayer.models.bounds.group_bound`: exact non-preemptive single
machines over a partition of the requests by end node); it tightens the latest starts,
enters the MILP as group cuts and is itself a bound on the window.

Long traces are cut into windows of consecutive arrivals.  Solving each window alone
drops the constraints between windows, a relaxation, so the *sum of the windows' proven
bounds* is a certified lower bound on the whole trace.  The returned schedule is always
a feasible continuous one: the requests placed serially in the MILP's start order (or the
greedy schedule when that is better), so its latency is an upper bound.

Long module, on purpose: the windowing, the two model families' drivers and the reading
of their solutions into one feasible plan share their bookkeeping.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qdcopt.linklayer.heuristics.greedy import greedy_matching, serial_schedule
from qdcopt.linklayer.heuristics.local_search import improve_order
from qdcopt.linklayer.models.active_search import search_active
from qdcopt.linklayer.models.bounds import group_bound, independent_set_bound, node_groups
from qdcopt.linklayer.models.precedence_milp import build_precedence, solve_precedence
from qdcopt.linklayer.trace import Trace, TraceRequest
from qdcopt.solvers.highs import (
    MINIMIZE,
    SolverOptions,
    Status,
    configured_highs,
    highs_model,
    run_mip,
)

EPS = 1e-9

FORMS = ("precedence", "x", "z")
"""Formulations: the continuous-time precedence MILP (exact, the default) and the
time-indexed slot model in start (``x``) or cumulative (``z``) variables."""

SEARCH_STEPS = 6_000_000
"""Work of the local search per window, in request placements (an evaluated order of K
requests costs K): at most about 1.5 s in Python whatever the window's size (the search
stops earlier once 300 kicks in a row found nothing better)."""


SEARCH_CHAINS = 3
"""Independent kick chains of the local search, sharing its work."""

BRANCH_NODES = 50_000
"""Default budget of the branch and bound over active schedules, per window, in search
nodes (about 30–90 µs each in Python on 25–150 requests: at most a few seconds).  The
windows it settles at all (up to about 45 requests on a busy grid) take far fewer
(every Table V trace at most 10 364); on larger ones a bigger budget only takes time
from the MILP."""

BRANCH_SHARE = 0.25
"""Share of a window's time the branch and bound may take before the MILP."""


@dataclass(frozen=True)
class MilpResult:
    """Outcome of :func:`solve_matching_milp`.

    Attributes
    ----------
    starts
        Feasible continuous start time of every request (request id → seconds).
    total_latency
        Σ (C_k − a_k) of that schedule, seconds.
    bound
        Certified lower bound on the least total latency of the trace, seconds.
    status
        ``"optimal"`` when the schedule meets the bound, else ``"feasible"``.
    stats
        Model size, windows, solver figures.
    """

    starts: dict[int, float]
    total_latency: float
    bound: float
    status: str
    stats: dict[str, Any] = field(default_factory=dict)


def _sub_trace(trace: Trace, reqs: list[TraceRequest]) -> Trace:
    return Trace(clocks=trace.clocks, periods=trace.periods, requests=tuple(reqs))


def total_latency(trace: Trace, starts: dict[int, float]) -> float:
    """Σ (start + service − arrival) over the trace, seconds."""
    return float(sum(starts[r.id] + trace.duration(r) - r.created for r in trace.requests))


@dataclass
class _Window:
    """One window's model in arrays, with its column map.

    ``col_req`` holds request ids, ``col_slot`` the start slot a column stands for: in the
    ``"x"`` form a column is "starts at that slot", in the ``"z"`` form "has started by
    that slot".
    """

    form: str
    cost: np.ndarray
    col_req: np.ndarray
    col_slot: np.ndarray
    col_lb: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    row_ub: np.ndarray
    row_lb: np.ndarray
    constant: float
    fixed: dict[int, int]
    n_rows: int

    def starts(self, x: np.ndarray) -> dict[int, int]:
        """Start slot of every modelled request in a column solution."""
        out: dict[int, int] = {}
        for j in np.flatnonzero(x > 0.5):
            rid, slot = int(self.col_req[j]), int(self.col_slot[j])
            if self.form == "x" or slot < out.get(rid, slot + 1):
                out[rid] = slot
        return out

    def columns_for(self, starts: dict[int, int]) -> np.ndarray | None:
        """The column vector of given start slots (``None`` if one is outside the model)."""
        x = np.zeros(len(self.cost))
        for rid in set(self.col_req.tolist()):
            s = starts.get(rid)
            mask = self.col_req == rid
            if self.form == "x":
                hit = mask & (self.col_slot == s)
                if s is None or not hit.any():
                    return None
                x[hit] = 1.0
            else:
                if s is None or not (mask & (self.col_slot == s)).any():
                    return None
                x[mask & (self.col_slot >= s)] = 1.0
        return x


def _floor(x: float) -> int:
    # ⌊x⌋ read with a tolerance of 1e-9 slot, so that 0.003 / 0.001 = 2.9999999999999996
    # counts as 3: times closer than that are equal, as in the validator.
    return math.floor(x + EPS)


def _csc(n_cols: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    start = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int32)
    return start, rows.astype(np.int32), vals.astype(np.float64)


def build_window(trace: Trace, n_nodes: int, reqs: list[TraceRequest], slot: float,
                 upper: float, form: str = "x") -> _Window:
    """The time-indexed model of ``reqs`` alone (see the module docstring).

    Parameters
    ----------
    trace, n_nodes
        The trace and its number of nodes.
    reqs
        The window's requests.
    slot
        Δ, seconds.
    upper
        Total latency of a feasible schedule of ``reqs`` (prunes late starts).
    form
        ``"x"``: one binary per (request, start slot), node-slot rows summing the starts
        that cover the slot (``q_k`` entries per column and node).  ``"z"``: the same
        model in cumulative variables ``z_ks = Σ_{s' ≤ s} x_ks'`` (monotone, last one 1),
        where a request covers slot t when ``z_{k,t} − z_{k,t−q_k} = 1`` — two entries per
        request and row, so a fraction of the nonzeros for the same optimum and the same
        LP relaxation (the change of variables is unimodular).
    """
    if form not in ("x", "z"):
        raise ValueError(f"form must be 'x' or 'z', got {form!r}")
    r = np.array([_floor(q.created / slot) for q in reqs], dtype=np.int64)
    d = np.array([max(0, _floor(trace.duration(q) / slot)) for q in reqs], dtype=np.int64)
    a = np.array([q.created for q in reqs])
    lb = (r + d) * slot - a
    horizon = int(r.max() + d.sum()) if len(reqs) else 0
    constant = -float(a.sum())
    fixed: dict[int, int] = {}
    t0 = int(r.min()) if len(reqs) else 0
    span = horizon - t0 + d.max(initial=0) + 1
    cost, col_req, col_slot, col_lb = [], [], [], []
    e_row, e_col, e_val = [], [], []       # node-slot entries (row key = node·span + t)
    f_row, f_col, f_val = [], [], []       # assignment / monotone entries (own row numbers)
    n_fixed_rows = 0
    col = 0
    for k, q in enumerate(reqs):
        if d[k] == 0:
            # A request shorter than a slot occupies no slot: it completes at its release.
            fixed[q.id] = int(r[k])
            constant += float(r[k] * slot)
            continue
        slack = upper - (lb.sum() - lb[k])
        last = min(horizon - int(d[k]), math.floor((a[k] + slack) / slot + EPS) - int(d[k]))
        lo, hi = int(r[k]), max(int(r[k]), last)
        starts = np.arange(lo, hi + 1, dtype=np.int64)
        m, qk = len(starts), int(d[k])
        cols = np.arange(col, col + m, dtype=np.int64)
        col += m
        col_req.append(np.full(m, q.id, dtype=np.int64))
        col_slot.append(starts)
        if form == "x":
            cost.append((starts + qk) * slot)
            col_lb.append(np.zeros(m))
            f_row.append(np.full(m, n_fixed_rows))
            f_col.append(cols)
            f_val.append(np.ones(m))
            n_fixed_rows += 1
            occ = (starts[:, None] - t0 + np.arange(qk)[None, :]).ravel()
            cc = np.repeat(cols, qk)
            vv = np.ones(len(cc))
        else:
            # Σ_s c_s (z_s − z_{s−1}) = c_last − Δ Σ_{s < last} z_s; z_last = 1.
            c = np.full(m, -slot)
            c[-1] = (hi + qk) * slot
            cost.append(c)
            lbz = np.zeros(m)
            lbz[-1] = 1.0
            col_lb.append(lbz)
            if m > 1:   # z_s − z_{s−1} ≥ 0
                rows = n_fixed_rows + np.arange(m - 1)
                f_row += [rows, rows]
                f_col += [cols[1:], cols[:-1]]
                f_val += [np.ones(m - 1), -np.ones(m - 1)]
                n_fixed_rows += m - 1
            # Slot t is covered when z_{t} − z_{t−q} = 1 (z at or past the last start = 1).
            ts = np.arange(lo, hi + qk, dtype=np.int64)
            plus = cols[np.minimum(ts - lo, m - 1)]
            minus_t = ts - qk
            has_minus = minus_t >= lo
            minus = cols[np.minimum(minus_t[has_minus] - lo, m - 1)]
            occ = np.concatenate([ts - t0, ts[has_minus] - t0])
            cc = np.concatenate([plus, minus])
            vv = np.concatenate([np.ones(len(plus)), -np.ones(len(minus))])
        for node in (q.initiator, q.remote):
            e_row.append(node * span + occ)
            e_col.append(cc)
            e_val.append(vv)
    n_cols = col
    if n_cols == 0:
        return _Window(form, np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros(0), np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0),
                       np.zeros(0), np.zeros(0), constant, fixed, 0)
    key = np.concatenate(e_row)
    used, occ_row = np.unique(key, return_inverse=True)
    # A node-slot row met by one request only can never bind: drop it.
    col_of = np.concatenate(e_col)
    req_of = np.concatenate(col_req)[col_of]
    pairs = np.unique(np.stack([occ_row, req_of]), axis=1)
    per_row = np.bincount(pairs[0], minlength=len(used))
    keep = per_row[occ_row] > 1
    used_rows = np.unique(occ_row[keep])
    remap = -np.ones(len(used), dtype=np.int64)
    remap[used_rows] = np.arange(len(used_rows)) + n_fixed_rows
    rows = np.concatenate([np.concatenate(f_row) if f_row else np.zeros(0, np.int64),
                           remap[occ_row[keep]]])
    cols = np.concatenate([np.concatenate(f_col) if f_col else np.zeros(0, np.int64),
                           col_of[keep]])
    vals = np.concatenate([np.concatenate(f_val) if f_val else np.zeros(0),
                           np.concatenate(e_val)[keep]])
    # The z form's node-slot entries of one request can meet in one cell (never here:
    # +1 at t and −1 at t − q are different columns); sum duplicates all the same.
    cell = rows * n_cols + cols
    uniq, inv = np.unique(cell, return_inverse=True)
    vals = np.bincount(inv, weights=vals)
    rows, cols = uniq // n_cols, uniq % n_cols
    nz = vals != 0
    rows, cols, vals = rows[nz], cols[nz], vals[nz]
    n_rows = n_fixed_rows + len(used_rows)
    if form == "x":
        row_lb = np.concatenate([np.ones(n_fixed_rows), np.full(len(used_rows), -np.inf)])
    else:
        row_lb = np.concatenate([np.zeros(n_fixed_rows), np.full(len(used_rows), -np.inf)])
    row_ub = np.concatenate([np.ones(n_fixed_rows) if form == "x" else np.full(
        n_fixed_rows, np.inf), np.ones(len(used_rows))])
    start, index, value = _csc(n_cols, rows, cols, vals)
    return _Window(form, np.concatenate(cost), np.concatenate(col_req),
                   np.concatenate(col_slot), np.concatenate(col_lb), start, index, value,
                   row_ub, row_lb, constant, fixed, n_rows)


def _solve_window(w: _Window, options: SolverOptions, time_limit: float | None,
                  warm: dict[int, int] | None) -> tuple[np.ndarray | None, float, float, str,
                                                        int, bool]:
    """(column values, objective, dual bound, status, nodes, start rejected) of one window.

    The solve goes through :func:`qdcopt.solvers.highs.run_mip`: a run from the warm start
    whose reported objective and bound do not belong to the solution it returns (seen
    with HiGHS 1.16) is discarded and the window solved again without the start.
    """

    n = len(w.cost)
    if n == 0:
        return np.zeros(0), 0.0, 0.0, "optimal", 0, False
    h = configured_highs(options)
    lp = highs_model(w.cost, w.col_lb, np.ones(n), w.row_lb, w.row_ub, w.a_start, w.a_index,
                     w.a_value, maximise=False, integer=np.ones(n, dtype=bool))
    h.passModel(lp)
    start = None
    if warm:
        cols = w.columns_for(warm)
        if cols is not None:
            idx = np.flatnonzero(cols > 0.5).astype(np.int32)
            start = (idx, np.ones(len(idx)))
    # some set-up steps of the MIP solver do not look at the clock: run_mip's watchdog
    # stops them 5 s after the limit
    run = run_mip(h, w.cost, sense=MINIMIZE, start=start, time_limit=time_limit)
    bound = run.bound
    if run.status == Status.OPTIMAL and not math.isfinite(bound):
        bound = run.objective
    return run.x, run.objective, bound, str(run.status), run.nodes, run.start_rejected


def solve_matching_milp(trace: Trace, n_nodes: int, slot: float, *,
                        options: SolverOptions | None = None, window: int = 250,
                        form: str = "precedence",
                        edges: tuple[tuple[int, int], ...] | None = None,
                        branch_nodes: int = BRANCH_NODES) -> MilpResult:
    """Least total latency of a trace, with a certified bound (see the module docstring).

    Parameters
    ----------
    trace
        The realised trace.
    n_nodes
        Number of nodes.
    slot
        Slot length Δ, seconds (slot forms only).
    options
        HiGHS options (time limit shared by the windows; the seed also seeds the local
        search).
    window
        Most requests per window; longer traces are cut into windows.
    form
        ``"precedence"`` (continuous time, exact: :mod:`.precedence_milp`, default), or
        the slot model in ``"x"`` (start) or ``"z"`` (cumulative) variables.
    edges
        Edges of G_Q; when given, the solver-free independent-set SRPT bound
        (:mod:`qdcopt.linklayer.models.bounds`) is computed too and the better bound returned.
    branch_nodes
        Budget of the branch and bound over active schedules per precedence window, in
        search nodes (0: the MILP alone).

    Returns
    -------
    MilpResult
    """
    options = options or SolverOptions()
    t_begin = time.perf_counter()
    reqs = sorted(trace.requests, key=lambda r: (r.created, r.id))
    greedy = _best_greedy(trace, n_nodes)
    greedy_total = total_latency(trace, greedy)
    chunks = [reqs[i:i + window] for i in range(0, len(reqs), window)] or [[]]
    bound_total = 0.0
    order_key: dict[int, tuple[int, int, float]] = {}
    stats: dict[str, Any] = {"form": form, "slot_s": slot, "windows": len(chunks),
                             "columns": 0, "rows": 0,
                             "nonzeros": 0, "nodes": 0, "window_status": []}
    all_optimal = True
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    prefer: tuple[int, ...] = ()
    if edges is not None:
        srpt, prefer = independent_set_bound(trace, n_nodes, edges)
        stats["srpt_bound_s"] = srpt
        stats["srpt_nodes"] = list(prefer)
    if form == "precedence":
        stats.update(order_rows=0, cut_rows=0, group_rows=0, searched_total_s=0.0,
                     branch_nodes=0, branch_proven=0)
    for wi, chunk in enumerate(chunks):
        sub = _sub_trace(trace, chunk)
        g = greedy if len(chunks) == 1 else _best_greedy(sub, n_nodes)
        upper = total_latency(sub, g)
        if form == "precedence":
            slots = _precedence_window(trace, sub, n_nodes, chunk, g, options, t_begin,
                                       len(chunks) - wi, stats, prefer, branch_nodes)
            all_optimal &= stats["window_status"][-1] == Status.OPTIMAL
            bound_total += stats.pop("_bound")
            for q in chunk:
                order_key[q.id] = (wi, slots[q.id], q.created)
            continue
        w = build_window(trace, n_nodes, chunk, slot, upper, form)
        warm = {rid: _floor(s / slot) for rid, s in g.items()}
        left = None
        if options.time_limit is not None:
            spent = time.perf_counter() - t_begin
            left = max(0.5, (options.time_limit - spent) / (len(chunks) - wi))
        x, _, bound, status, nodes, rejected = _solve_window(w, options, left, warm)
        if rejected:
            stats["warm_start_rejected"] = stats.get("warm_start_rejected", 0) + 1
        all_optimal &= status == Status.OPTIMAL
        stats["columns"] += len(w.cost)
        stats["rows"] += w.n_rows
        stats["nonzeros"] += len(w.a_index)
        stats["nodes"] += nodes
        stats["window_status"].append(status)
        if not math.isfinite(bound):
            # No dual bound at all: fall back to the window's trivial bound (release + service).
            bound = float(sum(_floor(q.created / slot) * slot + max(0, _floor(
                trace.duration(q) / slot)) * slot for q in chunk if q.id not in w.fixed))
        bound_total += bound + w.constant
        slots = dict(w.fixed)
        if x is not None:
            slots.update(w.starts(x))
        for q in chunk:
            s = slots.get(q.id, warm.get(q.id, _floor(q.created / slot)))
            order_key[q.id] = (wi, s, q.created)
    order = sorted(order_key, key=lambda rid: (order_key[rid], rid))
    # Two feasible readings of the slot solution: serial placement in its start order, and
    # list scheduling that offers free nodes to waiting requests by their MILP start.
    candidates = [(total_latency(trace, greedy), 2, greedy)]
    for tag, sched in ((0, serial_schedule(trace, n_nodes, order)),
                       (1, greedy_matching(trace, n_nodes, priority="rank", rank=order_key))):
        candidates.append((total_latency(trace, sched), tag, sched))
    total, _, starts = min(candidates, key=lambda c: (c[0], c[1]))
    rep_total = min(c[0] for c in candidates[1:])
    stats["window_bound_s"] = bound_total
    if edges is not None:
        bound_total = max(bound_total, stats["srpt_bound_s"])
    bound_total = min(bound_total, total)
    stats.update(greedy_total_s=greedy_total, repaired_total_s=rep_total,
                 time_s=time.perf_counter() - t_begin)
    # HiGHS calls a MIP optimal within its relative gap: the same tolerance here
    exact = all_optimal and total - bound_total <= max(options.mip_gap * total,
                                                       1e-9 * max(1.0, total))
    status = Status.OPTIMAL if exact else Status.FEASIBLE
    return MilpResult(starts, total, bound_total, status, stats)


def _precedence_window(trace: Trace, sub: Trace, n_nodes: int, chunk: list[TraceRequest],
                       greedy: dict[int, float], options: SolverOptions, t_begin: float,
                       windows_left: int, stats: dict[str, Any],
                       prefer: tuple[int, ...] = (),
                       branch_nodes: int = BRANCH_NODES) -> dict[int, float]:
    """Local search, branch and bound, then (unless that finished) the precedence MILP of
    one window; its starts (id → seconds).

    The window's proven bound is left in ``stats["_bound"]`` (seconds), its status
    appended to ``stats["window_status"]``."""
    seeds = [sorted(greedy, key=lambda i: (greedy[i], i)), [q.id for q in chunk]]
    order, upper = improve_order(sub, n_nodes, seeds, seed=options.seed,
                                 evaluations=max(1, SEARCH_STEPS // max(1, len(chunk))),
                                 chains=SEARCH_CHAINS)
    searched = serial_schedule(sub, n_nodes, order)
    stats["searched_total_s"] += upper
    # the node-group bound of the window: a bound of its own, the other requests' least
    # latency for the latest starts, and its groups (with every node's whole group) as cuts
    gb = group_bound(sub, prefer)
    stats["group_bound_s"] = stats.get("group_bound_s", 0.0) + gb.total
    left = None
    if options.time_limit is not None:
        spent = time.perf_counter() - t_begin
        left = max(0.5, (options.time_limit - spent) / windows_left)
    branch = None
    if branch_nodes > 0:
        t_branch = time.perf_counter()
        branch = search_active(sub, n_nodes, searched, gb.groups.values(),
                               node_limit=branch_nodes,
                               time_limit=None if left is None else BRANCH_SHARE * left)
        stats["branch_nodes"] += branch.nodes
        if left is not None:
            left = max(0.5, left - (time.perf_counter() - t_branch))
        if branch.proven:
            stats["branch_proven"] += 1
            stats["window_status"].append(Status.OPTIMAL)
            stats["_bound"] = max(branch.bound, min(gb.total, branch.total))
            return branch.starts
        if branch.total < upper:
            searched, upper = branch.starts, branch.total
    cuts = [(ids, least) for ids, least in node_groups(sub)]
    cuts += [(ids, gb.least[v]) for v, ids in gb.groups.items()]
    model = build_precedence(trace, chunk, upper, others=gb.others, groups=cuts)
    run = solve_precedence(model, options, left, searched)
    if run.start_rejected:
        stats["warm_start_rejected"] = stats.get("warm_start_rejected", 0) + 1
    stats["columns"] += len(model.cost)
    stats["rows"] += len(model.row_lower)
    stats["order_rows"] += model.n_order_rows
    stats["cut_rows"] += model.n_cut_rows
    stats["nonzeros"] += len(model.a_index)
    stats["nodes"] += run.nodes
    stats["window_status"].append(run.status)
    stats["group_rows"] += model.n_group_rows
    bound = run.bound
    if not math.isfinite(bound):
        # no dual bound at all: every request waits at least its service
        bound = float(sum(trace.duration(q) for q in chunk))
    if branch is not None:
        bound = max(bound, branch.bound)
    stats["_bound"] = min(max(bound, gb.total), upper)
    return run.starts if run.starts is not None else searched


def _best_greedy(trace: Trace, n_nodes: int) -> dict[int, float]:
    """The better of the FIFO and shortest-service-first greedy schedules."""
    fifo = greedy_matching(trace, n_nodes, priority="fifo")
    spt = greedy_matching(trace, n_nodes, priority="spt")
    return spt if total_latency(trace, spt) < total_latency(trace, fifo) else fifo
