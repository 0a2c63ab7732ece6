"""The demand service over days (paper 002 §4): arrivals, admission, interval schedules,
stochastic PGAs.

A central controller works in scheduling intervals of ``n_slots`` slots, a slot being
the shortest PGA duration ``E``.  At the start of interval ``i`` it

1. takes the FIFO queue of registered demands and admits them by the admission rule
   (:mod:`qdcopt.service.simulation.admission`); ``queue = "fifo"`` stops at the first demand that
   fails (head-of-line blocking, as in the paper), ``"skip"`` lets later ones pass;
2. builds the schedule of interval ``i + offset`` (the time to compute and distribute
   it) for every admitted, open demand by EDF or by the MILP — the MILP runs only when
   EDF leaves some demand off track, since otherwise EDF is optimal;
3. the PGAs of that schedule run at their times; each makes a packet with probability
   ``p_success`` (from the link model, :mod:`qdcopt.service.demand.network`).

A demand closes as *served* when it has ``min_packets`` packets, as *expired* at its
expiry, or as *rejected* when the schedule-aware rule finds it cannot reach minimal
service; its pair submits the next demand ``Exponential(λ)`` later.  Its queue time runs
from submission to the start of its first scheduled interval; for a lone pair whose
submissions fall uniformly within intervals its expectation is ``T/2 + offset·T`` for
intervals of length ``T`` (the "single pair" line of paper 002 Fig. 4.3(b)), and its share
of demands with minimal service is a mean of binomial tails over that wait
(:func:`qdcopt.service.demand.demands.lone_share`; ``min_service_share_single_pair``, the mean
over the pairs).

The run is a sequence of events on the shared engine (:class:`qdcopt.engine.Simulator`).
Events at the same time run PGA ends first, then expiries, then arrivals, then the
interval boundary (the engine's event priorities 0-3), so a PGA that ends exactly at an
expiry or a boundary still counts.  Every random number (renewal waits, PGA successes)
comes in event order from the seed's root stream (:meth:`qdcopt.engine.Streams.root`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.engine import Simulator, Streams
from qdcopt.service.demand.config import DAY, ServiceConfig, all_pair_classes, cka_classes
from qdcopt.service.demand.demands import Demand, DemandClass, adaptive_rate
from qdcopt.service.demand.jobs import IntervalJobs, snapshot_problem
from qdcopt.service.heuristics.edf import edf, edf_starts
from qdcopt.service.interval import IntervalProblem, IntervalSchedule
from qdcopt.service.simulation.admission import can_reach, utilisation_ok
from qdcopt.service.validate import validate_schedule

__all__ = ["DAY", "ServiceConfig", "ServiceResult", "all_pair_classes", "cka_classes",
           "simulate_service", "snapshot_problem"]

@dataclass
class ServiceResult:
    """What one run of the service produced.

    Attributes
    ----------
    config
        The run's configuration.
    demands
        One row per closed demand.
    metrics
        The run's figures (see :func:`summarise`).
    utilisation
        Per resource: share of its capacity reserved by PGAs that ran.
    """

    config: ServiceConfig
    demands: pd.DataFrame
    metrics: dict[str, Any]
    utilisation: dict[str, float]

    def to_frame(self) -> pd.DataFrame:
        """One-row table of the metrics."""
        return pd.DataFrame([self.metrics])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (metrics and utilisation)."""
        return {"metrics": self.metrics, "utilisation": self.utilisation}


class _Service(IntervalJobs):
    """The controller's state during one run."""

    def __init__(self, cfg: ServiceConfig) -> None:
        super().__init__(cfg)
        self.rng = Streams(cfg.seed).root()
        self.loop = Simulator()
        self.queue: deque[Demand] = deque()
        self.active: list[Demand] = []
        self.closed: list[Demand] = []
        self.next_id = 0
        self.busy = np.zeros(len(self.capacity))
        self.intervals = 0
        self.milp_runs = 0
        self.milp_gain = 0
        self.invalid = 0
        self.horizon = cfg.days * DAY

    # -- helpers --------------------------------------------------------------------------
    def arrive_later(self, cls: DemandClass, now: float) -> None:
        t = now + self.rng.exponential(1.0 / self.cfg.renewal_rate)
        if t <= self.horizon:
            self.loop.at(t, self.handle, "arrive", cls, priority=2)

    def close(self, d: Demand, outcome: str, now: float) -> None:
        d.outcome = outcome
        d.end = now
        self.closed.append(d)
        self.arrive_later(d.cls, now)

    # -- events ---------------------------------------------------------------------------
    def handle(self, kind: str, payload: Any) -> None:
        now = self.loop.now
        if kind == "pga":
            d, start, end = payload
            if d.outcome is not None:
                return  # cancelled: the demand closed before this PGA
            d.pgas_run += 1
            for r, u in self.use(d).items():
                self.busy[r] += u * (end - start)
            if self.rng.random() < self.p_success[d.cls.pair]:
                d.packets += 1
                if d.packets >= d.cls.min_packets:
                    self.active.remove(d)
                    self.close(d, "served", now)
        elif kind == "expire":
            d = payload
            if d.outcome is None:
                if d in self.active:
                    self.active.remove(d)
                else:
                    self.queue.remove(d)
                self.close(d, "expired", now)
        elif kind == "arrive":
            d = Demand(self.next_id, payload, now)
            self.next_id += 1
            self.queue.append(d)
            self.loop.at(d.expires, self.handle, "expire", d, priority=1)
        elif kind == "boundary":
            self.boundary(payload, now)

    def boundary(self, i: int, now: float) -> None:
        self.intervals += 1
        start = (i + self.cfg.offset) * self.T
        self.admit(now, start)
        state = {d.id: d.next_period for d in self.active}
        problem, owners, period = self.problem(i + self.cfg.offset, self.active, state)
        if problem.n_demands:
            plan = self.schedule(problem)
            starts = np.full(problem.n_jobs, -1, dtype=np.int64)
            starts[plan.job] = plan.start
            missed = self.advance(owners, period, problem, starts, state)
            for d, m in zip(owners, missed, strict=True):
                d.next_period = state[d.id]
                d.pgas_dropped += m
            if self.cfg.check and not validate_schedule(problem, plan).ok:
                self.invalid += 1
            base = (i + self.cfg.offset) * self.n_slots
            for j, s, du in zip(plan.job.tolist(), plan.start.tolist(), plan.duration.tolist(),
                                strict=True):
                d = owners[problem.job_demand[j]]
                d.pgas_scheduled += 1
                t0 = (base + s) * self.slot
                t1 = (base + s + du) * self.slot
                if t1 <= self.horizon:
                    self.loop.at(t1, self.handle, "pga", (d, t0, t1), priority=0)
        if (i + 1) * self.T <= self.horizon:
            self.loop.at((i + 1) * self.T, self.handle, "boundary", i + 1,
                         priority=3)

    def admit(self, now: float, start: float) -> None:
        cfg = self.cfg
        kept: deque[Demand] = deque()
        blocked = False
        while self.queue:
            d = self.queue.popleft()
            if blocked:
                kept.append(d)
                continue
            d.start = start
            if d.cls.rate is None:
                d.rate = adaptive_rate(d.cls.min_packets, self.p_success[d.cls.pair],
                                       d.expires - start, cfg.adaptive_target, self.max_rate(d))
            else:
                d.rate = min(d.cls.rate, self.max_rate(d))
            if cfg.admission == "utilisation":
                ok = utilisation_ok(self.active, d, self.use, self.pga_seconds, self.capacity,
                                    cfg.utilisation_limit, self.T, cfg.max_pgas)
            else:
                if cfg.reach_target is not None and not can_reach(
                        d, self.p_success[d.cls.pair], cfg.reach_target):
                    self.close(d, "rejected", now)
                    continue
                ok = self.feasible([*self.active, d])
            if ok:
                d.admitted = now
                self.active.append(d)
            else:
                d.start = None
                d.rate = math.nan
                kept.append(d)
                blocked = cfg.queue == "fifo"
        self.queue = kept

    def feasible(self, demands: list[Demand]) -> bool:
        """EDF keeps every demand on track in the next ``lookahead`` intervals.

        The next interval is the candidate's first (the latest start): the admitted
        demands' periods up to it are already settled by the schedules built so far.
        """
        first = round(max(d.start for d in demands) / self.T)
        state = {d.id: d.next_period for d in demands}
        for k in range(self.cfg.lookahead):
            problem, owners, period = self.problem(first + k, demands, state)
            starts = edf_starts(problem)
            plan = IntervalSchedule.from_starts(problem, starts, "edf")
            if not bool(np.all(plan.on_track())):
                return False
            self.advance(owners, period, problem, starts, state)
        return True

    def schedule(self, problem: IntervalProblem) -> IntervalSchedule:
        plan, info = edf(problem)
        if self.cfg.scheduler == "milp" and info.objective < problem.n_demands:
            from qdcopt.service.models.pga_milp import milp

            self.milp_runs += 1
            better, minfo = milp(problem, time_limit=self.cfg.milp_time_limit,
                                 seed=self.cfg.seed)
            self.milp_gain += int(minfo.objective - info.objective)
            plan = better
        return plan

    # -- run ------------------------------------------------------------------------------
    def run(self) -> ServiceResult:
        for cls in self.classes:
            self.arrive_later(cls, 0.0)
        self.loop.at(0.0, self.handle, "boundary", 0, priority=3)
        self.loop.run(self.horizon)
        return summarise(self)


def summarise(s: _Service) -> ServiceResult:
    """The figures of a finished run."""
    cfg = s.cfg
    rows = [{"id": d.id, "pair": d.cls.pair, "arrival": d.arrival, "admitted": d.admitted,
             "start": d.start, "end": d.end, "outcome": d.outcome, "rate": d.rate,
             "packets": d.packets, "pgas_scheduled": d.pgas_scheduled, "pgas_run": d.pgas_run,
             "pgas_dropped": d.pgas_dropped,
             "queue_time": (d.start - d.arrival) if d.start is not None else math.nan}
            for d in sorted(s.closed, key=lambda x: x.id)]
    frame = pd.DataFrame(rows, columns=["id", "pair", "arrival", "admitted", "start", "end",
                                        "outcome", "rate", "packets", "pgas_scheduled",
                                        "pgas_run", "pgas_dropped", "queue_time"])
    n = len(frame)
    served = int((frame["outcome"] == "served").sum())
    admitted = frame[frame["admitted"].notna()]
    q = admitted["queue_time"].to_numpy(float)
    util = s.busy / (s.capacity * s.horizon)
    metrics = {
        "days": cfg.days, "renewal_rate": cfg.renewal_rate, "admission": cfg.admission,
        "scheduler": cfg.scheduler, "queue": cfg.queue,
        "rate": "adaptive" if s.classes[0].rate is None else s.classes[0].rate,
        "sessions": n, "served": served,
        "min_service_share": served / n if n else math.nan,
        "admitted": len(admitted),
        "served_share_of_admitted": (int((admitted["outcome"] == "served").sum())
                                     / len(admitted)) if len(admitted) else math.nan,
        "expired": int((frame["outcome"] == "expired").sum()),
        "expired_in_queue": int(((frame["outcome"] == "expired")
                                 & frame["admitted"].isna()).sum()),
        "rejected": int((frame["outcome"] == "rejected").sum()),
        "queue_time_mean": float(q.mean()) if len(q) else math.nan,
        "queue_time_std": float(q.std(ddof=1)) if len(q) > 1 else math.nan,
        "queue_time_p95": float(np.percentile(q, 95)) if len(q) else math.nan,
        "queue_time_single_pair": s.T / 2 + cfg.offset * s.T,
        "min_service_share_single_pair": float(np.mean([s.lone_share(c) for c in s.classes])),
        "utilisation_max": float(util.max()),
        "pga_seconds": float(s.slot), "interval_seconds": float(s.T),
        "p_success": float(min(s.p_success.values())),
        "intervals": s.intervals, "milp_runs": s.milp_runs, "milp_gain": s.milp_gain,
        "invalid_schedules": s.invalid,
    }
    return ServiceResult(cfg, frame, metrics,
                         {name: float(u) for name, u in zip(s.resource_names, util,
                                                            strict=True)})


def simulate_service(config: ServiceConfig) -> ServiceResult:
    """Run the demand service of ``config`` (see the module text)."""
    return _Service(config).run()
