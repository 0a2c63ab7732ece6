"""The CP-SAT model of switch assignment against exhaustive searches, the MILP and the validator.

The model is solved without a hint and without the run-sequence search wherever its
optimum is checked, so that the model alone has to reach it.  Two exhaustive searches
serve as the reference: the one of ``test_milp_bruteforce.py`` (every assignment turned
into a plan and scored by the validator) and the one of ``test_paper_rule_bruteforce.py``
(written from the paper's switching rule alone).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from ortools.sat.python import cp_model
from test_milp_bruteforce import CASES as VALIDATOR_CASES
from test_milp_bruteforce import brute_force, tiny_instance
from test_paper_rule_bruteforce import CASES as RULE_CASES
from test_paper_rule_bruteforce import instance as rule_instance
from test_paper_rule_bruteforce import paper_optimum

from qdcopt.datacenter import SCHEDULERS
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.switch.cpsat import solve_block
from qdcopt.datacenter.switch.cpsat_model import build_block_model, hint_block, read_block
from qdcopt.datacenter.switch.data import preprocess
from qdcopt.datacenter.switch.plan import block_deliveries, plan_from_deliveries
from qdcopt.datacenter.validate import validate
from qdcopt.status import Status

NS = 10**6
ALONE = dict(warm_start=False, anneal=False, workers=1, time_limit=60)
"""The model alone: no hint, no search before it, one worker."""


def _check(inst: DatacenterInstance, optimum: int) -> None:
    plan, info = SCHEDULERS["cpsat"](inst, **ALONE)
    rep = validate(inst, plan)
    assert not rep.violations, rep.violations
    assert info.objective == rep.objective == optimum, (info, optimum)
    assert info.status == Status.OPTIMAL
    assert info.bound == optimum
    assert info.extra["cpsat_bound"] <= len(inst.requests)


@pytest.mark.parametrize("case", VALIDATOR_CASES, ids=[str(c) for c in VALIDATOR_CASES])
def test_cpsat_matches_the_validator_brute_force_and_the_milp(case: dict) -> None:
    inst = tiny_instance(**case)
    optimum = brute_force(inst)
    _check(inst, optimum)
    _, milp = SCHEDULERS["milp"](inst, time_limit=30, warm_start=False)
    assert milp.objective == optimum and milp.status == Status.OPTIMAL


@pytest.mark.parametrize("case", RULE_CASES, ids=[str(c) for c in RULE_CASES])
def test_cpsat_matches_the_search_written_from_the_paper_rule(case: dict) -> None:
    # t_double = 10 events and windows of 3-4 events: only consecutive deliveries are
    # held to the net change, and a delivery in between may bridge two disjoint pairs
    inst = rule_instance(**case)
    _check(inst, paper_optimum(inst))


def test_cpsat_follows_transit_moves_only_where_the_instance_allows_them() -> None:
    """On the first seeded instance where passing through an unserved pair serves more,
    the model keeps the paper's rule by default and uses the shorter change when the
    instance allows transit moves; the transit plan breaks exactly the paper's rule."""
    for seed in range(40):
        inst = rule_instance(100 + seed, n_req=5, horizon=14)
        paper = paper_optimum(inst)
        free = replace(inst, transit_moves=True)
        t_plan, t_info = SCHEDULERS["cpsat"](free, **ALONE)
        t_rep = validate(free, t_plan)
        assert not t_rep.violations and t_info.status == Status.OPTIMAL
        if t_rep.objective > paper:
            plan, info = SCHEDULERS["cpsat"](inst, **ALONE)
            assert validate(inst, plan).objective == paper == info.bound
            assert validate(inst, t_plan).codes() == {"A4-NET-CHANGE"}
            _, milp = SCHEDULERS["milp"](free, time_limit=30, warm_start=False)
            assert milp.objective == t_rep.objective
            return
    pytest.fail("no seeded instance where transit moves serve more")


def _hubs_and_twins() -> DatacenterInstance:
    """Hand-made: one source at 1 GHz, 2 ns / 10 ns, t_max 4 ns.  Requests a and b on
    (0, 1) needed at 5 ns (identical: events 1..5), c on (2, 3) at 7 ns (events 3..7),
    d on (0, 1) at 40 ns (events 36..40, far beyond every change: joined through the
    hubs).  (0, 1) and (2, 3) share no QPU, so consecutive deliveries to them are at
    least 11 events apart: c fits neither after a or b (at 12 or later) nor before them
    (they would come at 14 or later), so c and a, b exclude each other.  Optimum 3:
    a, b and d; {c, d} is only 2."""
    qpus = tuple(Qpu(f"Q{i}", 4) for i in range(4))
    src = (Source("S", NS, 0, 2 * NS, 10 * NS, (0, 1, 2, 3)),)
    req = Requests.from_columns(["a", "b", "c", "d"], ["j"] * 4, np.array([0, 0, 2, 0]),
                                np.array([1, 1, 3, 1]), np.array([5, 5, 7, 40]) * NS)
    return DatacenterInstance("hubs", qpus, src, 4 * NS, req)


def test_hand_computed_instance_with_twins_and_a_long_gap() -> None:
    inst = _hubs_and_twins()
    _check(inst, 3)
    plan, _ = SCHEDULERS["cpsat"](inst, **ALONE)
    served = set(plan.delivery_request.tolist())
    assert served == {"a", "b", "d"}


@pytest.mark.parametrize("kw", [dict(n_requests=120, seed=3, load=0.3),
                                dict(n_requests=80, seed=4, load=1.5, comm_qubits=2),
                                dict(n_requests=60, seed=5, n_sources=2, load=1.2)],
                         ids=["sparse", "memory", "two-sources"])
@pytest.mark.parametrize("plan_of", ["scoring", "milp"])
def test_every_valid_plan_is_a_feasible_point(kw: dict, plan_of: str) -> None:
    """A valid plan's deliveries, given as a complete hint and fixed, are a feasible
    point of the model with the plan's count: twins relabelled, long gaps through the
    hubs, memory as a cumulative, several sources."""
    inst = random_instance(**kw)
    data = preprocess(inst)
    opts = dict(time_limit=20) if plan_of == "milp" else {}
    plan, _ = SCHEDULERS[plan_of](inst, **opts)
    assert not validate(inst, plan).violations
    for block, mine in zip(data.blocks, block_deliveries(data, plan), strict=True):
        bm = build_block_model(inst, block, data.costs, inst.comm_capacity())
        relabelled = hint_block(bm, mine)
        assert len(relabelled) == len(mine)
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.num_workers = 1
        assert solver.solve(bm.model) == cp_model.OPTIMAL
        assert solver.objective_value == len(mine)
        assert sorted(read_block(solver, bm)) == sorted(relabelled)


def test_every_feasible_point_is_a_valid_plan() -> None:
    """Points the model allows, pushed around by seeded random objectives (serve some
    requests, avoid others, early or late events), lay out into plans the validator
    accepts, with the same count; the count objective reaches the rule's optimum."""
    inst = rule_instance(3, n_req=6, horizon=14)
    data = preprocess(inst)
    (block,) = data.blocks
    rng = np.random.default_rng(0)
    distinct = set()
    for trial in range(40):
        bm = build_block_model(inst, block, data.costs, inst.comm_capacity())
        nodes = [nd for part in bm.nodes for nd in part]
        if trial:
            w = rng.integers(-3, 6, len(nodes)).tolist()
            v = rng.integers(-1, 2, len(nodes)).tolist()
            bm.model.maximize(sum(wi * nd.present + vi * nd.t
                                  for wi, vi, nd in zip(w, v, nodes, strict=True)))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(bm.model) == cp_model.OPTIMAL
        deliveries = read_block(solver, bm)
        if trial == 0:
            assert len(deliveries) == paper_optimum(inst)
        plan, dropped = plan_from_deliveries(inst, "cpsat", deliveries)
        rep = validate(inst, plan)
        assert dropped == 0 and not rep.violations, (deliveries, rep.violations)
        assert rep.objective == len(deliveries)
        distinct.add(tuple(sorted(deliveries)))
    assert len(distinct) >= 10


def test_a_run_stopped_early_keeps_its_start_and_claims_a_true_bound() -> None:
    """However far CP-SAT gets in the time it has (here a very short one), the block
    keeps at least the start's deliveries and its bound is not below the optimum the
    MILP proves."""
    inst = random_instance(150, seed=1, load=1.5)
    data = preprocess(inst)
    (block,) = data.blocks
    warm, _ = SCHEDULERS["scoring"](inst)
    (start,) = block_deliveries(data, warm)
    _, milp = SCHEDULERS["milp"](inst, time_limit=60, lexicographic=False, anneal=False)
    assert milp.status == Status.OPTIMAL
    res = solve_block(inst, block, data.costs, inst.comm_capacity(), start,
                      time.perf_counter() + 0.05, workers=1, seed=0)
    assert len(res.deliveries) >= len(start)
    assert res.bound >= milp.objective
    assert res.status in (Status.OPTIMAL, Status.TIME_LIMIT)
    plan, dropped = plan_from_deliveries(inst, "cpsat", res.deliveries)
    assert dropped == 0 and not validate(inst, plan).violations


@pytest.mark.parametrize("kw", [dict(n_requests=40, seed=0),
                                dict(n_requests=40, seed=1, comm_qubits=2),
                                dict(n_requests=30, seed=3, n_sources=2, load=1.5)],
                         ids=["plain", "memory", "two-sources"])
def test_method_claims_are_honest_and_beat_every_heuristic(kw: dict) -> None:
    inst = random_instance(**kw)
    plan, info = SCHEDULERS["cpsat"](inst, time_limit=30)
    rep = validate(inst, plan)
    assert not rep.violations
    assert info.objective == rep.objective
    assert info.bound >= info.objective
    assert info.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
    assert (info.status == Status.OPTIMAL) == (info.objective >= info.bound)
    assert rep.metrics["reconfigurations"] == info.extra["reconfigurations"]
    _, milp = SCHEDULERS["milp"](inst, time_limit=30)
    # both bounds are proven: neither plan may exceed the other's bound
    assert info.objective <= milp.bound and milp.objective <= info.bound
    for name in ("greedy", "edf", "scoring"):
        h_plan, _ = SCHEDULERS[name](inst)
        assert info.objective >= validate(inst, h_plan).objective, name


def test_same_seed_and_one_worker_give_the_same_plan() -> None:
    inst = random_instance(30, seed=0, n_qpus=4, load=1.5)
    runs = [SCHEDULERS["cpsat"](inst, warm_start=False, anneal=False, workers=1, seed=7,
                                time_limit=60) for _ in range(2)]
    (p1, i1), (p2, i2) = runs
    assert i1.status == i2.status == Status.OPTIMAL
    for name, table in p1.to_tables().items():
        assert table.equals(p2.to_tables()[name]), name
    assert (i1.objective, i1.bound) == (i2.objective, i2.bound)


def test_options_are_typed() -> None:
    from qdcopt.params import OptionError

    inst = _hubs_and_twins()
    with pytest.raises(OptionError, match="workers"):
        SCHEDULERS["cpsat"](inst, workers=0)
    with pytest.raises(OptionError, match="seed"):
        SCHEDULERS["cpsat"](inst, seed=-1)
    with pytest.raises(OptionError):
        SCHEDULERS["cpsat"](inst, builder="arrays")
