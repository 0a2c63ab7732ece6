"""The hyperflow LP, built as sparse arrays and solved by HiGHS, exact at scale by pricing.

Formulation (``models/hyperflow.md`` has the reasoning for every row):

* columns: link generation ``g_l`` (pairs/s), request delivery ``y_r``, swap flow
  ``x_{w,uv}`` (pairs of each input consumed per second), and ``z`` for max–min fairness;
* rows: node capacity ``Σ_{l ∋ u} g_l / p_l ≤ C_u``; conservation at every state
  ``{u, v}``: ``Σ_{swaps using it} x + Σ_{requests on it} y − g_{uv} − Σ_w γ_w x_{w,uv} ≤ 0``;
  fairness ``y_r − w_r z ≥ 0``; bounds ``0 ≤ g_l ≤ p_l · min(C_u, C_v)``;
* objective: ``max Σ_r w_r y_r``, or (``objective="maxmin"``) first ``max z`` and then
  ``max Σ_r w_r y_r`` with ``z`` kept at its optimum.

Every state has its row from the start (``n(n-1)/2`` rows, 19 900 at 200 nodes); swap
columns are added in rounds by :mod:`qdcopt.network.lp.pricing` on one persistent
``highspy.Highs`` object, the first solve by interior point, the re-solves warm-started
from the previous basis by simplex.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.lp.colgen import search
from qdcopt.network.lp.hypergraph import (
    full_swap_count,
    full_swaps,
    pair_ids,
    pruned_swaps,
    split_keys,
    state_count,
    swap_keys,
    swaps_from,
)
from qdcopt.network.lp.pricing import PRICE_TOL, derivation, extend_prices, positive_swaps
from qdcopt.network.lp.rows import (
    MAXMIN,
    OBJECTIVES,
    SUM,
    fairness_column,
    limit_to_deadline,
    row_bounds,
)
from qdcopt.network.physics import LinkModel, link_model, swap_gain
from qdcopt.solvers.highs import (
    SolverOptions,
    Status,
    highs_model,
    new_highs,
    run_highs_object,
)

# Relative slack when a first-phase optimum is kept as a bound in the next phase.
PHASE_SLACK = 1e-9

@dataclass(frozen=True)
class HyperflowSolution:
    """An optimal (or best found) hyperflow.

    Attributes
    ----------
    variant
        ``"published"`` or ``"steady_state"`` (see :func:`qdcopt.network.physics.swap_gain`).
    objective_kind
        ``"sum"`` or ``"maxmin"``.
    status
        ``"optimal"`` when the full-hypergraph optimum is certified, else HiGHS's status or
        ``"restricted"`` (optimal on the active hypergraph only).
    objective
        ``Σ_r w_r y_r``.
    link_rate, request_rate
        ``g`` per link and ``y`` per request.
    swap_w, swap_u, swap_v, swap_rate
        Swaps that carry flow (``u < v``) and their flows.
    stats
        Sizes and times: ``full_states``, ``full_swaps``, ``active_swaps``, ``rounds``,
        ``pruned_objective``, ``build_s``, ``solve_s``, ``pricing_s``, ``certified``.
    """

    variant: str
    objective_kind: str
    status: str
    objective: float
    link_rate: np.ndarray
    request_rate: np.ndarray
    swap_w: np.ndarray
    swap_u: np.ndarray
    swap_v: np.ndarray
    swap_rate: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)


class HyperflowLP:
    """One hyperflow LP held by a persistent HiGHS object, growing by swap columns.

    Parameters
    ----------
    instance
        The network.
    variant
        Swap-gain variant.
    options
        HiGHS options (time limit, threads, seed, first-solve method).
    model
        Link model (computed when not given).
    resolve
        HiGHS solver for the re-solves after columns are added (``"ipm"``: on these
        degenerate LPs a warm-started simplex needed thousands of iterations per round).
    """

    def __init__(self, instance: NetworkInstance, variant: str, options: SolverOptions,
                 model: LinkModel | None = None, resolve: str = "ipm") -> None:
        self.instance = instance
        self.model = model if model is not None else link_model(instance)
        self.variant = variant
        self.gamma = swap_gain(self.model.swap_success, variant)
        self.options = options
        self.resolve = resolve
        # Priced swaps kept per output state and round (several, so that one round feeds
        # a state from more than one cheap derivation).
        self.per_output = 4
        self.run_times: list[float] = []
        n, L, R = instance.n, len(instance.links), len(instance.requests)
        self.n, self.L, self.R = n, L, R
        self.S = state_count(n)
        self.pid = pair_ids(n)
        self.row_state0 = n
        self.row_fair0 = n + self.S
        self.col_y0 = L
        self.col_z = L + R
        self.col_x0 = L + R + 1
        self.keys: list[np.ndarray] = []
        self.key_set: set[int] = set()
        self.fixed_base = np.zeros((n, n), dtype=bool)
        self.weights = np.array([r.weight for r in instance.requests], dtype=float)
        self.solve_s = 0.0
        self.runs = 0
        self.max_new = max(500, 5 * n)
        self.h = new_highs(options.verbose)
        self._pass_base()

    # -- building ------------------------------------------------------------------------
    def _pass_base(self) -> None:
        """Pass the rows and the g, y, z columns."""
        inst, m = self.instance, self.model
        L, R, S = self.L, self.R, self.S
        cols_start = [0]
        idx: list[int] = []
        val: list[float] = []
        cost = np.zeros(L + R + 1)
        lower = np.zeros(L + R + 1)
        upper = np.full(L + R + 1, highspy.kHighsInf)
        for li in range(L):
            u, v = int(m.link_u[li]), int(m.link_v[li])
            inv_p = 1.0 / m.success[li]
            # attempts at both ends; the link's pairs flow into state {u, v}
            idx += [u, v, self.row_state0 + int(self.pid[u, v])]
            val += [inv_p, inv_p, -1.0]
            cols_start.append(len(idx))
            upper[li] = m.capacity[li]
            self.fixed_base[u, v] = self.fixed_base[v, u] = True
        for r, req in enumerate(inst.requests):
            s, d = req.source, req.destination
            idx += [self.row_state0 + int(self.pid[s, d]), self.row_fair0 + r]
            val += [1.0, 1.0]
            cols_start.append(len(idx))
            cost[L + r] = req.weight
            self.fixed_base[s, d] = self.fixed_base[d, s] = True
        z_idx, z_val = fairness_column(self.row_fair0, self.weights)
        idx += z_idx.tolist()
        val += z_val.tolist()
        cols_start.append(len(idx))
        row_lower, row_upper = row_bounds(m, S, R)
        lp = highs_model(cost, lower, upper, row_lower, row_upper, cols_start, idx, val,
                         maximise=True)
        h = self.h
        h.setOptionValue("output_flag", bool(self.options.verbose))
        h.setOptionValue("threads", int(self.options.threads))
        h.setOptionValue("random_seed", int(self.options.seed))
        first = self.options.lp_method
        h.setOptionValue("solver", "ipm" if first == "choose" else first)
        h.passModel(lp)

    @property
    def active_count(self) -> int:
        """Number of swap columns in the LP."""
        return len(self.key_set)

    def add_swaps(self, w: np.ndarray, u: np.ndarray, v: np.ndarray) -> int:
        """Add swap columns ``(w, u, v)`` (``u < v``) not yet in the LP; return how many."""
        n = self.n
        keys = swap_keys(n, w, u, v)
        if self.key_set:
            fresh = np.fromiter((k not in self.key_set for k in keys.tolist()), dtype=bool,
                                count=len(keys))
            keys = keys[fresh]
        keys = np.unique(keys)
        if len(keys) == 0:
            return 0
        w, u, v = split_keys(n, keys)
        k = len(keys)
        rows = np.empty(3 * k, dtype=np.int32)
        vals = np.empty(3 * k)
        rows[0::3] = self.row_state0 + self.pid[u, w]
        rows[1::3] = self.row_state0 + self.pid[w, v]
        rows[2::3] = self.row_state0 + self.pid[u, v]
        vals[0::3] = 1.0
        vals[1::3] = 1.0
        vals[2::3] = -self.gamma[w]
        starts = np.arange(0, 3 * k, 3, dtype=np.int32)
        self.h.addCols(k, np.zeros(k), np.zeros(k), np.full(k, highspy.kHighsInf), 3 * k,
                       starts, rows, vals)
        self.keys.append(keys)
        self.key_set.update(keys.tolist())
        return k

    def active_keys(self) -> np.ndarray:
        """Keys of the swap columns, in column order."""
        return np.concatenate(self.keys) if self.keys else np.zeros(0, dtype=np.int64)

    # -- solving -------------------------------------------------------------------------
    def run(self, deadline: float | None) -> str:
        """Solve (warm-started after the first run); return the status."""
        h = self.h
        limit_to_deadline(h, deadline)
        start = time.perf_counter()
        status = run_highs_object(h, verbose=self.options.verbose)
        self.run_times.append(time.perf_counter() - start)
        self.solve_s += self.run_times[-1]
        self.runs += 1
        h.setOptionValue("solver", self.resolve)
        return status

    def objective_value(self) -> float:
        """Current objective value."""
        return float(self.h.getInfo().objective_function_value)

    def columns(self) -> np.ndarray:
        """Current column values."""
        return np.asarray(self.h.getSolution().col_value)

    def state_prices(self) -> np.ndarray:
        """Dual prices of the conservation rows as a symmetric ``n × n`` matrix."""
        dual = np.asarray(self.h.getSolution().row_dual)
        pi = dual[self.row_state0:self.row_state0 + self.S]
        # HiGHS reports duals with c − Aᵀπ as reduced cost; for a maximisation the ≤ rows
        # carry π ≥ 0 in that convention (checked in the tests).
        P = np.zeros((self.n, self.n))
        iu, iv = np.triu_indices(self.n, k=1)
        P[iu, iv] = pi
        P[iv, iu] = pi
        return P

    def set_costs(self, y_cost: np.ndarray, z_cost: float) -> None:
        """Objective coefficients of ``y`` and ``z`` (g and x cost nothing)."""
        cols = np.arange(self.col_y0, self.col_z + 1, dtype=np.int32)
        costs = np.concatenate([y_cost, [z_cost]])
        self.h.changeColsCost(len(cols), cols, costs)

    def fix_z_at_least(self, z: float) -> None:
        """Keep the fairness level at ``z`` or more."""
        self.h.changeColBounds(self.col_z, z, highspy.kHighsInf)

    # -- the column-generation search (colgen.PricedMaster) -------------------------------
    def start_phase(self, phase: str) -> None:
        """Objective of ``phase``: the fairness level, or the weighted total."""
        if phase == MAXMIN:
            self.set_costs(np.zeros(self.R), 1.0)
        else:
            self.set_costs(self.weights, 0.0)

    def values(self) -> np.ndarray:
        """Column values of the last solve."""
        return self.columns()

    def level(self) -> float:
        """The fairness level of the last solve."""
        return float(self.columns()[self.col_z])

    def hold_level(self, z: float) -> None:
        """Keep the fairness level at ``z`` less :data:`PHASE_SLACK` (interior-point
        re-solves meet the level only to their tolerance)."""
        self.fix_z_at_least(z * (1.0 - PHASE_SLACK))

    def has_feasible_point(self) -> bool:
        """Whether HiGHS holds a feasible primal point."""
        return self.h.getInfo().primal_solution_status == 2

    # -- pricing -------------------------------------------------------------------------
    def price(self, max_new: int | None = None) -> tuple[int, int]:
        """Add improving swaps and their derivations (at most ``max_new``, default
        :attr:`max_new`); return (positive swaps, columns added)."""
        max_new = self.max_new if max_new is None else max_new
        P0 = self.state_prices()
        # Only link and request states keep the LP's price; every other state gets the
        # largest price consistent with every swap that makes it (see pricing.py).
        fixed = self.fixed_base
        P, via = extend_prices(P0, fixed, self.gamma)
        scale = max(1.0, float(np.max(P0[fixed], initial=0.0)))
        w, u, v, rc = positive_swaps(P, self.gamma, PRICE_TOL * scale)
        if len(rc) == 0:
            return 0, 0
        if self.per_output:
            # The best swap of each output state: one cheapest hyperpath per state that a
            # cheaper derivation could feed, rather than many swaps into the same state.
            order = np.lexsort((-rc, v, u))
            su, sv = u[order], v[order]
            new_group = np.ones(len(order), dtype=bool)
            new_group[1:] = (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])
            group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
            rank = np.arange(len(order)) - group_start
            pick = order[rank < self.per_output]
            w, u, v, rc = w[pick], u[pick], v[pick], rc[pick]
        if len(rc) > max_new:
            top = np.argpartition(-rc, max_new - 1)[:max_new]
            w, u, v = w[top], u[top], v[top]
        triples: set[tuple[int, int, int]] = set()
        for ww, uu, vv in zip(w.tolist(), u.tolist(), v.tolist(), strict=True):
            triples.add((ww, uu, vv))
            triples.update(derivation(via, uu, ww, fixed))
            triples.update(derivation(via, ww, vv, fixed))
        aw, au, av = swaps_from(self.n, triples)
        return len(rc), self.add_swaps(aw, au, av)


def solve_hyperflow(instance: NetworkInstance, *, variant: str = "published",
                    objective: str = SUM, pricing: bool = True, full: bool = False,
                    k_paths: int = 10, max_new: int | None = None, clean: bool = True,
                    options: SolverOptions | None = None,
                    max_rounds: int = 1000) -> HyperflowSolution:
    """Maximise the (weighted) aggregate request rate over level-based swapping structures.

    Parameters
    ----------
    instance
        The network.
    variant
        ``"published"`` (Ghaderibaneh et al. 2022, swap gain ``2q/3``) or ``"steady_state"``.
    objective
        ``"sum"`` (weighted aggregate rate) or ``"maxmin"`` (max–min fair, then aggregate).
    pricing
        Add priced swaps until none has a positive reduced cost (exact); without it the
        answer is the optimum of the starting hypergraph only (a restriction).
    full
        Start from the full hypergraph instead of the pruned one.
    k_paths
        Shortest paths per request of the pruned starting hypergraph.
    max_new
        Most priced swaps added per round (default ``max(500, 5 n)``).
    clean
        After the optimum, minimise the total flow with the objective held (removes
        useless circulations, so the flow decomposes into trees).
    options
        HiGHS options; the time limit covers all rounds.
    max_rounds
        Safety cap on pricing rounds.

    Returns
    -------
    HyperflowSolution
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r} (use {', '.join(OBJECTIVES)})")
    options = options or SolverOptions()
    t0 = time.perf_counter()
    deadline = None if options.time_limit is None else t0 + float(options.time_limit)
    lp = HyperflowLP(instance, variant, options)
    n = instance.n
    if full:
        lp.add_swaps(*full_swaps(n))
    else:
        lp.add_swaps(*pruned_swaps(instance, k_paths))
    build_s = time.perf_counter() - t0
    max_new = max_new or max(500, 5 * n)
    stats: dict[str, Any] = {"full_states": state_count(n), "full_swaps": full_swap_count(n),
                             "start_swaps": lp.active_count, "rounds": 0, "positive": []}
    lp.max_new = max_new
    phases = [MAXMIN, SUM] if objective == MAXMIN else [SUM]
    found = search(lp, phases, deadline, pricing=pricing, certified_unpriced=full,
                   max_rounds=max_rounds, objective_of=lambda _cols: lp.objective_value())
    stats.update(rounds=found.rounds, positive=list(found.positive),
                 pruned_objective=found.first_objective)
    if found.maxmin_level is not None:
        stats["maxmin_level"] = found.maxmin_level
    status, certified, cols, pricing_s = (found.status, found.certified, found.values,
                                          found.pricing_s)
    best = float(np.dot(lp.weights, cols[lp.col_y0:lp.col_z]))
    if clean and status == Status.OPTIMAL:
        cols = _clean(lp, best, deadline, cols)
    stats.update(active_swaps=lp.active_count, build_s=build_s, solve_s=lp.solve_s,
                 pricing_s=pricing_s, certified=certified, runs=lp.runs,
                 total_s=time.perf_counter() - t0)
    if status == Status.OPTIMAL and not certified:
        status = Status.RESTRICTED
    x = cols[lp.col_x0:]
    keys = lp.active_keys()
    keep = x > 1e-12 * max(1.0, float(np.max(x, initial=0.0)))
    sw, su, sv = split_keys(n, keys[keep])
    order = np.lexsort((sv, su, sw))
    y = np.maximum(cols[lp.col_y0:lp.col_z], 0.0)
    return HyperflowSolution(
        variant=variant, objective_kind=objective, status=status,
        objective=float(np.dot(lp.weights, y)),
        link_rate=np.maximum(cols[:lp.L], 0.0), request_rate=y,
        swap_w=sw[order], swap_u=su[order], swap_v=sv[order], swap_rate=x[keep][order],
        stats=stats)


def _clean(lp: HyperflowLP, best: float, deadline: float | None, cols: np.ndarray,
           ) -> np.ndarray:
    """Minimise total flow with ``Σ w y`` held at its optimum; keep ``cols`` if that fails."""
    h = lp.h
    num_col = h.getNumCol()
    # Hold the objective with a row over y, then cost every g and x column −1.
    y_cols = np.arange(lp.col_y0, lp.col_z, dtype=np.int32)
    h.addRow(best * (1.0 - PHASE_SLACK), highspy.kHighsInf, len(y_cols), y_cols, lp.weights)
    lp.set_costs(np.zeros(lp.R), 0.0)
    flow_cols = np.concatenate([np.arange(lp.L), np.arange(lp.col_x0, num_col)]).astype(np.int32)
    h.changeColsCost(len(flow_cols), flow_cols, np.full(len(flow_cols), -1.0))
    status = lp.run(deadline)
    if status != Status.OPTIMAL:
        return cols
    cleaned = lp.columns()
    if float(np.dot(lp.weights, cleaned[lp.col_y0:lp.col_z])) < best * (1.0 - 1e-7):
        return cols
    return cleaned
