"""The hyperflow LP stated in pyomo (readable reference; small instances).

Same formulation as :mod:`qdcopt.network.lp.hyperflow` (``models/hyperflow.md``) over a
given set of swaps, the full hypergraph by default.  The tests check that both builders
give the same optimum.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.lp.hypergraph import full_swaps
from qdcopt.network.lp.rows import node_attempts
from qdcopt.network.physics import link_model, swap_gain
from qdcopt.solvers.highs import SolveInfo, SolverOptions, solve_pyomo


def build_pyomo_hyperflow(instance: NetworkInstance, *, variant: str = "published",
                          swaps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                          maxmin_level: float | None = None) -> Any:
    """Build the hyperflow LP as a pyomo ``ConcreteModel``.

    Parameters
    ----------
    instance
        The network.
    variant
        Swap-gain variant.
    swaps
        ``(w, u, v)`` arrays (``u < v``); default every swap of the full hypergraph.
    maxmin_level
        If given, every request keeps ``y_r ≥ w_r · maxmin_level`` (second phase of the
        max–min objective).

    Returns
    -------
    pyomo.environ.ConcreteModel
        With variables ``g[l]``, ``y[r]``, ``x[k]`` and objective ``rate``.
    """
    import pyomo.environ as pyo

    m = link_model(instance)
    gamma = swap_gain(m.swap_success, variant)
    w_arr, u_arr, v_arr = swaps if swaps is not None else full_swaps(instance.n)
    K = list(range(len(w_arr)))
    L = list(range(len(instance.links)))
    R = list(range(len(instance.requests)))
    model = pyo.ConcreteModel(name="hyperflow")
    model.g = pyo.Var(L, domain=pyo.NonNegativeReals, bounds=lambda _, li: (0, m.capacity[li]))
    model.y = pyo.Var(R, domain=pyo.NonNegativeReals)
    model.x = pyo.Var(K, domain=pyo.NonNegativeReals)
    # Node capacity: attempts of all the node's links within memories / generation time.
    attempts = node_attempts(m)
    model.node_capacity = pyo.Constraint(
        sorted(attempts), rule=lambda mdl, u: sum(c * mdl.g[li] for li, c in attempts[u])
        <= m.node_capacity[u])
    # Conservation at every state that something touches: consumed ≤ made.
    consumed: dict[tuple[int, int], list[Any]] = {}
    made: dict[tuple[int, int], list[Any]] = {}

    def key(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    for li in L:
        made.setdefault(key(int(m.link_u[li]), int(m.link_v[li])), []).append(model.g[li])
    for k in K:
        w, u, v = int(w_arr[k]), int(u_arr[k]), int(v_arr[k])
        consumed.setdefault(key(u, w), []).append(model.x[k])
        consumed.setdefault(key(w, v), []).append(model.x[k])
        made.setdefault(key(u, v), []).append(gamma[w] * model.x[k])
    for r, req in enumerate(instance.requests):
        consumed.setdefault(key(req.source, req.destination), []).append(model.y[r])
    states = sorted(consumed)
    model.conservation = pyo.Constraint(
        states, rule=lambda mdl, a, b: sum(consumed[(a, b)]) <= sum(made.get((a, b), [])))
    if maxmin_level is not None:
        model.fair = pyo.Constraint(
            R, rule=lambda mdl, r: mdl.y[r] >= instance.requests[r].weight * maxmin_level)
    model.rate = pyo.Objective(
        expr=sum(instance.requests[r].weight * model.y[r] for r in R), sense=pyo.maximize)
    return model


def solve_pyomo_hyperflow(instance: NetworkInstance, *, variant: str = "published",
                          options: SolverOptions | None = None,
                          swaps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                          ) -> tuple[SolveInfo, dict[str, np.ndarray]]:
    """Solve the pyomo statement; return the solve info and the flows.

    Returns
    -------
    (SolveInfo, flows)
        ``flows`` holds ``link_rate``, ``request_rate``, ``swap_w``, ``swap_u``, ``swap_v``,
        ``swap_rate`` (swaps with positive flow).
    """
    import pyomo.environ as pyo

    options = options or SolverOptions()
    w_arr, u_arr, v_arr = swaps if swaps is not None else full_swaps(instance.n)
    model = build_pyomo_hyperflow(instance, variant=variant, swaps=(w_arr, u_arr, v_arr))
    info, loaded = solve_pyomo(model, options, "lp-pyomo")
    if not loaded:
        empty = np.zeros(0)
        return info, {"link_rate": np.zeros(len(instance.links)),
                      "request_rate": np.zeros(len(instance.requests)),
                      "swap_w": empty.astype(int), "swap_u": empty.astype(int),
                      "swap_v": empty.astype(int), "swap_rate": empty}
    g = np.array([max(0.0, pyo.value(model.g[li]) or 0.0) for li in range(len(instance.links))])
    y = np.array([max(0.0, pyo.value(model.y[r]) or 0.0)
                  for r in range(len(instance.requests))])
    x = np.array([max(0.0, pyo.value(model.x[k]) or 0.0) for k in range(len(w_arr))])
    keep = x > 1e-12 * max(1.0, float(x.max(initial=0.0)))
    flows = {"link_rate": g, "request_rate": y, "swap_w": np.asarray(w_arr)[keep],
             "swap_u": np.asarray(u_arr)[keep], "swap_v": np.asarray(v_arr)[keep],
             "swap_rate": x[keep]}
    weights = np.array([r.weight for r in instance.requests])
    objective = float(np.dot(weights, y))
    info = info.with_(objective=objective if not math.isnan(info.objective) else math.nan)
    return info, flows
