"""The hyperflow LP over hyperpaths: column generation with swapping trees.

A hyperflow is a combination of hyperpaths (paper 003 §IV-C), and a hyperpath from link
states to a request state is a swapping tree.  Writing the hyperflow LP over trees leaves
only the node-capacity rows (plus the fairness rows of the max–min objective):

    max Σ_r w_r Σ_{T ∈ r} λ_T   s.t.   Σ_T a_{u,T} λ_T ≤ C_u  (every node u),

where ``a_{u,T}`` is the attempts per second a unit rate of tree ``T`` makes at ``u``.  The
master LP has ``n`` rows, so HiGHS re-solves it in milliseconds.  Its node duals ``μ``
price a link pair at ``(μ_u + μ_v) / p_link``, and the cheapest way to make any state is
the least fixed point of ``D_{uv} = min(link price, min_w (D_{uw} + D_{wv}) / γ_w)`` over
*every* swap of the full hypergraph (:func:`qdcopt.network.lp.pricing.cheapest_derivations`).
A request whose ``D`` is below its objective coefficient gets its cheapest tree (and the
cheapest tree through each intermediate node) as new columns.

When no request is left with a positive reduced cost, ``π = D`` together with ``μ`` is a
feasible dual of the *full* hyperflow LP with the master's objective value (every swap
satisfies ``γ_w π_{uv} ≤ π_{uw} + π_{wv}`` by construction, every link column
``π_l ≤ (μ_u + μ_v)/p_l``, every request ``π_{sd} ≥ w_r``): the master optimum is the
full-hypergraph optimum.  The active hypergraph is the union of the trees' states and
swaps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from qdcopt.network.dp import build_tree
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.lp.colgen import search
from qdcopt.network.lp.hypergraph import full_swap_count, state_count
from qdcopt.network.lp.pricing import PRICE_TOL, cheapest_derivations
from qdcopt.network.lp.rows import (
    MAXMIN,
    OBJECTIVES,
    SUM,
    fairness_column,
    limit_to_deadline,
    row_bounds,
)
from qdcopt.network.physics import (
    NO_SWAP,
    LinkModel,
    SwapTree,
    TreeNode,
    link_model,
    swap_gain,
    tree_need,
)
from qdcopt.solvers.highs import (
    SolverOptions,
    Status,
    highs_model,
    new_highs,
    run_highs_object,
)

PHASE_SLACK = 1e-10
SMOOTHING = 0.5
"""Default weight of the stability centre in the pricing duals (``models/hyperflow.md``).

Measured on Waxman networks (seed 1): 200 nodes 98 → 47 rounds, 500 nodes 154 → 44."""


@dataclass(frozen=True)
class TreeColumn:
    """One tree column of the master LP.

    Attributes
    ----------
    request
        Request index.
    nodes
        Tree nodes (leaves carry no rate: rates scale with the column's value).
    attempts
        Attempts/s per unit rate at each node that the tree touches: ``{node: a_u}``.
    leaf_need, swap_flow
        Per tree node: link pairs per unit rate (leaves) and swap flow per unit rate.
    """

    request: int
    nodes: tuple[TreeNode, ...]
    attempts: dict[int, float]
    leaf_need: tuple[float, ...]
    swap_flow: tuple[float, ...]


@dataclass(frozen=True)
class TreeFlow:
    """Optimal master solution: trees with rates, and the sizes of the search.

    Attributes
    ----------
    status
        ``"optimal"`` when certified for the full hypergraph, else HiGHS's status.
    objective
        ``Σ_r w_r y_r``.
    trees
        Trees with positive rate (leaf ``link_rate`` = pairs the tree draws per second).
    stats
        ``full_states``, ``full_swaps``, ``active_states``, ``active_swaps``, ``columns``,
        ``rounds``, ``certified``, times.
    """

    status: str
    objective: float
    trees: tuple[SwapTree, ...]
    stats: dict[str, Any] = field(default_factory=dict)


def _column(instance: NetworkInstance, model: LinkModel, gamma: np.ndarray, request: int,
            nodes: list[TreeNode]) -> TreeColumn:
    tree = SwapTree(request=request, rate=1.0, nodes=tuple(nodes))
    supply, flow = tree_need(tree, gamma)
    attempts: dict[int, float] = {}
    need = []
    for i, node in enumerate(nodes):
        if node.is_leaf:
            link = instance.find_link(node.u, node.v)
            a = supply[i] / model.success[link]
            attempts[node.u] = attempts.get(node.u, 0.0) + a
            attempts[node.v] = attempts.get(node.v, 0.0) + a
            need.append(supply[i])
        else:
            need.append(0.0)
    return TreeColumn(request=request, nodes=tuple(nodes), attempts=attempts,
                      leaf_need=tuple(need), swap_flow=tuple(flow))


def _tree_signature(nodes: tuple[TreeNode, ...]) -> tuple:
    return tuple((n.u, n.v, n.swap_at) for n in nodes)


class TreeMaster:
    """Master LP over tree columns, on a persistent HiGHS object."""

    def __init__(self, instance: NetworkInstance, variant: str, options: SolverOptions,
                 model: LinkModel | None = None, smoothing: float = 0.0) -> None:
        self.instance = instance
        self.smoothing = float(smoothing)
        self.centre: np.ndarray | None = None
        self.mispricings = 0
        self.per_request = 8
        self.model = model if model is not None else link_model(instance)
        self.gamma = swap_gain(self.model.swap_success, variant)
        self.n, self.R = instance.n, len(instance.requests)
        self.weights = np.array([r.weight for r in instance.requests], dtype=float)
        self.columns: list[TreeColumn] = []
        self.seen: set[tuple] = set()
        self.col_z = 0
        self.y_cost = self.weights.copy()
        self.z_cost = 0.0
        self.solve_s = 0.0
        self.runs = 0
        self.verbose = bool(options.verbose)
        h = self.h = new_highs(self.verbose)
        h.setOptionValue("threads", int(options.threads))
        h.setOptionValue("random_seed", int(options.seed))
        # The master is tiny (one row per node) but its tree columns span many orders of
        # magnitude (attempts per unit rate grow as 1/γ per level): tight tolerances keep
        # the duals that price new trees accurate.
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        row_lower, row_upper = row_bounds(self.model, 0, self.R)
        z_index, z_value = fairness_column(self.n, self.weights)
        lp = highs_model(np.zeros(1), np.zeros(1), [highspy.kHighsInf], row_lower, row_upper,
                         [0, self.R], z_index, z_value, maximise=True)
        h.passModel(lp)

    def add(self, request: int, nodes: list[TreeNode], col: TreeColumn | None = None,
            ) -> bool:
        """Add a tree column unless it is already in; return whether it was added."""
        sig = (request, _tree_signature(tuple(nodes)))
        if sig in self.seen:
            return False
        self.seen.add(sig)
        if col is None:
            col = _column(self.instance, self.model, self.gamma, request, nodes)
        rows = sorted(col.attempts)
        idx = np.array([*rows, self.n + request], dtype=np.int32)
        val = np.array([col.attempts[u] for u in rows] + [1.0])
        cost = self.y_cost[request]
        self.h.addCol(float(cost), 0.0, highspy.kHighsInf, len(idx), idx, val)
        self.columns.append(col)
        return True

    def set_phase(self, y_cost: np.ndarray, z_cost: float) -> None:
        """Objective: ``y_cost[r]`` per unit rate of request r's trees, ``z_cost`` on z."""
        self.y_cost = np.asarray(y_cost, dtype=float)
        self.z_cost = z_cost
        self.centre = None  # duals of another objective say nothing about this one
        k = len(self.columns)
        idx = np.arange(k + 1, dtype=np.int32)
        costs = np.concatenate([[z_cost], [self.y_cost[c.request] for c in self.columns]])
        self.h.changeColsCost(k + 1, idx, costs)

    def run(self, deadline: float | None) -> str:
        """Solve the master; return the status."""
        h = self.h
        limit_to_deadline(h, deadline)
        t = time.perf_counter()
        status = run_highs_object(h, verbose=self.verbose)
        if status not in (Status.OPTIMAL, Status.TIME_LIMIT, Status.INTERRUPTED):
            # A warm start can stall numerically; a cold start from scratch is robust.
            h.clearSolver()
            status = run_highs_object(h, verbose=self.verbose)
        self.solve_s += time.perf_counter() - t
        self.runs += 1
        return status

    def values(self) -> np.ndarray:
        """Column values (``z`` first, then the trees)."""
        return np.asarray(self.h.getSolution().col_value)

    # -- the column-generation search (colgen.PricedMaster) -------------------------------
    def start_phase(self, phase: str) -> None:
        """Objective of ``phase``: the fairness level, or the weighted total."""
        if phase == MAXMIN:
            self.set_phase(np.zeros(self.R), 1.0)
        else:
            self.set_phase(self.weights, 0.0)

    def level(self) -> float:
        """The fairness level of the last solve."""
        return float(self.values()[0])

    def hold_level(self, z: float) -> None:
        """Keep the fairness level at ``z`` less :data:`PHASE_SLACK` (the master's
        simplex meets it to 1e-9; tighter than the swap-column LP's interior point)."""
        self.h.changeColBounds(0, z * (1.0 - PHASE_SLACK), highspy.kHighsInf)

    def has_feasible_point(self) -> bool:
        """Whether HiGHS holds a feasible primal point."""
        return self.h.getInfo().primal_solution_status == 2

    def price(self, per_request: int | None = None) -> tuple[int, int]:
        """Add the cheapest trees of requests with positive reduced cost (each with up to
        ``per_request`` trees, default :attr:`per_request`).

        The trees are priced first at smoothed duals ``α·centre + (1 − α)·duals``
        (``self.smoothing = α``; the centre is the last smoothed point), and only trees
        whose reduced cost at the master's own duals is positive are added.  When the
        smoothed duals yield none (a mispricing), the round prices at the master's duals,
        so the search stops only when those certify the optimum.

        Returns
        -------
        (requests priced positive, columns added)
        """
        per_request = self.per_request if per_request is None else per_request
        dual = np.array(self.h.getSolution().row_dual, dtype=float)
        if self.smoothing > 0.0 and self.centre is not None:
            smooth = self.smoothing * self.centre + (1.0 - self.smoothing) * dual
            self.centre = smooth
            positive, added = self._price_at(smooth, dual, per_request)
            if added:
                return positive, added
            self.mispricings += 1
        self.centre = dual
        return self._price_at(dual, dual, per_request)

    def _price_at(self, dual: np.ndarray, true: np.ndarray, per_request: int,
                  ) -> tuple[int, int]:
        """Trees cheapest at duals ``dual``, added when positive at the master's ``true``."""
        mu = np.maximum(dual[:self.n], 0.0)
        rho = dual[self.n:]
        true_mu = np.maximum(true[:self.n], 0.0)
        true_rho = true[self.n:]
        m = self.model
        base = np.full((self.n, self.n), np.inf)
        cost = (mu[m.link_u] + mu[m.link_v]) / m.success
        base[m.link_u, m.link_v] = cost
        base[m.link_v, m.link_u] = cost
        D, via = cheapest_derivations(base, np.ones((self.n, self.n), dtype=bool), self.gamma)
        scale = max(1.0, float(np.max(np.abs(self.y_cost), initial=0.0)))
        tol = PRICE_TOL * scale
        positive = added = 0

        def offer(r: int, nodes: list[TreeNode]) -> int:
            col = _column(self.instance, m, self.gamma, r, nodes)
            rc = self.y_cost[r] - true_rho[r] - sum(a * true_mu[u]
                                                    for u, a in col.attempts.items())
            return int(rc > tol and self.add(r, nodes, col))

        for r, req in enumerate(self.instance.requests):
            s, d = req.source, req.destination
            rc = self.y_cost[r] - rho[r] - D[s, d]
            if not rc > tol:
                continue
            positive += 1
            nodes: list[TreeNode] = []
            build_tree(via, s, d, nodes)
            added += offer(r, nodes)
            if per_request > 1:
                # Cheapest trees whose root swaps at each other node: diverse columns that
                # spare the master many rounds.
                ws = np.arange(self.n)
                through = (D[s, ws] + D[ws, d]) / self.gamma
                through[[s, d]] = np.inf
                best = np.argsort(through)[:per_request]
                for w in best.tolist():
                    if not math.isfinite(through[w]) or self.y_cost[r] - rho[r] - through[w] <= \
                            tol:
                        break
                    root = TreeNode(u=s, v=d, swap_at=w, left=1, right=-1)
                    sub: list[TreeNode] = [root]
                    build_tree(via, s, w, sub)
                    right = len(sub)
                    build_tree(via, w, d, sub)
                    sub[0] = TreeNode(u=s, v=d, swap_at=w, left=1, right=right)
                    added += offer(r, sub)
        return positive, added

    def initial_columns(self) -> None:
        """Cheapest trees when every attempt costs the same (μ = 1 at every node)."""
        m = self.model
        base = np.full((self.n, self.n), np.inf)
        cost = 2.0 / m.success
        base[m.link_u, m.link_v] = cost
        base[m.link_v, m.link_u] = cost
        D, via = cheapest_derivations(base, np.ones((self.n, self.n), dtype=bool), self.gamma)
        for r, req in enumerate(self.instance.requests):
            if math.isfinite(D[req.source, req.destination]):
                nodes: list[TreeNode] = []
                build_tree(via, req.source, req.destination, nodes)
                self.add(r, nodes)


def solve_tree_master(instance: NetworkInstance, *, variant: str = "published",
                      objective: str = "sum", options: SolverOptions | None = None,
                      per_request: int = 8, max_rounds: int = 10000,
                      smoothing: float = SMOOTHING) -> TreeFlow:
    """Solve the hyperflow LP exactly by column generation over swapping trees.

    Parameters
    ----------
    instance
        The network.
    variant
        Swap-gain variant.
    objective
        ``"sum"`` or ``"maxmin"``.
    options
        HiGHS options; the time limit covers all rounds.
    per_request
        Trees added per positively priced request and round.
    max_rounds
        Safety cap on rounds.
    smoothing
        Weight ``α ∈ [0, 1)`` of the stability centre in the duals that price trees
        (0: the master's duals alone).  It changes how many rounds the search takes,
        never the certified optimum.

    Returns
    -------
    TreeFlow
    """
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must lie in [0, 1), got {smoothing!r}")
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r} (use sum, maxmin)")
    options = options or SolverOptions()
    t0 = time.perf_counter()
    deadline = None if options.time_limit is None else t0 + float(options.time_limit)
    master = TreeMaster(instance, variant, options, smoothing=smoothing)
    master.initial_columns()
    n = instance.n
    stats: dict[str, Any] = {"full_states": state_count(n), "full_swaps": full_swap_count(n)}
    master.per_request = per_request
    phases = [MAXMIN, SUM] if objective == MAXMIN else [SUM]
    found = search(master, phases, deadline, max_rounds=max_rounds)
    status, certified, pricing_s = found.status, found.certified, found.pricing_s
    stats["rounds"] = found.rounds
    if found.maxmin_level is not None:
        stats["maxmin_level"] = found.maxmin_level
    n_values = len(master.columns) + 1  # the fairness level, then one value per tree
    values = np.concatenate([found.values[:n_values],
                             np.zeros(max(0, n_values - len(found.values)))])
    trees = []
    states: set[tuple[int, int]] = set()
    swaps: set[tuple[int, int, int]] = set()
    for col, lam in zip(master.columns, values[1:], strict=True):
        for node in col.nodes:
            states.add((min(node.u, node.v), max(node.u, node.v)))
            if not node.is_leaf:
                swaps.add((node.swap_at, min(node.u, node.v), max(node.u, node.v)))
        if lam <= 0:
            continue
        nodes = tuple(
            TreeNode(u=nd.u, v=nd.v, link_rate=float(lam * need)) if nd.is_leaf else nd
            for nd, need in zip(col.nodes, col.leaf_need, strict=True))
        trees.append(SwapTree(request=col.request, rate=float(lam), nodes=nodes))
    rates = np.zeros(master.R)
    for t in trees:
        rates[t.request] += t.rate
    stats.update(active_states=len(states), active_swaps=len(swaps),
                 columns=len(master.columns), certified=certified and status == Status.OPTIMAL,
                 mispricings=master.mispricings,
                 solve_s=master.solve_s, pricing_s=pricing_s, runs=master.runs,
                 total_s=time.perf_counter() - t0)
    if status == Status.OPTIMAL and not certified:
        status = Status.RESTRICTED
    return TreeFlow(status=status, objective=float(np.dot(master.weights, rates)),
                    trees=tuple(trees), stats=stats)


__all__ = ["NO_SWAP", "TreeColumn", "TreeFlow", "TreeMaster", "solve_tree_master"]
