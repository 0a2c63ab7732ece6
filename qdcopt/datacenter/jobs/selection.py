"""The job-selection MILP (HiGHS, through the solver layer): which jobs run, where and when.

Model (``models/selection.md`` has the full write-up): a binary ``x[c]`` per candidate
``c`` (a job on a QPU set from a start tick, :mod:`qdcopt.datacenter.jobs.candidates`);

* at most one candidate per job;
* QPU exclusivity: for every QPU and every candidate start ``t`` on it, the candidates
  using the QPU and running at ``t`` sum to at most 1 (interval-graph cliques);
* QPU qubit capacity: candidates are only built on QPU sets that hold the job;
* all-or-nothing: a job counts only with all its requests, so a candidate with a request
  that no source can ever serve (no source reaches its pair, or no EPR event falls in
  its storage window) is fixed to 0;
* entanglement capacity, aggregated (a relaxation): the requests whose need times fall
  in a time bucket ``[kL, (k+1)L)`` are served either by an event inside the bucket (one
  pair per event) or earlier, and then they are held in memory at ``kL`` — at most
  ``⌊Σ_q comm_q / 2⌋`` such pairs; so their number is at most the bucket's events plus
  that (no constraint when a QPU has unlimited memory).

Objective: accepted requests, accepted jobs or used qubits (``objective=``), ties broken
by more jobs, fewer requests and earlier starts (paper 000 Phase B: use the qubits, spare
the entanglement), through integer weights ``S·w_c + B − s_c`` (``1 ≤ B − s_c ≤ B``) with
``S`` larger than every possible sum of tie-break terms.

Decomposition.  The MILP's selection is scheduled at event level by a scheduler named
by ``scheduler=`` (``greedy`` by default; ``edf``, ``scoring`` or a switch MILP registered
in the family work the same); jobs with an unserved request are ejected (Phases F–G),
which leaves a valid plan, and their chosen candidates are forbidden before the MILP is
solved again (``max_rounds`` times).  The best valid plan found is returned (the
selection of the ``pipeline-parallel`` heuristic is offered as candidates and its plan
as an incumbent, and so are those of ``pipeline-sequential``, so the method never does
worse than either).  The bound is the first solve's bound, before any such cut: the
cuts come from a heuristic scheduler's failures and do not prove anything, while the
first model relaxes every job-level plan over the candidate set.  The candidate set is
narrower than what validator rule 7 allows, so that bound and the status say so
(``bound_over_candidates``, ``optimal_over_candidates``); see ``models/selection.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qdcopt.datacenter.events import window_events
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.jobs.candidates import (
    Candidate,
    JobCandidates,
    JobDecision,
    candidate_rule,
    job_candidates,
)
from qdcopt.datacenter.jobs.pipeline import (
    handed_on,
    require_jobs,
    run_pipeline,
    schedule_decisions,
)
from qdcopt.datacenter.options import SelectMilpParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.solvers.arrays import INF, LinearSpec, SpecResult, solve_arrays
from qdcopt.solvers.highs import MAXIMIZE, SolveInfo, SolverOptions, Status

OBJECTIVES = ("requests", "jobs", "qubits")


@dataclass(frozen=True, eq=False)
class SelectionModel:
    """A built selection model and what is needed to read it.

    Attributes
    ----------
    spec
        The model (column ``i`` is ``x`` of the candidate at position ``i``; rows in
        blocks ``one``, ``exclusive`` and ``entanglement``).
    candidates
        The candidates, by position.
    usable
        Whether each candidate can be fully served at all (others are fixed to 0).
    scale
        ``S``: the objective is ``S · primary + tie-break`` with 0 ≤ tie-break < S.
    primary
        Primary weight of each candidate (requests, 1 or qubits).
    """

    spec: LinearSpec
    candidates: tuple[Candidate, ...]
    usable: np.ndarray
    scale: int
    primary: np.ndarray

    def rows(self, block: str) -> int:
        """Number of rows of a constraint block."""
        return len(self.spec.row_blocks.get(block, ()))

    def primary_bound(self, bound: float) -> float:
        """Bound on the primary objective from a bound on the weighted objective."""
        if not math.isfinite(bound):
            return math.nan  # no proven bound (HiGHS reports ±inf)
        # weighted = S·primary + ties with 0 ≤ ties < S
        return float(math.floor(bound / self.scale + 1e-9))


def servable(instance: DatacenterInstance, cand: Candidate) -> bool:
    """Whether every request of ``cand`` has a source reaching its pair with an EPR event
    in its storage window (a job needs all of them)."""
    t = cand.t_need
    a, b = cand.eds.qpu_a, cand.eds.qpu_b
    ok = np.zeros(len(t), dtype=bool)
    for s in instance.sources:
        ports = np.zeros(instance.n_qpus, dtype=bool)
        ports[list(s.ports)] = True
        reach = ports[a] & ports[b]
        first, last = window_events(t, instance.t_max, s.start, s.period)
        ok |= reach & (last >= first)
    return bool(ok.all())


def _events_in(instance: DatacenterInstance, lo: int, hi: int) -> int:
    """EPR events of all sources in [lo, hi)."""
    total = 0
    for s in instance.sources:
        first = s.first_event_at_or_after(lo)
        last = s.last_event_at_or_before(hi - 1)
        total += max(0, last - first + 1)
    return total


def build_model(instance: DatacenterInstance, cands: JobCandidates, *,
                objective: str = "requests", buckets: int = 50, relax: bool = False,
                ) -> SelectionModel:
    """Build the selection model (see the module notes).

    Parameters
    ----------
    instance
        The instance (its QPUs, sources and memories).
    cands
        The candidates.
    objective
        ``"requests"``, ``"jobs"`` or ``"qubits"``.
    buckets
        Number of time buckets of the entanglement-capacity constraint.
    relax
        Continuous ``x`` in [0, 1] (the LP relaxation).

    Returns
    -------
    SelectionModel
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    flat = cands.all()
    n = len(flat)
    usable = np.array([servable(instance, c) for c in flat], dtype=bool)
    n_req = np.array([c.n_requests for c in flat], dtype=np.int64)
    delay = np.array([c.delay_index for c in flat], dtype=np.int64)
    if objective == "requests":
        primary = n_req.copy()
        tie = delay
    else:
        primary = (np.ones(n, dtype=np.int64) if objective == "jobs"
                   else np.array([c.n_qubits for c in flat], dtype=np.int64))
        tie = n_req * (int(delay.max(initial=0)) + 1) + delay
    job_of = np.array([c.job_index for c in flat], dtype=np.int64)
    # each chosen candidate adds a tie-break term in [1, bonus]: a job without requests is
    # still worth running, and the terms of all jobs together stay below one unit of S
    bonus = int(tie.max(initial=0)) + 1
    scale = 1 + bonus * len(np.unique(job_of))
    weight = scale * primary + bonus - tie

    spec = LinearSpec(sense=MAXIMIZE)
    # an unservable candidate keeps its column (positions stay those of the candidates)
    # with upper bound 0
    x = spec.add_vars("x", list(range(n)), 0.0, np.where(usable, 1.0, 0.0).tolist(),
                      integer=not relax)
    spec.col_cost[:] = weight.astype(np.float64).tolist()
    spec.row_block("one")
    for j in np.unique(job_of).tolist():
        idx = np.flatnonzero(job_of == j)
        if len(idx) > 1:
            spec.add_row(x[idx].tolist(), [1.0] * len(idx), -INF, 1.0)
    # exclusivity: cliques of the interval graph of each QPU, at candidate starts
    spec.row_block("exclusive")
    seen: set[tuple[int, ...]] = set()
    for q in range(instance.n_qpus):
        on = [i for i in range(n) if q in flat[i].qpus and usable[i]]
        for t in sorted({flat[i].start for i in on}):
            active = tuple(i for i in on if flat[i].start <= t < flat[i].end)
            if len({job_of[i] for i in active}) > 1 and active not in seen:
                seen.add(active)
                spec.add_row(x[list(active)].tolist(), [1.0] * len(active), -INF, 1.0)
    # entanglement capacity, aggregated per time bucket (a relaxation)
    spec.row_block("entanglement")
    caps = [q.comm_qubits for q in instance.qpus]
    horizon = max((c.end for c in flat), default=0)
    if n and all(c is not None for c in caps) and horizon > 0 and buckets > 0:
        held = sum(caps) // 2  # type: ignore[arg-type]
        length = max(1, -(-horizon // buckets))
        loads = np.zeros((n, buckets + 1), dtype=np.int64)
        for i, c in enumerate(flat):
            if usable[i] and c.n_requests:
                k = np.minimum(c.t_need // length, buckets)
                loads[i] = np.bincount(k, minlength=buckets + 1)
        for k in range(buckets + 1):
            col = loads[:, k]
            room = _events_in(instance, k * length, (k + 1) * length) + held
            if col.sum() > room:
                idx = np.flatnonzero(col)
                spec.add_row(x[idx].tolist(), col[idx].astype(np.float64).tolist(), -INF,
                             float(room))
    return SelectionModel(spec=spec, candidates=tuple(flat), usable=usable, scale=scale,
                          primary=primary)


def chosen(sel: SelectionModel, x: np.ndarray) -> list[Candidate]:
    """Candidates with ``x`` ≥ 0.5 in a solution."""
    return [c for i, c in enumerate(sel.candidates) if x[i] > 0.5]


def decisions_for(instance: DatacenterInstance, picked: list[Candidate],
                  reasons: dict[str, str]) -> list[JobDecision]:
    """One decision per job: its picked candidate, or rejected with a reason."""
    by_job = {c.job: c for c in picked}
    out = []
    for spec in instance.job_specs:
        c = by_job.get(spec.id)
        if c is not None:
            out.append(JobDecision(spec.id, True, c.qpus, c.start, c.name))
        else:
            out.append(JobDecision(spec.id, False, (), 0,
                                   reason=reasons.get(spec.id, "not-selected")))
    return out


def _primary_value(plan: DatacenterPlan, instance: DatacenterInstance, objective: str) -> int:
    from qdcopt.datacenter.jobs.candidates import job_qubits

    index = {s.id: i for i, s in enumerate(instance.job_specs)}
    acc = [j for j, a in zip(plan.job_id.tolist(), plan.job_accepted.tolist(), strict=True) if a]
    if objective == "requests":
        return plan.n_accepted
    if objective == "jobs":
        return len(acc)
    return sum(job_qubits(instance, index[j]) for j in acc)


def select_milp(instance: DatacenterInstance, params: SelectMilpParams,
                scheduler_options: Mapping[str, Any]) -> tuple[DatacenterPlan, SolveInfo]:
    """Select jobs with the job-selection MILP, then schedule them at event level.

    Parameters
    ----------
    instance
        An instance with jobs.
    params
        The options (:class:`~qdcopt.datacenter.options.SelectMilpParams`):

        ``objective``
            ``"requests"`` (accepted requests), ``"jobs"`` (accepted jobs) or ``"qubits"``
            (qubits of the accepted jobs).
        ``scheduler``
            Event-level scheduler of the selected jobs (a method name of the family).
        ``max_qpu_sets``, ``max_delays``, ``delay_step``
            The candidate grid (:func:`~qdcopt.datacenter.jobs.candidates.job_candidates`).
        ``buckets``
            Time buckets of the aggregated entanglement-capacity constraint.
        ``max_rounds``
            Solve–schedule–cut rounds.
        ``warm_start``
            Offer the selections of the ``pipeline-parallel`` and ``pipeline-sequential``
            heuristics as candidates and their better plan as incumbent.
        ``time_limit``, ``mip_gap``, ``threads``, ``seed``, ``verbose``
            HiGHS options (the time limit is for all rounds together).
    scheduler_options
        Options forwarded to the scheduler (also to the warm start's pipelines).

    Returns
    -------
    (DatacenterPlan, SolveInfo)
        A validated-by-construction job-level plan.  ``objective`` is the number of
        accepted requests (what the validator recomputes).  ``bound`` is ``nan``: the
        model's bound holds over the candidate set only, so it is kept in
        ``extra["bound_over_candidates"]`` (accepted requests, ``objective="requests"``)
        and ``extra["objective_bound_over_candidates"]`` (the chosen objective), beside
        ``extra["candidate_rule"]``.  ``status`` is ``optimal_over_candidates`` when the
        plan meets that bound, ``optimal`` only when it provably cannot be beaten by any
        job-level plan (``jobs``/``qubits``: every job that fits the datacenter runs),
        else ``feasible`` or ``time_limit``.
    """
    started = time.perf_counter()
    require_jobs(instance)
    method = "select-milp"
    objective, scheduler, time_limit = params.objective, params.scheduler, params.time_limit
    # the MILP uses every common option itself: the scheduler gets those forwarded
    options = {**handed_on(params), **scheduler_options}
    extra_cands: dict[str, list[tuple[tuple[int, ...], int]]] = {}
    incumbent: DatacenterPlan | None = None
    best_key = (-1, -1)
    qidx = instance.qpu_index()
    for mode in ("parallel", "sequential") if params.warm_start else ():
        warm, _ = run_pipeline(instance, mode=mode, scheduler=scheduler, method=method,
                               **options)
        for job, acc, qs, start in zip(warm.job_id.tolist(), warm.job_accepted.tolist(),
                                       warm.job_qpus.tolist(), warm.job_start.tolist(),
                                       strict=True):
            if acc:
                extra_cands.setdefault(job, []).append(
                    (tuple(sorted(qidx[q] for q in str(qs).split())), int(start)))
        key = (_primary_value(warm, instance, objective), warm.n_accepted)
        if key > best_key:
            incumbent, best_key = warm, key
    cands = job_candidates(instance, max_qpu_sets=params.max_qpu_sets,
                           max_delays=params.max_delays, delay_step=params.delay_step,
                           extra=extra_cands)
    sel = build_model(instance, cands, objective=objective, buckets=params.buckets)
    best = incumbent
    first: SpecResult | None = None
    history: list[dict[str, Any]] = []
    for r in range(max(1, params.max_rounds)):
        left = None if time_limit is None else max(1.0, time_limit
                                                    - (time.perf_counter() - started))
        res = solve_arrays(sel.spec, SolverOptions(
            time_limit=left, mip_gap=params.mip_gap, threads=params.threads, seed=params.seed,
            verbose=params.verbose))
        if first is None:
            first = res
        if res.x is None:
            break
        picked = chosen(sel, res.x)
        decisions = decisions_for(instance, picked, cands.reasons)
        plan, _, ejected = schedule_decisions(instance, decisions, scheduler, method, options)
        key = (_primary_value(plan, instance, objective), plan.n_accepted)
        history.append({"round": r + 1, "milp_status": str(res.status),
                        "selected": len(picked), "ejected": sorted(ejected), "value": key[0]})
        if key > best_key:
            best, best_key = plan, key
        if not ejected or (time_limit is not None
                           and time.perf_counter() - started > time_limit):
            break
        for i, c in enumerate(sel.candidates):
            if c.job in ejected and c in picked:
                sel.spec.col_ub[i] = 0.0
    if best is None:  # no warm start and no incumbent: every job rejected
        plan, _, _ = schedule_decisions(instance, decisions_for(instance, [], cands.reasons),
                                        scheduler, method, options)
        best, best_key = plan, (0, 0)
    assert first is not None
    pbound = sel.primary_bound(first.bound)
    # The bound holds over the candidate set only, which is narrower than rule 7 allows
    # (any QPU set that holds a job, any start from its arrival): it is no proven bound
    # of the validator's problem, so it is not reported as SolveInfo.bound, and meeting
    # it proves optimality over the candidates, never plain optimality.
    over = not math.isnan(pbound) and best_key[0] >= pbound
    status = (Status.OPTIMAL_OVER_CANDIDATES if over
              else Status.TIME_LIMIT if first.status == Status.TIME_LIMIT else Status.FEASIBLE)
    full = _datacenter_bound(instance, objective)
    if not math.isnan(full) and best_key[0] >= full:
        status = Status.OPTIMAL  # every job any QPU set can hold runs: nothing can do better
    n_acc = int(np.count_nonzero(best.job_accepted))
    return best, SolveInfo(
        method=method, status=status, objective=float(best.n_accepted), bound=math.nan,
        time_s=time.perf_counter() - started,
        extra={"objective": objective, "objective_value": best_key[0],
               "objective_bound_over_candidates": pbound,
               "bound_over_candidates": pbound if objective == "requests" else math.nan,
               "bound_scope": "job-level plans over the candidate set (not every plan "
                              "rule 7 allows)",
               "candidate_rule": candidate_rule(params.max_qpu_sets, params.max_delays,
                                                params.delay_step),
               "jobs_accepted": n_acc,
               "candidates": len(sel.candidates),
               "candidates_unservable": int((~sel.usable).sum()),
               "constraints_exclusive": sel.rows("exclusive"),
               "constraints_entanglement": sel.rows("entanglement"),
               "rounds": history, "scheduler": scheduler})


def _datacenter_bound(instance: DatacenterInstance, objective: str) -> float:
    """A bound on the job or qubit objective over every job-level plan: the jobs (their
    qubits) that some set of the instance's QPUs can hold (rule 7's capacity); ``nan``
    for the request objective, whose value depends on where a job runs."""
    from qdcopt.datacenter.demand.jobs import fits_datacenter
    from qdcopt.datacenter.jobs.candidates import job_qubits

    if objective == "requests":
        return math.nan
    caps = [q.data_qubits for q in instance.qpus]
    fit = [j for j, spec in enumerate(instance.job_specs)
           if fits_datacenter(spec, job_qubits(instance, j), caps)]
    if objective == "jobs":
        return float(len(fit))
    return float(sum(job_qubits(instance, j) for j in fit))
