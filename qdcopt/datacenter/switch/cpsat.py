"""Switch assignment by the CP-SAT model, block by block (``models/switch.md`` §9).

Public method (signature ``fn(instance, params) -> (DatacenterPlan, SolveInfo)``; call it
through ``qdcopt.datacenter.SCHEDULER_SPECS["cpsat"](instance, **options)``):

``cpsat``   per independent block the model of :mod:`~qdcopt.datacenter.switch.cpsat_model`,
            hinted with the best heuristic plan (improved by the run-sequence search where
            it applies, as the MILP's start is).

The claimed ``objective`` is the validated count of the returned plan (the hint's plan is
returned where CP-SAT found nothing better); ``bound`` is the sum over blocks of the
least of CP-SAT's proven bound and the solver-free bound (``interval_bound``), and
``extra["cpsat_bound"]`` is CP-SAT's alone.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import SwitchCpsatParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.switch.anneal import anneal_block
from qdcopt.datacenter.switch.bounds import interval_bound
from qdcopt.datacenter.switch.cpsat_model import (
    Delivery,
    build_block_model,
    hint_block,
    read_block,
)
from qdcopt.datacenter.switch.data import BlockData, SwitchCosts, preprocess
from qdcopt.datacenter.switch.milp import (
    ANNEAL_MOVES,
    ANNEAL_SHARE,
    _annealable,
    _deadline,
    _renamed,
    best_heuristic,
)
from qdcopt.datacenter.switch.plan import block_deliveries, plan_from_deliveries
from qdcopt.runs import interrupt
from qdcopt.solvers.highs import SolveInfo, Status

PROBING_LEVEL = 0
"""CP-SAT's ``cp_model_probing_level`` (its default is 2)."""

SYMMETRY_LEVEL = 0
"""CP-SAT's ``symmetry_level`` (its default is 2); identical requests are ordered by the
model itself."""


@dataclass
class _BlockResult:
    deliveries: list[Delivery]
    bound: int
    cp_bound: int
    status: str
    branches: int = 0
    conflicts: int = 0
    arcs: int = 0


def solve_block(instance: DatacenterInstance, block: BlockData, costs: tuple[SwitchCosts, ...],
                cap: np.ndarray, start: list[Delivery], deadline: float | None,
                workers: int, seed: int, verbose: bool = False) -> _BlockResult:
    """Build, hint and solve one block's model; CP-SAT gets the time left until
    ``deadline`` (``time.perf_counter()`` seconds; ``None``: no limit) once it is built.

    Returns
    -------
    _BlockResult
        The best deliveries (the start's when CP-SAT found none as good), the block's
        bound from CP-SAT (at most the block's request count) and its status.
    """
    bm = build_block_model(instance, block, costs, cap)
    # without a start the hint serves nothing: a first solution CP-SAT need not search
    # for (with one worker and no hint it found none in 30 s on 40 requests)
    start = hint_block(bm, start)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    if deadline is not None:
        prm.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    prm.num_workers = int(workers)
    prm.random_seed = int(seed)
    prm.log_search_progress = bool(verbose)
    # presolve's probing and symmetry search cost more than they give on this model: at
    # 150 requests the hint came back as a first solution after 12.8 s with them and
    # 1.7 s without (models/switch.md §9)
    prm.cp_model_probing_level = PROBING_LEVEL
    prm.symmetry_level = SYMMETRY_LEVEL
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
    # without a solution (UNKNOWN: stopped in presolve) CP-SAT reports 0 as its bound,
    # which is no bound of a maximisation: only a run with a solution has one
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
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
                        int(solver.num_conflicts), sum(len(a) for a in bm.arcs))


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
    deadline = _deadline(t0, params.time_limit, len(instance.requests))
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
        # the block's share of the time left, in proportion to its requests
        now = time.perf_counter()
        share = None if deadline is None else max(
            0.0, deadline - now) * sizes[b] / max(1.0, remaining)
        block_end = None if share is None else now + share
        remaining -= sizes[b]
        if len(mine) < free and params.anneal and _annealable(block, data.costs, cap) \
                and not interrupt.requested():
            ta = time.perf_counter()
            better = anneal_block(instance, block, data.costs[0], mine,
                                  None if share is None else ANNEAL_SHARE * share,
                                  moves=ANNEAL_MOVES * len(block.requests), seed=params.seed,
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
        tb = time.perf_counter()
        res = solve_block(instance, block, data.costs, cap, mine, block_end, params.workers,
                          params.seed, params.verbose)
        phase["build_solve"] += time.perf_counter() - tb
        tally.modelled += 1
        tally.branches += res.branches
        tally.conflicts += res.conflicts
        tally.arcs += res.arcs
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
               "arcs": tally.arcs, "branches": tally.branches,
               "conflicts": tally.conflicts,
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
    arcs: int = 0

    def add(self, bound: int, cp_bound: int, status: str) -> None:
        self.bound += int(bound)
        self.cp_bound += int(cp_bound)
        self.statuses.append(status)
