"""The offline optimum of a realised trace: a time-indexed matching MILP (HiGHS arrays).

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

Long traces are cut into windows of consecutive arrivals.  Solving each window alone
drops the constraints between windows, a relaxation, so the *sum of the windows' proven
bounds* is a certified lower bound on the whole trace.  The returned schedule is always
a feasible continuous one: the requests placed serially in the MILP's start order (or the
greedy schedule when that is better), so its latency is an upper bound.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qdcopt.highs import SolverOptions
from qdcopt.linklayer.greedy import greedy_matching, serial_schedule
from qdcopt.linklayer.trace import Trace, TraceRequest

EPS = 1e-9


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
    """One window's model in arrays, with its column map."""

    cost: np.ndarray
    col_req: np.ndarray
    col_slot: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    row_ub: np.ndarray
    row_lb: np.ndarray
    constant: float
    fixed: dict[int, int]
    n_rows: int


def _floor(x: float) -> int:
    # ⌊x⌋ read with a tolerance of 1e-9 slot, so that 0.003 / 0.001 = 2.9999999999999996
    # counts as 3: times closer than that are equal, as in the validator.
    return math.floor(x + EPS)


def build_window(trace: Trace, n_nodes: int, reqs: list[TraceRequest], slot: float,
                 upper: float) -> _Window:
    """The time-indexed model of ``reqs`` alone (see the module docstring)."""
    r = np.array([_floor(q.created / slot) for q in reqs], dtype=np.int64)
    d = np.array([max(0, _floor(trace.duration(q) / slot)) for q in reqs], dtype=np.int64)
    a = np.array([q.created for q in reqs])
    lb = (r + d) * slot - a
    horizon = int(r.max() + d.sum()) if len(reqs) else 0
    constant = -float(a.sum())
    fixed: dict[int, int] = {}
    cols_req, cols_slot, cost = [], [], []
    entries_col, entries_row = [], []
    t0 = int(r.min()) if len(reqs) else 0
    span = horizon - t0 + 1
    col = 0
    rows_assign = []
    for k, q in enumerate(reqs):
        if d[k] == 0:
            # A request shorter than a slot occupies no slot: it completes at its release.
            fixed[q.id] = int(r[k])
            constant += float(r[k] * slot)
            continue
        slack = upper - (lb.sum() - lb[k])
        last = min(horizon - int(d[k]), math.floor((a[k] + slack) / slot + EPS) - int(d[k]))
        last = max(last, int(r[k]))
        starts = np.arange(int(r[k]), last + 1, dtype=np.int64)
        m = len(starts)
        cols = np.arange(col, col + m, dtype=np.int64)
        col += m
        cols_req.append(np.full(m, k, dtype=np.int64))
        cols_slot.append(starts)
        cost.append((starts + d[k]) * slot)
        rows_assign.append(cols)
        offs = np.arange(int(d[k]), dtype=np.int64)
        occ = (starts[:, None] - t0 + offs[None, :]).ravel()
        cc = np.repeat(cols, int(d[k]))
        for node in (q.initiator, q.remote):
            entries_col.append(cc)
            entries_row.append(node * span + occ)
    n_cols = col
    if n_cols == 0:
        return _Window(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                       np.zeros(0), constant, fixed, 0)
    col_req = np.concatenate(cols_req)
    col_slot = np.concatenate(cols_slot)
    # Assignment rows first (one per modelled request), then the node-slot rows in use.
    n_assign = len(rows_assign)
    assign_row = np.concatenate([np.full(len(c), i, dtype=np.int64)
                                 for i, c in enumerate(rows_assign)])
    assign_col = np.concatenate(rows_assign)
    occ_col = np.concatenate(entries_col)
    occ_key = np.concatenate(entries_row)
    used, occ_row = np.unique(occ_key, return_inverse=True)
    # Rows touched by one column only can never bind: drop them.
    counts = np.bincount(occ_row, minlength=len(used))
    keep = counts[occ_row] > 1
    used_rows = np.unique(occ_row[keep])
    remap = -np.ones(len(used), dtype=np.int64)
    remap[used_rows] = np.arange(len(used_rows)) + n_assign
    rows = np.concatenate([assign_row, remap[occ_row[keep]]])
    cols = np.concatenate([assign_col, occ_col[keep]])
    n_rows = n_assign + len(used_rows)
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    a_start = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int32)
    row_lb = np.concatenate([np.ones(n_assign), np.full(len(used_rows), -np.inf)])
    row_ub = np.ones(n_rows)
    return _Window(np.concatenate(cost), col_req, col_slot, a_start, rows.astype(np.int32),
                   np.ones(len(rows)), row_ub, row_lb, constant, fixed, n_rows)


def _quiet_highs(highspy: Any) -> Any:
    """A ``Highs`` object created with the C-level stdout silenced (it prints a banner)."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def _solve_window(w: _Window, options: SolverOptions, time_limit: float | None,
                  warm: dict[int, int] | None) -> tuple[np.ndarray | None, float, float, str,
                                                        int]:
    """(column values, objective, dual bound, status, nodes) of one window."""
    import highspy

    n = len(w.cost)
    if n == 0:
        return np.zeros(0), 0.0, 0.0, "optimal", 0
    h = _quiet_highs(highspy)
    for key, value in options.highs_options().items():
        if key == "solver" and value == "choose":
            continue
        h.setOptionValue(key, value)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = w.n_rows
    lp.col_cost_ = w.cost
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = w.row_lb
    lp.row_upper_ = w.row_ub
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = w.a_start
    lp.a_matrix_.index_ = w.a_index
    lp.a_matrix_.value_ = w.a_value
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = w.n_rows
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    if warm:
        idx = [j for j in range(n) if warm.get(int(w.col_req[j])) == int(w.col_slot[j])]
        if len(idx) == len(set(w.col_req.tolist())):
            h.setSolution(len(idx), np.asarray(idx, dtype=np.int32), np.ones(len(idx)))
    timer = None
    if time_limit is not None:
        h.HandleUserInterrupt = True
        timer = threading.Timer(time_limit + 5.0, h.cancelSolve)
        timer.daemon = True
        timer.start()
    try:
        h.solve()
    finally:
        if timer is not None:
            timer.cancel()
    text = h.modelStatusToString(h.getModelStatus()).lower()
    status = "optimal" if text == "optimal" else ("time_limit" if "time" in text else text)
    info = h.getInfo()
    sol = h.getSolution()
    has = bool(sol.value_valid) and info.primal_solution_status == 2
    x = np.asarray(sol.col_value) if has else None
    obj = float(info.objective_function_value) if has else math.nan
    bound = float(info.mip_dual_bound)
    if status == "optimal" and not math.isfinite(bound):
        bound = obj
    if warm and x is not None and abs(float(w.cost @ x) - obj) > 1e-9 * max(1.0, abs(obj)):
        # Seen with HiGHS 1.16: after a MIP start the reported objective and dual bound
        # can disagree with the returned solution's cost.  Neither can then be trusted as
        # a bound, so the window is solved again without the start.
        return (*_solve_window(w, options, time_limit, None)[:4], -1)
    return x, obj, bound, status, int(info.mip_node_count)


def solve_matching_milp(trace: Trace, n_nodes: int, slot: float, *,
                        options: SolverOptions | None = None, window: int = 250,
                        ) -> MilpResult:
    """Least total latency of a trace, with a certified bound (see the module docstring).

    Parameters
    ----------
    trace
        The realised trace.
    n_nodes
        Number of nodes.
    slot
        Slot length Δ, seconds.
    options
        HiGHS options (time limit shared by the windows).
    window
        Most requests per window; longer traces are cut into windows.

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
    stats: dict[str, Any] = {"slot_s": slot, "windows": len(chunks), "columns": 0, "rows": 0,
                             "nonzeros": 0, "nodes": 0, "window_status": []}
    all_optimal = True
    for wi, chunk in enumerate(chunks):
        sub = _sub_trace(trace, chunk)
        g = greedy if len(chunks) == 1 else _best_greedy(sub, n_nodes)
        upper = total_latency(sub, g)
        w = build_window(trace, n_nodes, chunk, slot, upper)
        warm = {rid: _floor(s / slot) for rid, s in g.items()}
        left = None
        if options.time_limit is not None:
            spent = time.perf_counter() - t_begin
            left = max(0.5, (options.time_limit - spent) / (len(chunks) - wi))
        x, _, bound, status, nodes = _solve_window(w, options, left, warm)
        if nodes < 0:
            stats["warm_start_rejected"] = stats.get("warm_start_rejected", 0) + 1
            nodes = 0
        all_optimal &= status == "optimal"
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
            for j in np.flatnonzero(x > 0.5):
                slots[int(chunk_id(chunk, w.col_req[j]))] = int(w.col_slot[j])
        for q in chunk:
            s = slots.get(q.id, warm.get(q.id, _floor(q.created / slot)))
            order_key[q.id] = (wi, s, q.created)
    order = sorted(order_key, key=lambda rid: (order_key[rid], rid))
    repaired = serial_schedule(trace, n_nodes, order)
    rep_total = total_latency(trace, repaired)
    starts, total = (repaired, rep_total) if rep_total <= greedy_total else (greedy,
                                                                              greedy_total)
    bound_total = min(bound_total, total)
    stats.update(greedy_total_s=greedy_total, repaired_total_s=rep_total,
                 time_s=time.perf_counter() - t_begin)
    exact = all_optimal and total - bound_total <= 1e-9 * max(1.0, total)
    return MilpResult(starts, total, bound_total, "optimal" if exact else "feasible", stats)


def _best_greedy(trace: Trace, n_nodes: int) -> dict[int, float]:
    """The better of the FIFO and shortest-service-first greedy schedules."""
    fifo = greedy_matching(trace, n_nodes, priority="fifo")
    spt = greedy_matching(trace, n_nodes, priority="spt")
    return spt if total_latency(trace, spt) < total_latency(trace, fifo) else fifo


def chunk_id(chunk: list[TraceRequest], k: int) -> int:
    """Request id of the k-th request of a window."""
    return chunk[int(k)].id
