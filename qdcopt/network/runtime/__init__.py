"""Executing family-B plans: a seeded discrete-event runtime (paper 003 §IV-C–E, §VI).

:func:`simulate_plan` runs a plan under one policy for several seeds and returns a
:class:`SimulationResult` (delivered rates with confidence intervals beside the plan's
promise, latencies, fidelities, discards, memory occupancy).  :func:`simulate` is the
family's ``simulate`` hook: it makes the plan with a method first.
"""

from __future__ import annotations

import math
import time
from typing import Any

from qdcopt.engine.limits import check_horizon, check_seeds
from qdcopt.network.instance import NetworkInstance, fidelity_modelled
from qdcopt.network.physics import LinkModel, link_model
from qdcopt.network.plan import NetworkPlan
from qdcopt.network.runtime import config as C
from qdcopt.network.runtime.config import POLICIES, POLICY_HELP, RuntimeConfig
from qdcopt.network.runtime.executor import Execution, RunStats
from qdcopt.network.runtime.executors.connectionless import ConnectionlessExecution
from qdcopt.network.runtime.executors.structures import run_structures
from qdcopt.network.runtime.results import SimulationResult
from qdcopt.network.runtime.routes import ExecTree, exec_trees
from qdcopt.network.validate import tree_fidelities
from qdcopt.runs import interrupt
from qdcopt.runs.output import solver_output


def make_execution(instance: NetworkInstance, model: LinkModel, trees: list[ExecTree],
                   config: RuntimeConfig, seed: int,
                   ) -> Execution | ConnectionlessExecution:
    """The run ``config`` asks for: the plan's trees executed under its policy, or the
    plan-free connectionless baseline (which ignores ``trees``).

    Parameters
    ----------
    instance, model
        The network and its link model.
    trees
        The plan's trees as routes (:func:`~qdcopt.network.runtime.routes.exec_trees`).
    config
        Policy and model settings.
    seed
        Seed of every random stream of the run.

    Returns
    -------
    Execution or ConnectionlessExecution
        Not yet run: call its ``run()``.
    """
    if config.dynamic_connectionless:
        return ConnectionlessExecution(instance, model, config, seed)
    return Execution(instance, model, trees, config, seed)


def purifies(plan: NetworkPlan) -> bool:
    """Whether a tree of ``plan`` holds a purification node."""
    return any(nd.is_purification for t in plan.trees for nd in t.nodes)


def as_planned(plan: NetworkPlan) -> bool:
    """Whether ``plan`` runs its trees as planned
    (:func:`~qdcopt.network.runtime.executors.structures.run_structures`): it purifies or
    fuses (GHZ requests)."""
    return bool(plan.fusions) or purifies(plan)


def _check_structures(config: RuntimeConfig, plan: NetworkPlan | None = None) -> None:
    if config.policy != C.FIXED or config.predistribution != "none" or config.arrivals:
        what = "fuses (GHZ requests)" if plan is not None and plan.fusions else "purifies"
        raise ValueError(f"a plan that {what} runs its trees as planned: use --policy "
                         "fixed, without pre-distribution or a request stream")


def run_once(instance: NetworkInstance, plan: NetworkPlan, config: RuntimeConfig,
             seed: int) -> RunStats:
    """One seeded execution of ``plan`` (see :func:`make_execution`; a plan that purifies
    runs its trees as planned,
    :func:`~qdcopt.network.runtime.executors.structures.run_structures`)."""
    model = link_model(instance)
    if as_planned(plan):
        _check_structures(config, plan)
        return run_structures(instance, plan, model, config, seed)
    return make_execution(instance, model, exec_trees(instance, plan, model), config,
                          seed).run()


def simulate_plan(instance: NetworkInstance, plan: NetworkPlan,
                  config: RuntimeConfig | None = None, *, seeds: int = 10, seed: int = 0,
                  ) -> SimulationResult:
    """Execute ``plan`` once per seed ``seed, seed + 1, …``.

    Parameters
    ----------
    instance
        The network.
    plan
        Any family-B plan.
    config
        Policy and model settings (defaults: scoring with early discard, 100 s).
    seeds
        Number of runs.
    seed
        First seed.

    Returns
    -------
    SimulationResult
    """
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    config = config or RuntimeConfig()
    model = link_model(instance)
    structures = as_planned(plan)
    if structures:
        _check_structures(config, plan)
    trees = [] if structures else exec_trees(instance, plan, model)
    start = time.perf_counter()
    done: list[RunStats] = []
    try:
        for s in range(seeds):
            if structures:
                done.append(run_structures(instance, plan, model, config, seed + s))
            else:
                done.append(make_execution(instance, model, trees, config, seed + s).run())
    except KeyboardInterrupt:
        if not done:
            raise
        # Ctrl-C keeps the runs that ended: the result holds them, and the stop is
        # recorded for the caller to report (qdcopt.runs.interrupt.requested)
        interrupt.request()
    runs = tuple(done)
    seeds = len(runs)
    wall = time.perf_counter() - start
    promised = dict(plan.requests)
    every = (*instance.requests, *instance.ghz)  # GHZ requests after the pairs, as runs count
    rate = [float(promised.get(r.id, 0.0)) for r in every]
    lat_num = [0.0] * len(every)
    lat_den = [0.0] * len(every)
    for t in trees:
        lat_num[t.request] += t.rate * t.latency
        lat_den[t.request] += t.rate
    if structures:  # each tree row delivers at its planned rate: latency 1 / rate
        for pt in plan.trees:
            if pt.rate > 0 and pt.request in instance.request_index:
                r = instance.request_index[pt.request]
                lat_num[r] += 1.0
                lat_den[r] += pt.rate
        for r in range(len(instance.requests), len(every)):  # GHZ: one state every 1/rate
            if rate[r] > 0:
                lat_num[r] = 1.0
                lat_den[r] = rate[r]
    latency = tuple(n / d if d > 0 else float("nan")
                    for n, d in zip(lat_num, lat_den, strict=True))
    fidelity = promised_fidelities(instance, plan)
    return SimulationResult(instance_name=instance.name, method=plan.method, config=config,
                            seeds=tuple(seed + s for s in range(seeds)),
                            requests=tuple(r.id for r in every),
                            promised=tuple(rate), promised_latency=latency, runs=runs,
                            wall_s=wall, promised_fidelity=fidelity)


def promised_fidelities(instance: NetworkInstance, plan: NetworkPlan) -> tuple[float, ...]:
    """The plan's fidelity per request, in the order :func:`simulate_plan` reports
    requests: the rate-weighted mean of its trees' fidelities for a pair request (what the
    runtime delivers with memories that do not decay), ``nan`` for GHZ requests, requests
    without rate and instances that model no fidelity."""
    n = len(instance.requests) + len(instance.ghz)
    if not fidelity_modelled(instance):
        return (math.nan,) * n
    fid = tree_fidelities(instance, plan)
    num = [0.0] * n
    den = [0.0] * n
    for tree in plan.trees:
        r = instance.request_index.get(tree.request)
        if r is None or tree.rate <= 0 or tree.tree not in fid:
            continue
        num[r] += tree.rate * fid[tree.tree]
        den[r] += tree.rate
    return tuple(a / b if b > 0 else math.nan for a, b in zip(num, den, strict=True))


def simulate(instance: NetworkInstance, *, method: str = "lp", plan: NetworkPlan | None = None,
             policy: str = "scoring", duration: float = 100.0, seeds: int = 10, seed: int = 0,
             method_options: dict[str, Any] | None = None, **options: Any,
             ) -> SimulationResult:
    """The family's ``simulate`` hook: plan with ``method`` (unless ``plan`` is given) and
    execute the plan.

    Parameters
    ----------
    instance
        The network.
    method
        Family-B method that makes the plan.
    plan
        A plan to execute instead (e.g. read from a plan folder).
    policy, duration
        See :class:`RuntimeConfig`.
    seeds, seed
        Runs and the first seed.
    method_options
        Options of the method.
    **options
        Further :class:`RuntimeConfig` fields (``early_discard``, ``discard_factor``, …).

    Returns
    -------
    SimulationResult
    """
    check_run_length(instance, duration, seeds)
    config = RuntimeConfig.from_options(policy=policy, duration=duration, **options)
    if plan is None:
        from qdcopt.network.methods import METHODS

        if method not in METHODS:
            raise ValueError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
        # a solver banner on stdout must not break ``--json`` output
        with solver_output(verbose=True):
            plan, _ = METHODS[method](instance, **(method_options or {}))
    elif plan.family != "network":
        raise ValueError(f"a {plan.family} plan cannot run on a network instance")
    return simulate_plan(instance, plan, config, seeds=seeds, seed=seed)


def check_run_length(instance: NetworkInstance, duration: object, seeds: object) -> None:
    """Refuse a run too long to finish, before planning (see :mod:`qdcopt.engine.limits`).

    Every link pair is at least one event, and a link makes at most ``p_link · min(C_u,
    C_v)`` pairs per second, so a run makes about ``duration × Σ_links`` of that.

    Raises
    ------
    InstanceError
        Naming the instance file and ``duration`` or ``seeds``.
    """
    most = float(link_model(instance).capacity.sum())
    check_horizon(instance.file, "duration", duration, longest=1000.0, unit="s",
                  events_per_unit=max(most, 1.0),
                  sources=f"{len(instance.links)} links making up to {most:.3g} pairs/s")
    check_seeds(instance.file, seeds)


__all__ = ["POLICIES", "POLICY_HELP", "RunStats", "RuntimeConfig", "SimulationResult",
           "as_planned", "check_run_length", "make_execution", "purifies", "run_once",
           "simulate",
           "simulate_plan"]
