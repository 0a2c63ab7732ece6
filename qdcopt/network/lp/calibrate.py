"""Plans calibrated by execution: plan, run, measure, derate, re-plan (method
``lp-calibrated``).

The reserved-memory model (:mod:`qdcopt.network.resources`) leaves out what only a run
shows: cut-offs that discard pairs, decoherence, the non-exponential waits of deep
trees. ``lp-calibrated`` closes the loop: it plans with :func:`solve_reserved`, executes
the plan under the fixed policy for a few seeded runs, and for every request whose
delivered rate falls below its promise derates that request's trees by the measured
ratio (at most halving them per round) and solves the integer master again, so that
memories go to trees that deliver. It stops when the plan delivers at least ``target``
of its promise or after ``rounds`` rounds, and returns the last plan with the derated
promise (each tree's rate stays at most ``1 / T``, so the plan validates under the same
rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.lp.reserved import ReservedResult, solve_reserved
from qdcopt.network.physics import STEADY_STATE, link_model
from qdcopt.network.plan import RESERVED, NetworkPlan, plan_from_trees
from qdcopt.network.runtime.config import FIXED, RuntimeConfig
from qdcopt.network.runtime.executor import Execution
from qdcopt.network.runtime.routes import exec_trees
from qdcopt.solvers.highs import SolverOptions


@dataclass(frozen=True)
class Calibration:
    """Outcome of :func:`calibrated_plan`.

    Attributes
    ----------
    plan
        The last plan (derated promise).
    result
        The planner's result behind it.
    history
        Per round: ``(promised, delivered)`` aggregate rates of the plan executed.
    """

    plan: NetworkPlan
    result: ReservedResult
    history: tuple[tuple[float, float], ...] = field(default_factory=tuple)


def _measure(instance: NetworkInstance, plan: NetworkPlan, duration: float, seeds: int,
             seed: int) -> np.ndarray:
    """Delivered pairs/s per request, mean over ``seeds`` runs of the fixed policy."""
    model = link_model(instance)
    trees = exec_trees(instance, plan, model)
    config = RuntimeConfig(policy=FIXED, duration=duration)
    total = np.zeros(len(instance.requests))
    for s in range(seeds):
        total += Execution(instance, model, trees, config, seed + s).run().delivered
    return total / (seeds * duration)


def calibrated_plan(instance: NetworkInstance, *, rounds: int = 3, target: float = 0.9,
                    duration: float = 20.0, seeds: int = 2, seed: int = 0,
                    k_paths: int = 10, per_request: int = 4,
                    options: SolverOptions | None = None) -> Calibration:
    """Plan, execute and derate until the plan delivers ``target`` of its promise.

    Parameters
    ----------
    instance
        The network.
    rounds
        Most re-plans after the first plan.
    target
        Stop when delivered ≥ ``target`` × promised (aggregate).
    duration, seeds, seed
        Simulated seconds per run, runs per round, first seed (fixed policy, the
        runtime's defaults otherwise).
    k_paths, per_request, options
        Passed to :func:`solve_reserved`.

    Returns
    -------
    Calibration
    """
    n_req = len(instance.requests)
    derate = np.ones(n_req)
    history: list[tuple[float, float]] = []
    ids = {r: req.id for r, req in enumerate(instance.requests)}
    result = plan = None
    for _ in range(rounds + 1):
        result = solve_reserved(instance, k_paths=k_paths, per_request=per_request,
                                options=options, derate=derate)
        reasons = {ids[r]: why for r, why in result.reasons.items()}
        plan = plan_from_trees(instance, list(result.trees), method="lp-calibrated",
                               variant=STEADY_STATE, rate_model=RESERVED, reasons=reasons)
        promised = np.zeros(n_req)
        for t in result.trees:
            promised[t.request] += t.rate
        if promised.sum() <= 0:
            history.append((0.0, 0.0))
            break
        delivered = _measure(instance, plan, duration, seeds, seed)
        history.append((float(promised.sum()), float(delivered.sum())))
        if delivered.sum() >= target * promised.sum():
            break
        short = (promised > 0) & (delivered < promised)
        # damped: at most halve a request's trees per round, so that one short, noisy
        # run cannot wipe out a request the model serves
        derate[short] *= np.maximum(delivered[short] / promised[short], 0.5)
    assert result is not None and plan is not None
    return Calibration(plan=plan, result=result, history=tuple(history))
