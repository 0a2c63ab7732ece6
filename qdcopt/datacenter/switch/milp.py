"""The switch-assignment MILP: optimal plans with a certified bound (see ``models/switch.md``).

Public methods (signature ``fn(instance, params) -> (DatacenterPlan, SolveInfo)``, ``params``
their parameter object from :mod:`qdcopt.datacenter.options`; call them through
``qdcopt.datacenter.SCHEDULER_SPECS[name](instance, **options)``):

``milp``        the slot formulation per independent block, warm-started from the best
                heuristic plan, objective accepted requests (then, asked for with
                ``lexicographic``, fewest switch changes) or weighted with ``penalty``.
``milp-lp``     the LP relaxation of the same model: a proven bound fast, and the
                best heuristic plan as its plan.

The claimed ``objective`` is always the number of requests the returned plan serves
(the plan is replayed through the validator before it is returned, and the warm start is
returned instead whenever it is better); ``bound`` is a proven upper bound on the number
of requests *any* valid plan can serve.

Long module, on purpose: the two methods share one driver — independent blocks solved in
order under one deadline, each from the best heuristic's deliveries, by the slot MILP
(two phases, then fix-and-optimise, :mod:`qdcopt.solvers.lns`), the run-sequence search
or the capacity bound, then assembled and validated — whose steps pass the deadline, the
tallies and the warm start along and read as one control flow.  The model
(:mod:`~qdcopt.datacenter.switch.model`), its bounds, the search and the reading of
solutions live in the sibling modules.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import MilpLpParams, SwitchMilpParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.switch.anneal import anneal_block
from qdcopt.datacenter.switch.bounds import interval_bound
from qdcopt.datacenter.switch.data import BlockData, SwitchData, preprocess
from qdcopt.datacenter.switch.model import SlotIndex, build_slot_model, column_slots
from qdcopt.datacenter.switch.plan import (
    block_deliveries,
    complete_start,
    layout_block,
    plan_from_deliveries,
    start_from_plan,
)
from qdcopt.runs import interrupt
from qdcopt.solvers.arrays import (
    LinearSpec,
    SpecResult,
    build_highs,
    run_highs,
    solve_arrays,
    solve_pyomo_spec,
)
from qdcopt.solvers.highs import SolveInfo, SolverOptions, Status
from qdcopt.solvers.lns import improve_windows

EXCLUDED_WARM_STARTS = ("greedy-retry",)
"""Heuristics never used as warm start (they change the demand by delaying jobs)."""

PYOMO_AUTO_LIMIT = 2_000
"""With ``builder="auto"``, models with fewer columns than this go through pyomo."""

LNS_WINDOWS = (3, 6, 10, 16, 24)
"""Window sizes (in slots) of fix-and-optimise, tried in this order."""

MANY_BLOCKS = 50
"""With ``builder="auto"``, instances with more blocks to model than this use the array
builder for every block."""

ANNEAL_SHARE = 0.5
"""Share of a block's time given to annealing its run sequence before the model (one
source, memory not binding)."""

BUILD_S_PER_COLUMN = 6e-6
"""Seconds (about) the slot model takes to build per column of :func:`delivery_columns`
(measured: ``models/switch.md`` §6)."""

ASSEMBLY_S_PER_REQUEST = 4e-5
"""Seconds per request kept free at the end of the time limit for assembling and
validating the plan (at most a tenth of the limit; measured: ``models/switch.md`` §6)."""

ANNEAL_MOVES = 20_000
"""Moves of the run-sequence search per request of the block, at most."""

LARGE_MODEL = 25_000
"""Blocks whose model has more columns are bounded by their capacity relaxation and
improved by fix-and-optimise windows only (``models/switch.md`` §6, step 4)."""

MAX_DELIVERY_COLUMNS = 1_500_000
"""Blocks whose delivery variables would exceed this are not modelled: their bound is
the solver-free one (events and pair changes) and their plan the heuristics' start
improved by the run-sequence search, which then has the block's whole budget.  Long
windows over dense demand (t_max = 1 ms at 1 GHz with 10⁴ requests) would otherwise
need more memory than a model is worth."""


def delivery_columns(block: BlockData) -> int:
    """Upper estimate of the slot model's size for ``block``: delivery variables
    x[g, σ, j] plus the switch-path variables (ordered pairs of pairs per source and slot)."""
    spans = block.group_last.astype(np.int64) - block.group_first.astype(np.int64) + 1
    reach = np.array([len(block.reach[int(p)]) for p in block.group_pair.tolist()],
                     dtype=np.int64)
    n_src, n_slots = block.n_events.shape
    # switch-path variables: one per ordered pair of pairs, source and slot
    paths = len(block.pairs) ** 2 * n_src * n_slots
    return int((spans * reach).sum()) + int(paths)


def best_heuristic(instance: DatacenterInstance, exclude: tuple[str, ...] = ()
                   ) -> tuple[DatacenterPlan | None, str, dict[str, float]]:
    """Run every registered heuristic and keep the best valid plan.

    Looks the heuristics up in ``qdcopt.datacenter.heuristics.HEURISTICS``, skipping the
    MILP methods, ``greedy-retry`` (it delays jobs) and ``exclude``.

    Returns
    -------
    (plan or None, method name, {method: seconds})
    """
    from qdcopt.datacenter.heuristics import HEURISTICS as METHODS
    from qdcopt.datacenter.validate import validate

    best: DatacenterPlan | None = None
    best_name = ""
    best_val = -1
    times: dict[str, float] = {}
    for name, fn in list(METHODS.items()):
        if name in EXCLUDED_WARM_STARTS or name in exclude or name in MILP_METHODS:
            continue
        if getattr(fn, "__module__", "") == __name__:
            continue
        if best is not None and interrupt.requested():
            break
        t0 = time.perf_counter()
        try:
            plan, _ = fn(instance)
        except Exception:  # a broken heuristic must not take the MILP down with it
            continue
        times[name] = time.perf_counter() - t0
        if plan.changes_demand:
            continue
        rep = validate(instance, plan)
        if rep.violations:
            continue
        val = int(rep.objective)
        if val > best_val:
            best, best_name, best_val = plan, name, val
    return best, best_name, times


def _options(time_limit: float | None, mip_gap: float, threads: int, seed: int,
             verbose: bool) -> SolverOptions:
    return SolverOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed,
                         verbose=verbose)


def _solve(spec: LinearSpec, options: SolverOptions, builder: str, *,
           start: tuple[np.ndarray, np.ndarray] | None = None, relax: bool = False,
           ) -> SpecResult:
    if builder == "auto":
        builder = "pyomo" if spec.n_cols < PYOMO_AUTO_LIMIT and not relax else "arrays"
    if builder == "pyomo" and not relax:
        return solve_pyomo_spec(spec, options)
    if builder not in ("pyomo", "arrays"):
        raise ValueError(f"builder must be 'auto', 'pyomo' or 'arrays', got {builder!r}")
    return solve_arrays(spec, options, start=start, relax=relax)


def _block_bound(res: SpecResult, n_requests: int, penalty: float, n_changes_max: int) -> int:
    """Proven bound on the requests a block can serve, from a solve of its model."""
    b = res.bound
    if not math.isfinite(b):
        return n_requests
    if penalty > 0:
        # accepted − penalty·changes ≤ b and changes ≤ n_changes_max for the best plan
        b = b + penalty * n_changes_max
    return int(min(n_requests, math.floor(b + 1e-6)))


def switch_milp(instance: DatacenterInstance, params: SwitchMilpParams,
                ) -> tuple[DatacenterPlan, SolveInfo]:
    """Solve switch assignment with the slot MILP.

    Parameters
    ----------
    instance
        The instance.
    params
        The options:

        ``time_limit``
            Wall-clock seconds for the whole method (heuristics, models, plan building).
        ``mip_gap``
            Relative MIP gap at which a block's solve may stop.
        ``threads``, ``seed``
            HiGHS threads and random seed.
        ``penalty``
            ``None``: most accepted requests (then, with ``lexicographic``, fewest switch
            changes).  A number: maximise accepted − penalty × changes in one solve.
        ``builder``
            ``"pyomo"``, ``"arrays"`` (highspy from sparse arrays) or ``"auto"`` (pyomo
            for small models).
        ``formulation``
            ``"slot"`` (the only one; exact when the switching costs are subadditive, and
            by the paper's switching rule with any costs, where slots hold walks).
        ``warm_start``
            Start from the best heuristic plan (also returned when it is better).
        ``lexicographic``
            With ``penalty=None``, ask for the secondary objective: a second phase finds
            the fewest switch changes at the best count.  Without it the method stops as
            soon as its plan meets the proven bound (a warm start that does so needs no
            model).
        ``split_blocks``
            Solve independent time blocks as separate models.
        ``anneal``
            Before a one-source block's model, improve its start by annealing the
            switch's run sequence (:mod:`qdcopt.datacenter.switch.anneal`) for
            :data:`ANNEAL_SHARE` of the block's time, where memory cannot bind.
        ``verbose``
            Show HiGHS's log.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
        ``objective``: requests served by the plan; ``bound``: proven upper bound on the
        requests any plan can serve; ``extra``: reconfigurations, blocks, model sizes,
        and ``phase_times``: seconds spent in the heuristics (warm start), the run-sequence
        search, building the models, solving them (``solve``), the fewest-changes phase
        and assembling and validating the plan.  A Ctrl-C (:mod:`qdcopt.runs.interrupt`) ends
        the run with the best plan so far: the blocks not yet solved keep the warm start.

    Notes
    -----
    The steps: the time budget (:func:`_deadline`), the warm start
    (:func:`best_heuristic`), the blocks (:func:`_solve_blocks`: solver-free bounds and
    the order of the blocks, then per block the run-sequence search
    :func:`_search_runs` and the model :func:`_model_block` with its fewest-changes
    phase), the plan (:func:`_assemble`) and the status (:func:`_status`).
    """
    if params.formulation != "slot":
        raise ValueError(f"formulation must be 'slot', got {params.formulation!r}")
    penalty = params.penalty
    t0 = time.perf_counter()
    run = _Run(instance=instance,
               data=preprocess(instance, split_blocks=params.split_blocks),
               deadline=_deadline(t0, params.time_limit, len(instance.requests)),
               pen=0.0 if penalty is None else float(penalty),
               lexi=penalty is None and params.lexicographic, mip_gap=params.mip_gap,
               threads=params.threads, seed=params.seed, verbose=params.verbose,
               anneal=params.anneal)
    tally = _Tally()
    tp = time.perf_counter()
    warm, warm_name, heur_times = (best_heuristic(instance) if params.warm_start
                                   else (None, "", {}))
    tally.phase_s["heuristics"] = time.perf_counter() - tp
    per_block = _solve_blocks(run, tally, warm, params.builder)
    tally.phase_s["build"] = tally.build_s
    tp = time.perf_counter()
    plan, rep, value, source, dropped = _assemble(run, per_block, warm, warm_name)
    status = _status(value, tally.bound, tally.statuses)
    tally.phase_s["assembly"] = time.perf_counter() - tp
    data = run.data
    info = SolveInfo(
        method="milp", status=status, objective=float(value), bound=float(tally.bound),
        time_s=time.perf_counter() - t0,
        extra={"reconfigurations": int(rep.metrics["reconfigurations"]),
               "blocks": len(data.blocks), "columns": tally.n_cols, "rows": tally.n_rows,
               "nodes": tally.nodes, "build_s": round(tally.build_s, 4),
               "solve_s": round(tally.solve_s, 4),
               "plan_from": source, "warm_start": warm_name, "dropped": dropped,
               "blocks_too_large": tally.skipped, "blocks_settled_by_start": tally.settled,
               "annealed_gain": tally.annealed, "lexicographic": run.lexi,
               "phase_times": {k: round(v, 4) for k, v in tally.phase_s.items()},
               "unservable": len(data.unservable), "exact_costs": data.exact,
               "heuristic_s": {k: round(v, 4) for k, v in heur_times.items()},
               "block_status": _count(tally.statuses)})
    return plan, info


# -- the steps of switch_milp ------------------------------------------------------------
PHASES = ("heuristics", "anneal", "build", "solve", "fewest_changes", "assembly")
"""The phases of ``SolveInfo.extra["phase_times"]``, in order."""


@dataclass
class _Run:
    """What stays fixed while the blocks are solved."""

    instance: DatacenterInstance
    data: SwitchData
    deadline: float | None
    pen: float
    lexi: bool
    mip_gap: float
    threads: int
    seed: int
    verbose: bool
    anneal: bool
    model_costs: tuple = field(init=False)
    cap: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.model_costs = tuple(c if c.exact else c.relaxed() for c in self.data.costs)
        self.cap = self.instance.comm_capacity()


@dataclass
class _Tally:
    """What the blocks add up to: the bound, the statuses and the sizes and times."""

    bound: int = 0
    statuses: list[str] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0
    nodes: int = 0
    build_s: float = 0.0
    solve_s: float = 0.0
    skipped: int = 0
    settled: int = 0
    annealed: int = 0
    phase_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))


def _deadline(t0: float, time_limit: float | None, n_requests: int) -> float | None:
    """The end of the blocks' time: the plan's assembly and validations after the last
    solve take time in proportion to the requests, so the budgets leave room for them."""
    if time_limit is None:
        return None
    reserve = min(0.1 * float(time_limit), ASSEMBLY_S_PER_REQUEST * n_requests)
    return t0 + float(time_limit) - reserve


def _solve_blocks(run: _Run, tally: _Tally, warm: DatacenterPlan | None, builder: str
                  ) -> list[list[tuple[int, int, int]]]:
    """Every block's deliveries: the start's, searched, or the model's where better.

    Solver-free bounds come first, so that every block has an informative bound even
    when the time runs out before its model is solved.  Blocks where the model can gain
    most come first (then those where only the number of changes can improve); blocks
    are independent, so their order does not matter for the plan.
    """
    data, instance = run.data, run.instance
    warm_blocks = block_deliveries(data, warm)
    quick = [interval_bound(block, run.model_costs) for block in data.blocks]
    gain = np.array([q - len(m) for q, m in zip(quick, warm_blocks, strict=True)],
                    dtype=np.float64)
    changes = np.array([_changes(m, instance) for m in warm_blocks], dtype=bool)
    order = sorted(range(len(data.blocks)), key=lambda i: (-gain[i], not changes[i], i))
    n_modelled = (int(((gain > 0) | (changes & run.lexi)).sum()) if run.pen == 0.0
                  else len(order))
    # with many blocks, pyomo's per-model overhead would dominate
    block_builder = "arrays" if builder == "auto" and n_modelled > MANY_BLOCKS else builder
    sizes = np.array([len(bl.requests) for bl in data.blocks], dtype=np.float64)
    remaining_size = float(sizes.sum())
    per_block: list[list[tuple[int, int, int]]] = [[] for _ in data.blocks]
    for b in order:
        block = data.blocks[b]
        ev_bound = quick[b]
        stopped = interrupt.requested()
        late = stopped or (run.deadline is not None and time.perf_counter() >= run.deadline)
        n_cols_block = delivery_columns(block)
        too_large = n_cols_block > MAX_DELIVERY_COLUMNS
        # the block's share of the time left; a large model whose building alone would
        # take more than a quarter of it is not built (the time goes to the search)
        block_left = None if run.deadline is None else max(
            0.0, run.deadline - time.perf_counter()) * sizes[b] / max(1.0, remaining_size)
        no_time = (block_left is not None and
                   BUILD_S_PER_COLUMN * n_cols_block > max(1.0, 0.25 * block_left))
        mine = warm_blocks[b]
        if not late:
            mine = _search_runs(run, tally, block, mine, ev_bound, block_left,
                                alone=no_time or too_large)
        # The start is optimal in the block when it meets the solver-free bound (for the
        # lexicographic objective the model still looks for fewer changes, if any).
        met = run.pen == 0.0 and len(mine) >= ev_bound
        settle = met and not (run.lexi and _changes(mine, instance))
        late = late or no_time
        if settle or late or too_large:
            # Keep the start's deliveries in the block, bounded without a solver.
            if settle:
                tally.settled += 1
                tally.statuses.append(Status.OPTIMAL)
            else:
                tally.skipped += 1
                tally.statuses.append(Status.INTERRUPTED if stopped else
                                      Status.TIME_LIMIT if late else "too_large")
            tally.bound += ev_bound
            remaining_size -= sizes[b]
            per_block[b] = mine
            continue
        per_block[b] = _model_block(run, tally, b, mine, ev_bound, met, warm is not None,
                                    block_builder, (sizes[b], max(1.0, remaining_size)))
        remaining_size -= sizes[b]
    return per_block


def _search_runs(run: _Run, tally: _Tally, block: BlockData,
                 mine: list[tuple[int, int, int]], ev_bound: int, block_left: float | None,
                 alone: bool) -> list[tuple[int, int, int]]:
    """The block's start improved by the run-sequence search, where it applies.

    ``alone``: no model follows, so the search has the block's whole budget (else
    :data:`ANNEAL_SHARE` of it).
    """
    if not (run.anneal and run.pen == 0.0 and len(mine) < ev_bound
            and _annealable(block, run.data.costs, run.cap)):
        return mine
    share = None
    if block_left is not None:
        share = block_left if alone else ANNEAL_SHARE * block_left
    ta = time.perf_counter()
    better = anneal_block(run.instance, block, run.data.costs[0], mine, share,
                          moves=ANNEAL_MOVES * len(block.requests), seed=run.seed,
                          target=ev_bound)
    tally.phase_s["anneal"] += time.perf_counter() - ta
    tally.annealed += len(better) - len(mine)
    return better


def _model_block(run: _Run, tally: _Tally, b: int, mine: list[tuple[int, int, int]],
                 ev_bound: int, met: bool, has_warm: bool, builder: str,
                 share: tuple[float, float]) -> list[tuple[int, int, int]]:
    """Build, start and solve block ``b``'s slot model (then its fewest-changes phase);
    return its layout, or the start's deliveries where the model found nothing better.

    ``share``: the block's share of the time left, as (its requests, the requests of
    the blocks left).
    """
    data, block = run.data, run.data.blocks[b]
    tb = time.perf_counter()
    spec, idx = build_slot_model(block, run.model_costs, run.cap, penalty=run.pen)
    tally.build_s += time.perf_counter() - tb
    tally.n_cols += spec.n_cols
    tally.n_rows += spec.n_rows
    budget = None
    if run.deadline is not None:
        left = max(0.0, run.deadline - time.perf_counter())
        budget = max(0.05, left * share[0] / share[1])
    start = None
    if has_warm:
        full = complete_start(data, b, idx, spec.n_cols, run.model_costs, mine)
        if full is not None and spec.violation(full) <= 1e-6:
            start = (np.arange(spec.n_cols), full)
        else:
            start = start_from_plan(data, b, idx, mine)
    opts = _options(budget, run.mip_gap, run.threads, run.seed, run.verbose)
    ts = time.perf_counter()
    # Without a memory limit the capacity relaxation is the event bound's matching.
    cap_bound = ev_bound if met or not _memory_binds(block, run.cap) else min(
        ev_bound, capacity_bound(block, run.cap, budget, run.threads, run.seed))
    demand = None
    if run.pen == 0.0 and idx.x:
        keys = list(idx.x)
        demand = (np.array([idx.x[k] for k in keys], dtype=np.int64),
                  np.array([k[0] for k in keys], dtype=np.int64), block.group_size())
    if met and start is not None and len(start[0]) == spec.n_cols:
        # phase 1 is solved: the start serves as many requests as the bound
        res = SpecResult("optimal", np.asarray(start[1], dtype=np.float64),
                         float(ev_bound), float(ev_bound), 0.0, 0)
    else:
        res = _solve_block(spec, opts, builder, start,
                           ts + budget if budget is not None else None, cap_bound, demand)
    tally.phase_s["solve"] += time.perf_counter() - ts
    if (run.lexi and res.status == Status.OPTIMAL and res.x is not None and idx.changes
            and not interrupt.requested()):
        t2 = time.perf_counter()
        res2 = _second_phase(spec, idx, res, builder, opts, run.deadline, budget, ts)
        tally.phase_s["fewest_changes"] += time.perf_counter() - t2
        if res2 is not None:
            res = SpecResult(res.status, res2.x, res.objective, res.bound, res.time_s,
                             res.nodes + res2.nodes)
    tally.solve_s += time.perf_counter() - ts
    tally.nodes += res.nodes
    tally.statuses.append(res.status)
    n_changes_max = len(block.requests)
    tally.bound += min(ev_bound, _block_bound(res, len(block.requests), run.pen,
                                              n_changes_max))
    # Independent blocks: a block's first run needs no room after the previous block.
    laid = layout_block(block, idx, res.x, data.costs, {}) if res.x is not None else []
    # the block keeps the warm start's deliveries where the model found nothing better
    return laid if len(laid) >= len(mine) else mine


def _assemble(run: _Run, per_block: list[list[tuple[int, int, int]]],
              warm: DatacenterPlan | None, warm_name: str
              ) -> tuple[DatacenterPlan, Any, int, str, int]:
    """The plan of the blocks' deliveries, or the warm start where that serves more.

    Returns
    -------
    (plan, validation report, requests served, where the plan came from, dropped)
    """
    from qdcopt.datacenter.validate import validate

    instance, data = run.instance, run.data
    deliveries = [d for part in per_block for d in part]
    reasons = {int(r): str(why) for r, why in
               zip(data.unservable.tolist(), data.unservable_reason.tolist(), strict=True)}
    plan, dropped = plan_from_deliveries(instance, "milp", deliveries, reasons)
    rep = validate(instance, plan)
    value = int(rep.objective) if not rep.violations else -1
    source = "milp"
    if warm is not None:
        wrep = validate(instance, warm)
        if int(wrep.objective) > value:
            plan = _renamed(warm, "milp")
            rep = validate(instance, plan)
            value = int(rep.objective)
            source = warm_name
    if value < 0:  # no valid model plan and no warm start: serve nothing
        plan, _ = plan_from_deliveries(instance, "milp", [], reasons)
        rep = validate(instance, plan)
        value = 0
    return plan, rep, value, source, dropped


def _status(value: int, bound: int, statuses: list[str]) -> str:
    """The run's status: optimal when the plan meets the proven bound."""
    if value >= bound:  # a valid plan meeting a proven bound is optimal
        status = Status.OPTIMAL
    elif any(s in ("time_limit", "interrupted") for s in statuses):
        status = Status.TIME_LIMIT
    else:
        status = Status.FEASIBLE
    if status != Status.OPTIMAL and interrupt.requested():
        status = Status.INTERRUPTED
    return status


def _count(statuses: list[str]) -> dict[str, int]:
    """Blocks per status."""
    if not statuses:
        return {}
    keys, counts = np.unique(statuses, return_counts=True)
    return {str(k): int(v) for k, v in zip(keys, counts, strict=True)}


def _changes(mine: list[tuple[int, int, int]], instance: DatacenterInstance) -> bool:
    """Whether deliveries ``mine`` (sorted by source, event) ever change a switch's pair."""
    req = instance.requests
    prev: tuple[int, int, int] | None = None
    for r, s, _k in mine:
        key = (s, int(req.a[r]), int(req.b[r]))
        if prev is not None and prev[0] == s and prev != key:
            return True
        prev = key
    return False


def _annealable(block: BlockData, costs: tuple, cap: np.ndarray) -> bool:
    """Whether the run-sequence search applies: one source with exact costs (subadditive,
    or the paper's rule), and no QPU with fewer communication qubits than the block has
    requests."""
    return (block.n_events.shape[0] == 1 and len(costs) == 1 and costs[0].exact
            and not _memory_binds(block, cap))


def _memory_binds(block: BlockData, cap: np.ndarray) -> bool:
    """Whether some QPU of the block has fewer communication qubits than requests."""
    qpus = np.unique(block.pairs.reshape(-1))
    return bool((cap[qpus] < len(block.requests)).any())


def capacity_bound(block: BlockData, cap: np.ndarray, time_limit: float | None,
                   threads: int = 1, seed: int = 0) -> int:
    """Proven bound of a block from its capacity relaxation (no switch; events, windows,
    memory), solved as a small MIP; ``len(block.requests)`` if it does not finish."""
    spec, _ = build_slot_model(block, (), cap, switching=False)
    res = solve_arrays(spec, _options(time_limit, 1e-9, threads, seed, False))
    return _block_bound(res, len(block.requests), 0.0, 0)


def _solve_block(spec: LinearSpec, opts: SolverOptions, builder: str,
                 start: tuple[np.ndarray, np.ndarray] | None,
                 block_deadline: float | None, cap_bound: int,
                 demand: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> SpecResult:
    """Solve one block.

    * Small models (or the pyomo builder): one solve of the full model.
    * Medium models: a first solve of the full model (completes the warm start, root
      bound), fix-and-optimise windows if the gap is open, a last full solve from the
      best incumbent for the bound.
    * Large models (more than ``LARGE_MODEL`` columns): the bound is the capacity
      relaxation ``cap_bound``; the time goes to fix-and-optimise windows from the warm
      start.
    """
    if builder == "pyomo" or (builder == "auto" and spec.n_cols < PYOMO_AUTO_LIMIT) \
            or block_deadline is None:
        res = _solve(spec, opts, builder, start=start)
        return SpecResult(res.status, res.x, res.objective, min(res.bound, cap_bound),
                          res.time_s, res.nodes)
    t0 = time.perf_counter()
    target = float(cap_bound)
    if spec.n_cols > LARGE_MODEL:
        x = start[1] if start is not None and len(start[0]) == spec.n_cols \
            else np.zeros(spec.n_cols)
        x, _n = improve_windows(spec, x, opts, block_deadline, column_slots(spec),
                                windows=LNS_WINDOWS, target=target, demand=demand)
        best = float(np.asarray(spec.col_cost) @ x)
        status = Status.OPTIMAL if best >= target - 1e-6 else Status.TIME_LIMIT
        return SpecResult(status, x, best, target, time.perf_counter() - t0, 0)
    total = block_deadline - t0
    h = build_highs(spec, opts)
    first = min(total, max(2.0, 0.2 * total))
    res = run_highs(h, spec, first, start=start)
    bound = min(res.bound, target)
    if res.status == Status.OPTIMAL or block_deadline - time.perf_counter() < 1.0:
        return SpecResult(res.status, res.x, res.objective, bound,
                          time.perf_counter() - t0, res.nodes)
    x = res.x if res.x is not None else np.zeros(spec.n_cols)
    best = res.objective if res.x is not None else 0.0
    nodes = res.nodes
    if best < math.floor(bound + 1e-6):
        lns_end = time.perf_counter() + 0.6 * (block_deadline - time.perf_counter())
        x, _n = improve_windows(spec, x, opts, lns_end, column_slots(spec),
                                windows=LNS_WINDOWS, target=math.floor(bound + 1e-6),
                                demand=demand)
        best = float(np.asarray(spec.col_cost) @ x)
    left = block_deadline - time.perf_counter()
    status = Status.TIME_LIMIT
    if best >= math.floor(bound + 1e-6):
        status = Status.OPTIMAL
    elif left > 0.5:
        h.clearSolver()
        res = run_highs(h, spec, left, start=(np.arange(spec.n_cols), x))
        nodes += res.nodes
        bound = min(bound, res.bound)
        if res.x is not None and res.objective > best + 0.5:
            x, best = res.x, res.objective
        if res.status == Status.OPTIMAL or best >= math.floor(bound + 1e-6):
            status = Status.OPTIMAL
    return SpecResult(status, x, best, bound, time.perf_counter() - t0, nodes)


def _second_phase(spec: LinearSpec, idx: SlotIndex, res: SpecResult, builder: str,
                  opts: SolverOptions, deadline: float | None, budget: float | None,
                  started: float) -> SpecResult | None:
    """Fewest changes among solutions serving as many requests as ``res``."""
    accepted = float(round(sum(res.x[c] for c in idx.accepted)))
    two = LinearSpec(sense="max", col_lb=spec.col_lb, col_ub=spec.col_ub,
                     col_cost=[0.0] * spec.n_cols, col_int=spec.col_int,
                     var_blocks=spec.var_blocks, row_lb=list(spec.row_lb),
                     row_ub=list(spec.row_ub), rows_i=list(spec.rows_i),
                     rows_j=list(spec.rows_j), rows_v=list(spec.rows_v),
                     row_blocks={k: list(v) for k, v in spec.row_blocks.items()})
    for c, w in zip(idx.changes, idx.change_coef, strict=True):
        two.col_cost[c] -= w
    two.row_block("lexicographic")
    two.add_row(list(idx.accepted), [1.0] * len(idx.accepted), accepted, math.inf)
    left = None
    if budget is not None:
        used = time.perf_counter() - started
        left = budget - used
        if deadline is not None:
            left = min(left, deadline - time.perf_counter())
        if left < 0.05:
            return None
    opts2 = SolverOptions(time_limit=left, mip_gap=opts.mip_gap, threads=opts.threads,
                          seed=opts.seed, verbose=opts.verbose)
    res2 = _solve(two, opts2, builder, start=(np.arange(spec.n_cols), res.x))
    if res2.x is None:
        return None
    if sum(res2.x[c] for c in idx.accepted) < accepted - 0.5:
        return None
    return res2


def _renamed(plan: DatacenterPlan, method: str) -> DatacenterPlan:
    """The warm-start plan under this method's name (same decisions)."""
    rc = plan.reconfigurations
    return DatacenterPlan.build(
        method, initial=plan.initial,
        reconf=rc.columns(),
        deliveries=(plan.delivery_request, plan.delivery_source, plan.delivery_event),
        rejected=(plan.rejected_request, plan.rejected_reason))


def switch_lp_bound(instance: DatacenterInstance, params: MilpLpParams,
                    ) -> tuple[DatacenterPlan, SolveInfo]:
    """The best heuristic plan with the LP-relaxation bound of the slot model.

    Parameters
    ----------
    instance
        The instance.
    params
        The options: ``time_limit`` (wall-clock seconds for all the blocks' LPs),
        ``threads``, ``seed`` and ``verbose`` of HiGHS.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
        Status ``"bound"``; ``objective`` the plan's served requests, ``bound`` the sum
        over blocks of ⌊LP optimum⌋.
    """
    from qdcopt.datacenter.validate import validate

    t0 = time.perf_counter()
    data = preprocess(instance)
    warm, warm_name, _ = best_heuristic(instance)
    model_costs = tuple(c if c.exact else c.relaxed() for c in data.costs)
    cap = instance.comm_capacity()
    bound = 0
    for block in data.blocks:
        spec, _idx = build_slot_model(block, model_costs, cap)
        left = (None if params.time_limit is None
                else max(0.05, t0 + params.time_limit - time.perf_counter()))
        res = solve_arrays(spec, _options(left, 1e-6, params.threads, params.seed,
                                          params.verbose), relax=True)
        bound += _block_bound(res, len(block.requests), 0.0, 0)
    reasons = {int(r): str(why) for r, why in
               zip(data.unservable.tolist(), data.unservable_reason.tolist(), strict=True)}
    if warm is None:
        plan, _ = plan_from_deliveries(instance, "milp-lp", [], reasons)
    else:
        plan = _renamed(warm, "milp-lp")
    rep = validate(instance, plan)
    info = SolveInfo(method="milp-lp", status=Status.BOUND, objective=float(rep.objective),
                     bound=float(bound), time_s=time.perf_counter() - t0,
                     extra={"reconfigurations": int(rep.metrics["reconfigurations"]),
                            "plan_from": warm_name, "blocks": len(data.blocks)})
    return plan, info


MILP_METHODS = {"milp": switch_milp, "milp-lp": switch_lp_bound}
"""Method name → function, for registration in ``qdcopt.datacenter.schedulers.SCHEDULERS``."""
