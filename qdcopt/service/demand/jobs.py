"""PGAs of admitted demands, interval by interval: the jobs a scheduler places.

:class:`IntervalJobs` holds what follows from a service's configuration alone — each
pair's PGA duration and success from the link model (:mod:`qdcopt.service.demand.network`), the
slot (the shortest PGA duration), the interval of ``n_slots`` slots, each pair's
resources — and turns admitted demands into
:class:`~qdcopt.service.interval.IntervalProblem` s.  A demand of rate ``R`` asks for one
PGA per period ``1/R`` (``1/(R·slot)`` slots) within the period's window (implicit deadlines);
see :meth:`IntervalJobs.problem` for how periods meet interval boundaries.
"""

from __future__ import annotations

import math

import numpy as np

from qdcopt.service.demand.config import ServiceConfig, cka_classes
from qdcopt.service.demand.demands import Demand, DemandClass, adaptive_rate, lone_share
from qdcopt.service.demand.network import packet_probability, pga_cycles
from qdcopt.service.generate import period_windows
from qdcopt.service.interval import IntervalProblem


class IntervalJobs:
    """Slots, durations and resources of a service, and its interval problems."""

    def __init__(self, cfg: ServiceConfig) -> None:
        self.cfg = cfg
        net = cfg.network
        self.resource_names, caps = net.resources()
        self.capacity = np.asarray(caps, dtype=np.int64)
        self.index = {n: i for i, n in enumerate(self.resource_names)}
        classes = cfg.classes or cka_classes(net)
        self.classes = classes
        # per pair: attempt cycles of a PGA, its success, its length in slots
        p_pair = {c.pair: net.pair_probability(c.a, c.b) for c in classes}
        self.cycles = {c.pair: pga_cycles(p_pair[c.pair], c.packet_size, cfg.p_packet)
                       for c in classes}
        self.p_success = {c.pair: packet_probability(self.cycles[c.pair], p_pair[c.pair],
                                                     c.packet_size) for c in classes}
        t_cycle = net.link.t_cycle
        self.slot = min(n * t_cycle for n in self.cycles.values())
        self.dur = {k: math.ceil(n * t_cycle / self.slot - 1e-9)
                    for k, n in self.cycles.items()}
        self.n_slots = max(1, math.floor(cfg.interval / self.slot + 1e-9))
        self.T = self.n_slots * self.slot
        self.uses = {c.pair: {self.index[k]: v for k, v in net.path_use(c.a, c.b).items()}
                     for c in classes}

    def pga_seconds(self, d: Demand) -> float:
        """``E`` of the demand's PGAs (whole slots)."""
        return self.dur[d.cls.pair] * self.slot

    def use(self, d: Demand) -> dict[int, int]:
        """Resource index → units a PGA of the demand holds."""
        return self.uses[d.cls.pair]

    def max_rate(self, d: Demand) -> float:
        """Fastest PGA rate: one PGA per PGA duration."""
        return 1.0 / self.pga_seconds(d)

    def lone_share(self, cls: DemandClass) -> float:
        """Share of a lone demand of ``cls`` that obtains minimal service (the λ → 0 limit;
        see :func:`qdcopt.service.demand.demands.lone_share`)."""
        return lone_share(cls.min_packets, self.p_success[cls.pair], cls.rate, cls.expiry,
                          self.slot, self.T, self.cfg.offset, self.dur[cls.pair],
                          self.cfg.adaptive_target, 1.0 / (self.dur[cls.pair] * self.slot))

    def problem(self, interval: int, demands: list[Demand], state: dict[int, int]
                ) -> tuple[IntervalProblem, list[Demand], np.ndarray]:
        """The PGAs of ``demands`` offered to ``interval`` (global slots
        ``[a, b) = [interval·n, (interval+1)·n)``), and the period of each.

        A period whose window ends by ``b`` gives a *due* job (window clipped at ``a``;
        dropped as missed if too short); a period that ends after ``b`` gives an
        *optional* job, placed now if it fits before ``b`` and otherwise offered again
        to the next interval.  ``min_pgas`` counts the due jobs.
        """
        a = interval * self.n_slots
        b = a + self.n_slots
        jd, jr, jdl, jdu, jp, owners, starts, due = [], [], [], [], [], [], [], []
        for d in demands:
            if d.outcome is not None or d.start is None or d.start >= (interval + 1) * self.T:
                continue
            period = 1.0 / (d.rate * self.slot)
            phase = d.start / self.slot
            dur = self.dur[d.cls.pair]
            k = state[d.id]
            k_to = max(k, math.floor((b - phase) / period) + 2)
            rel, dl = period_windows(phase, period, k, k_to)
            idx = len(owners)
            n_due = 0
            for off, (r_, dl_) in enumerate(zip(rel.tolist(), dl.tolist(), strict=True)):
                if r_ >= b:
                    break
                lo, hi = max(r_, a), min(dl_, b)
                if dl_ <= b:
                    n_due += 1
                if hi - lo >= dur:
                    jd.append(idx)
                    jr.append(lo - a)
                    jdl.append(hi - a)
                    jdu.append(dur)
                    jp.append(k + off)
            owners.append(d)
            due.append(n_due)
            starts.append(math.floor(d.start / self.slot + 1e-9) - a)
        problem = IntervalProblem(
            n_slots=self.n_slots, slot_seconds=self.slot, resource_names=self.resource_names,
            capacity=self.capacity, demand_ids=tuple(str(d.id) for d in owners),
            demand_resources=tuple(tuple(self.use(d)) for d in owners),
            demand_use=tuple(tuple(self.use(d).values()) for d in owners),
            demand_start=np.asarray(starts, dtype=np.int64),
            min_pgas=np.asarray(due, dtype=np.int64),
            job_demand=np.asarray(jd, dtype=np.int64), job_release=np.asarray(jr, np.int64),
            job_deadline=np.asarray(jdl, dtype=np.int64),
            job_duration=np.asarray(jdu, dtype=np.int64))
        return problem, owners, np.asarray(jp, dtype=np.int64)

    def advance(self, owners: list[Demand], period: np.ndarray, problem: IntervalProblem,
                starts: np.ndarray, state: dict[int, int]) -> list[int]:
        """Move each demand past the periods this interval settled: every due period
        (placed or missed) and every optional one placed.  Returns the missed counts."""
        missed = []
        for i, d in enumerate(owners):
            mine = np.flatnonzero(problem.job_demand == i)
            k = state[d.id]
            n_due = int(problem.min_pgas[i])
            settled = k + n_due
            placed = mine[starts[mine] >= 0]
            if placed.size:
                settled = max(settled, int(period[placed].max()) + 1)
            due_jobs = mine[period[mine] < k + n_due]
            missed.append(n_due - int((starts[due_jobs] >= 0).sum()))
            state[d.id] = settled
        return missed



def snapshot_problem(config: ServiceConfig) -> IntervalProblem:
    """The first interval of a busy service: every pair has a demand admitted at time 0
    (adaptive rates set for its whole expiry), scheduled in interval 0."""
    s = IntervalJobs(config)
    demands = []
    for i, cls in enumerate(s.classes):
        d = Demand(i, cls, 0.0)
        d.start = 0.0
        d.admitted = 0.0
        d.rate = (min(cls.rate, s.max_rate(d)) if cls.rate is not None else adaptive_rate(
            cls.min_packets, s.p_success[cls.pair], d.expires, config.adaptive_target,
            s.max_rate(d)))
        demands.append(d)
    problem, _, _ = s.problem(0, demands, {d.id: 0 for d in demands})
    return problem
