"""The MILP against a brute-force enumeration of plans scored by the validator.

Tiny seeded instances (≤ 7 requests, windows of a few events): every assignment of
requests to (source, event) is enumerated, turned into a plan with every switch change
that can fit between consecutive deliveries (direct, or through one intermediate pair),
and the plan is scored by the validator.  The MILP must reach the best score, claim
exactly its validated objective, and claim a bound that is not below it.  The validator
applies the paper's switching rule (these instances do not allow transit moves), so a
plan changing through an intermediate pair it does not serve scores nothing; the search
written from that rule alone is ``test_paper_rule_bruteforce.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qdcopt.datacenter import SCHEDULERS
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.switch.bounds import interval_bound, pair_bound, stretch_bound
from qdcopt.datacenter.switch.data import preprocess
from qdcopt.datacenter.validate import validate

NS = 10**6


def tiny_instance(seed: int, *, n_req: int = 6, n_qpus: int = 4, n_sources: int = 1,
                  comm: int | None = None, t_max: int = 3 * NS, t_single: int = 2 * NS,
                  t_double: int = 10 * NS, period: int = NS,
                  horizon: int = 8) -> DatacenterInstance:
    rng = np.random.default_rng(seed)
    qpus = tuple(Qpu(f"Q{i}", 4, comm) for i in range(n_qpus))
    sources = []
    for s in range(n_sources):
        ports = tuple(range(n_qpus)) if s == 0 else tuple(
            sorted(rng.choice(n_qpus, size=3, replace=False).tolist()))
        sources.append(Source(f"S{s}", period, start=s * period // 2, t_single=t_single,
                              t_double=t_double, ports=ports))
    a = rng.integers(0, n_qpus, n_req)
    b = (a + rng.integers(1, n_qpus, n_req)) % n_qpus
    t = rng.integers(t_max // period, horizon, n_req) * period
    req = Requests.from_columns([f"r{i}" for i in range(n_req)], ["j"] * n_req, a, b, t)
    return DatacenterInstance(name=f"tiny{seed}", qpus=qpus, sources=tuple(sources),
                              t_max=t_max, requests=req)


def _chains(src: Source, p: tuple[int, int], q: tuple[int, int], room: int):
    """Every chain of at most two changes from p to q that fits in room ticks."""
    out = []
    if src.reconfiguration_time(p, q) <= room:
        out.append([(p, q, src.reconfiguration_time(p, q))])
    ports = src.ports
    for x, y in itertools.combinations(ports, 2):
        mid = (x, y)
        if mid in (p, q):
            continue
        d = src.reconfiguration_time(p, mid) + src.reconfiguration_time(mid, q)
        if d <= room:
            out.append([(p, mid, src.reconfiguration_time(p, mid)),
                        (mid, q, src.reconfiguration_time(mid, q))])
    return out


def _plan(inst: DatacenterInstance, chosen: dict[int, tuple[int, int]]) -> DatacenterPlan | None:
    req = inst.requests
    names = [q.id for q in inst.qpus]
    rc = {k: [] for k in ("source", "start", "end", "from_a", "from_b", "to_a", "to_b")}
    initial = {s.id: None for s in inst.sources}
    for si, src in enumerate(inst.sources):
        mine = sorted((k, r) for r, (s, k) in chosen.items() if s == si)
        state, last = None, None
        for k, r in mine:
            t = src.event_time(k)
            want = (int(req.a[r]), int(req.b[r]))
            if state is None:
                initial[src.id] = (names[want[0]], names[want[1]])
            elif want != state:
                options = _chains(src, state, want, t - last - 1)
                if not options:
                    return None
                begin = last + 1
                for old, new, dur in options[0]:
                    rc["source"].append(src.id)
                    rc["start"].append(begin)
                    rc["end"].append(begin + dur)
                    rc["from_a"].append(names[old[0]])
                    rc["from_b"].append(names[old[1]])
                    rc["to_a"].append(names[new[0]])
                    rc["to_b"].append(names[new[1]])
                    begin += dur
            state, last = want, t
    served = set(chosen)
    rej = [req.id[r] for r in range(len(req)) if r not in served]
    return DatacenterPlan.build(
        "brute", initial=initial, reconf=rc,
        deliveries=([req.id[r] for r in chosen], [inst.sources[s].id for s, _ in chosen.values()],
                    [k for _, k in chosen.values()]),
        rejected=(rej, ["not-selected"] * len(rej)))


def brute_force(inst: DatacenterInstance) -> int:
    """Largest validated objective over all assignments."""
    req = inst.requests
    options = []
    for r in range(len(req)):
        opts = []
        for si, src in enumerate(inst.sources):
            if req.a[r] not in src.ports or req.b[r] not in src.ports:
                continue
            k0 = src.first_event_at_or_after(int(req.t_need[r]) - inst.t_max)
            k1 = src.last_event_at_or_before(int(req.t_need[r]))
            opts.extend((si, k) for k in range(k0, k1 + 1))
        options.append(opts)
    best = 0
    n = len(req)
    for size in range(n, 0, -1):
        for subset in itertools.combinations(range(n), size):
            if any(not options[r] for r in subset):
                continue
            for combo in itertools.product(*(options[r] for r in subset)):
                if len(set(combo)) < len(combo):
                    continue
                plan = _plan(inst, dict(zip(subset, combo, strict=True)))
                if plan is None:
                    continue
                rep = validate(inst, plan)
                if not rep.violations:
                    return int(rep.objective)
    return best


CASES = [
    dict(seed=s) for s in range(6)
] + [
    dict(seed=10 + s, comm=1) for s in range(4)
] + [
    dict(seed=20 + s, n_sources=2, n_req=6) for s in range(3)
] + [
    dict(seed=30 + s, t_single=int(1.5 * NS), t_double=4 * NS) for s in range(3)
] + [
    dict(seed=40 + s, n_qpus=5, n_req=7, t_max=2 * NS) for s in range(2)
]


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_milp_matches_brute_force(case: dict) -> None:
    inst = tiny_instance(**case)
    opt = brute_force(inst)
    plan, info = SCHEDULERS["milp"](inst, time_limit=30, builder="arrays", warm_start=False)
    rep = validate(inst, plan)
    assert not rep.violations, rep.violations
    assert info.objective == rep.objective
    assert info.bound >= opt
    assert rep.objective == opt, (rep.objective, opt, info)
    data = preprocess(inst)
    costs = tuple(c if c.subadditive else c.relaxed() for c in data.costs)
    assert sum(pair_bound(b, costs) for b in data.blocks) >= opt
    assert sum(interval_bound(b, costs, lengths=(1, 2)) for b in data.blocks) >= opt
    if preprocess(inst).exact:
        assert info.bound == opt


# windows of 2 events over a horizon of 10: blocks span several windows, so the
# stretch bound is computed (not skipped) and has short stretches to cut
STRETCH_CASES = [dict(seed=70 + s, t_max=NS, horizon=10, n_req=7) for s in range(8)]


def test_stretch_bound_is_never_below_the_brute_force_optimum() -> None:
    informative = 0
    for case in STRETCH_CASES:
        inst = tiny_instance(**case)
        opt = brute_force(inst)
        data = preprocess(inst)
        costs = tuple(c if c.subadditive else c.relaxed() for c in data.costs)
        bound = sum(stretch_bound(b, costs, lengths=(1, 2, 3)) for b in data.blocks)
        assert bound >= opt, (case, bound, opt)
        informative += bound < sum(len(b.requests) for b in data.blocks)
    assert informative >= 2  # the suite exercises it where it says something
