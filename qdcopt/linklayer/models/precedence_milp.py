"""The offline optimum of a realised trace in continuous time: a precedence MILP (HiGHS).

Requests k have arrival ``a_k``, service ``d_k`` and end nodes ``{u_k, v_k}``; times are
in milliseconds inside the model (well-scaled coefficients).  Variables::

    S_k ∈ [a_k, h_k]                      start of request k (continuous)
    y_kl ∈ {0, 1}, k < l sharing a node   1: k before l on their common node(s)

Model::

    min  Σ_k S_k + Σ_k (d_k − a_k)                               (total latency, ms)
    s.t. S_l − S_k ≥ d_k − M_kl (1 − y_kl)                     (k before l)
         S_k − S_l ≥ d_l − M_lk y_kl                           (l before k)
         S_l ≥ ρ + Σ_{j ∈ J_v \\ l, a_j ≥ ρ} d_j · [j before l]   (workload cuts)

with ``M_kl = d_k + h_k − a_l``, the least constant that leaves the row slack when
``y_kl = 0`` (then ``S_l − S_k ≥ a_l − h_k``).  ``[j before l]`` is ``y_jl`` when j < l
and ``1 − y_lj`` otherwise.  Two requests sharing a node are ordered one way or the
other, so no node is in two generations at once: the model is exact — no slots, no
rounding, its optimum is the least total latency of the trace.

**Latest starts.**  With UB the total latency of a known schedule and ``O_k`` a lower
bound on the total latency of the other requests in any schedule, any schedule at least
as good has ``S_k + d_k − a_k ≤ UB − O_k``, so ``h_k = a_k − d_k + UB − O_k`` keeps every
such schedule; the dual bound is then a bound on the optimum (which is ≤ UB).  ``O_k`` is
the larger of ``Σ_{l≠k} d_l`` (every other request waits at least its service) and the
node-group bound of the other requests
(:func:`~qdcopt.linklayer.models.bounds.group_bound`).  When ``a_l + d_l > h_k``, l cannot
precede k and ``y_kl`` is fixed to 1 (to 0 in the mirror case).

**Workload cuts.**  For a node v of l with requests J_v and a time ρ ≤ a_l: every j ∈ J_v
with ``a_j ≥ ρ`` served before l at v runs inside ``[ρ, S_l)``, one at a time, so their
services add up to at most ``S_l − ρ``.  ρ runs over the arrivals in J_v up to a_l (the
``depth`` latest of them).  Each cut holds in every feasible schedule; they make the LP
bound of the big-M rows, which alone is little more than Σ a_k + d_k, grow with the
fractional orders.

**Group cuts.**  For a set G of requests with a lower bound ``L_G`` on their total
latency in any schedule (one node's requests, or a group of the node-group bound):
``Σ_{k∈G} S_k ≥ L_G + Σ_{k∈G} (a_k − d_k)``.  With the groups of the node-group bound the
LP relaxation is at least that bound (W_6 of Table V: root bound 979.82 ms total).

Tests check every row on the brute-force optimal schedule of small traces
(``tests/linklayer/test_linklayer_precedence.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qdcopt.linklayer.trace import Trace, TraceRequest
from qdcopt.solvers.highs import (
    MINIMIZE,
    SolverOptions,
    Status,
    configured_highs,
    highs_model,
    run_mip,
)

MS = 1e3
"""Model time unit per second."""

SLACK_MS = 1e-6
"""Room added to every latest start, ms: a schedule of total exactly UB keeps inside."""

CUT_DEPTH = 12
"""Most thresholds ρ per request and node in the workload cuts (the latest arrivals)."""


@dataclass(frozen=True)
class PrecedenceModel:
    """One window's precedence MILP in arrays (column-wise), with its column map.

    Attributes
    ----------
    ids
        Request id of start column k (columns 0 … K−1), in the order given.
    release, service, latest
        ``a_k``, ``d_k`` and ``h_k`` per request, ms.
    pairs
        ``(P, 2)`` request positions k < l sharing a node; order column ``K + p``.
    cost, col_lower, col_upper, integer
        Per column.
    a_start, a_index, a_value
        Constraint matrix, compressed sparse columns.
    row_lower, row_upper
        Per row.
    offset
        Constant of the objective, ``Σ (d_k − a_k)`` ms.
    n_order_rows, n_cut_rows, n_group_rows
        Big-M rows (two per pair), workload cuts and group cuts.
    """

    ids: tuple[int, ...]
    release: np.ndarray
    service: np.ndarray
    latest: np.ndarray
    pairs: np.ndarray
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    offset: float
    n_order_rows: int
    n_cut_rows: int
    n_group_rows: int = 0

    def columns_for(self, starts: Mapping[int, float]) -> np.ndarray:
        """Column vector of a schedule (request id → start, seconds); orders from the
        starts (ties by position)."""
        k = len(self.ids)
        s = np.array([starts[i] * MS for i in self.ids])
        x = np.zeros(len(self.cost))
        x[:k] = s
        if len(self.pairs):
            a, b = self.pairs[:, 0], self.pairs[:, 1]
            x[k:] = ((s[a] < s[b]) | ((s[a] == s[b]) & (a < b))).astype(float)
        return x

    def violation(self, x: np.ndarray) -> float:
        """Largest violation of a row or a column bound by ``x`` (0 when feasible)."""
        act = np.zeros(len(self.row_lower))
        for j in range(len(self.cost)):
            lo, hi = self.a_start[j], self.a_start[j + 1]
            act[self.a_index[lo:hi]] += self.a_value[lo:hi] * x[j]
        worst = [0.0, float(np.max(self.row_lower - act, initial=0.0)),
                 float(np.max(act - self.row_upper, initial=0.0)),
                 float(np.max(self.col_lower - x, initial=0.0)),
                 float(np.max(x - self.col_upper, initial=0.0))]
        return max(worst)


def build_precedence(trace: Trace, reqs: Sequence[TraceRequest], upper: float,
                     depth: int = CUT_DEPTH, *, others: Mapping[int, float] | None = None,
                     groups: Sequence[tuple[Sequence[int], float]] = (),
                     ) -> PrecedenceModel:
    """The precedence MILP of ``reqs`` alone (see the module docstring).

    Parameters
    ----------
    trace
        The trace (durations).
    reqs
        The window's requests.
    upper
        Total latency of a feasible schedule of ``reqs``, seconds (gives ``h_k``).
    depth
        Most thresholds ρ per request and node in the workload cuts.
    others
        Request id → a lower bound on the total latency of the *other* requests of
        ``reqs`` in any schedule of them, seconds (e.g. :attr:`GroupBound.others`); the
        latest starts use the larger of it and ``Σ_{l≠k} d_l``.
    groups
        Group cuts: (request ids, a lower bound on their total latency in any schedule,
        seconds); each adds the row ``Σ_{k∈G} S_k ≥ L_G + Σ_{k∈G} (a_k − d_k)``.
    """
    k_n = len(reqs)
    a = np.array([r.created * MS for r in reqs])
    d = np.array([trace.duration(r) * MS for r in reqs])
    rest = d.sum() - d
    if others is not None:
        rest = np.maximum(rest, np.array([others.get(r.id, 0.0) * MS for r in reqs]))
    latest = np.maximum(a, a - d + upper * MS - rest) + SLACK_MS
    ends = [(r.initiator, r.remote) for r in reqs]
    at: dict[int, list[int]] = {}
    for k, (u, v) in enumerate(ends):
        at.setdefault(u, []).append(k)
        at.setdefault(v, []).append(k)
    pair_set = set()
    for js in at.values():
        for i, k in enumerate(js):
            for l_ in js[i + 1:]:
                pair_set.add((min(k, l_), max(k, l_)))
    pairs = np.array(sorted(pair_set), dtype=np.int64).reshape(-1, 2)
    pid = {(int(k), int(l_)): p for p, (k, l_) in enumerate(pairs)}
    n_cols = k_n + len(pairs)
    y_lo, y_hi = np.zeros(len(pairs)), np.ones(len(pairs))
    rr: list[int] = []
    cc: list[int] = []
    vv: list[float] = []
    lo: list[float] = []
    for p, (k, l_) in enumerate(pairs):
        if a[l_] + d[l_] > latest[k]:
            y_lo[p] = 1.0      # l cannot come first: k must
        if a[k] + d[k] > latest[l_]:
            y_hi[p] = 0.0
        m1 = d[k] + latest[k] - a[l_]
        m2 = d[l_] + latest[l_] - a[k]
        row = len(lo)
        rr += [row, row, row, row + 1, row + 1, row + 1]
        cc += [int(l_), int(k), k_n + p, int(k), int(l_), k_n + p]
        vv += [1.0, -1.0, -m1, 1.0, -1.0, m2]
        lo += [d[k] - m1, d[l_]]
    n_order = len(lo)
    for js in at.values():
        for l_ in js:
            rhos = sorted({a[j] for j in js if a[j] <= a[l_]})[-depth:]
            for rho in rhos:
                row = len(lo)
                rhs = rho
                terms = 0
                rr.append(row)
                cc.append(l_)
                vv.append(1.0)
                for j in js:
                    if j == l_ or a[j] < rho:
                        continue
                    terms += 1
                    rr.append(row)
                    if j < l_:     # [j before l] = y_jl
                        cc.append(k_n + pid[(j, l_)])
                        vv.append(-d[j])
                    else:          # [j before l] = 1 − y_lj
                        cc.append(k_n + pid[(l_, j)])
                        vv.append(d[j])
                        rhs += d[j]
                if terms == 0:
                    del rr[-1], cc[-1], vv[-1]
                    continue
                lo.append(rhs)
    pos = {r.id: k for k, r in enumerate(reqs)}
    n_group = 0
    for ids, least in groups:
        ks = [pos[i] for i in ids]
        if len(ks) < 2:
            continue       # a single request's row is no stronger than its bounds
        row = len(lo)
        for k in ks:
            rr.append(row)
            cc.append(k)
            vv.append(1.0)
        lo.append(least * MS + float(sum(a[k] - d[k] for k in ks)))
        n_group += 1
    rows, cols, vals = np.array(rr, np.int64), np.array(cc, np.int64), np.array(vv)
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    start = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int32)
    integer = np.r_[np.zeros(k_n, bool), np.ones(len(pairs), bool)]
    return PrecedenceModel(
        ids=tuple(r.id for r in reqs), release=a, service=d, latest=latest, pairs=pairs,
        cost=np.r_[np.ones(k_n), np.zeros(len(pairs))], col_lower=np.r_[a, y_lo],
        col_upper=np.r_[latest, y_hi], integer=integer, a_start=start,
        a_index=rows.astype(np.int32), a_value=vals, row_lower=np.array(lo),
        row_upper=np.full(len(lo), np.inf), offset=float(d.sum() - a.sum()),
        n_order_rows=n_order, n_cut_rows=len(lo) - n_order - n_group,
        n_group_rows=n_group)


@dataclass(frozen=True)
class PrecedenceRun:
    """What one window's solve returned.

    Attributes
    ----------
    starts
        Start of every request (id → seconds) in the best solution, or ``None``.
    objective, bound
        Total latency of that solution and the proven lower bound, seconds.
    status
        HiGHS's status (mapped).
    nodes
        Branch-and-bound nodes.
    start_rejected
        Whether the run from the MIP start was discarded (see ``run_mip``).
    """

    starts: dict[int, float] | None
    objective: float
    bound: float
    status: str
    nodes: int
    start_rejected: bool


def solve_precedence(model: PrecedenceModel, options: SolverOptions,
                     time_limit: float | None,
                     start: Mapping[int, float] | None = None) -> PrecedenceRun:
    """Solve one window's model, from a schedule if given (request id → start, s)."""
    if not model.ids:
        return PrecedenceRun({}, 0.0, 0.0, str(Status.OPTIMAL), 0, False)
    h = configured_highs(options)
    h.passModel(highs_model(model.cost, model.col_lower, model.col_upper, model.row_lower,
                            model.row_upper, model.a_start, model.a_index, model.a_value,
                            maximise=False, integer=model.integer))
    # the constant in HiGHS too, so that its relative gap is a gap on the latency
    h.changeObjectiveOffset(model.offset)
    x0 = model.columns_for(start) if start is not None else None
    run = run_mip(h, model.cost, sense=MINIMIZE, start=x0, time_limit=time_limit,
                  offset=model.offset)
    starts = None
    if run.x is not None:
        starts = {i: float(run.x[k]) / MS for k, i in enumerate(model.ids)}
    bound = run.bound
    if run.status == Status.OPTIMAL and not math.isfinite(bound):
        bound = run.objective
    return PrecedenceRun(starts, run.objective / MS, bound / MS, str(run.status), run.nodes,
                         run.start_rejected)
