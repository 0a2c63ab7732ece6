"""The MILP on seeded random instances: plans validate, claims are honest, MILP ≥ heuristics,
and the pyomo and array builders reach the same optimum."""

from __future__ import annotations

import pytest

from qdcopt.datacenter import SCHEDULERS as METHODS
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.switch.data import preprocess
from qdcopt.datacenter.validate import validate

SUITE = [
    dict(n_requests=40, seed=0),
    dict(n_requests=40, seed=1, comm_qubits=2),
    dict(n_requests=40, seed=2, n_qpus=4, t_max="50 ns", load=1.2),
    dict(n_requests=30, seed=3, n_sources=2, load=1.5),
    dict(n_requests=30, seed=4, rate="1 MHz", t_max="3 us", layer="500 ns"),
    dict(n_requests=40, seed=5, comm_qubits=1, t_max="200 ns"),
]


@pytest.mark.parametrize("kw", SUITE, ids=[str(k) for k in SUITE])
def test_milp_at_least_every_heuristic(kw: dict) -> None:
    inst = random_instance(**kw)
    plan, info = METHODS["milp"](inst, time_limit=20)
    rep = validate(inst, plan)
    assert not rep.violations, rep.violations[:3]
    assert info.objective == rep.objective
    assert info.bound >= info.objective
    assert rep.metrics["reconfigurations"] == info.extra["reconfigurations"]
    for name, fn in METHODS.items():
        if name in ("greedy-retry", "milp", "milp-lp"):
            continue
        hplan, _ = fn(inst)
        hrep = validate(inst, hplan)
        assert not hrep.violations
        assert info.objective >= hrep.objective, name
        assert info.bound >= hrep.objective, name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pyomo_and_arrays_reach_the_same_optimum(seed: int) -> None:
    inst = random_instance(25, seed=seed, n_qpus=4, comm_qubits=2 if seed == 1 else None)
    results = {}
    for builder in ("pyomo", "arrays"):
        plan, info = METHODS["milp"](inst, time_limit=30, builder=builder, warm_start=False,
                                     lexicographic=False)
        rep = validate(inst, plan)
        assert not rep.violations
        assert info.status == "optimal"
        results[builder] = (info.objective, info.bound)
    assert results["pyomo"] == results["arrays"]


def test_lp_bound_method_is_a_bound() -> None:
    inst = random_instance(60, seed=7, comm_qubits=2)
    _, lp = METHODS["milp-lp"](inst)
    _, mip = METHODS["milp"](inst, time_limit=20)
    assert lp.bound >= mip.bound >= mip.objective
    assert lp.objective <= mip.objective


def test_generator_is_seeded() -> None:
    a = random_instance(200, seed=3, comm_qubits=2)
    b = random_instance(200, seed=3, comm_qubits=2)
    c = random_instance(200, seed=4, comm_qubits=2)
    assert (a.requests.t_need == b.requests.t_need).all()
    assert (a.requests.a == b.requests.a).all() and (a.requests.b == b.requests.b).all()
    assert not ((a.requests.a == c.requests.a).all() and (a.requests.b == c.requests.b).all())
    assert len(a.requests) == 200 and a.qpus[0].comm_qubits == 2


def test_default_instances_have_exact_costs() -> None:
    # 2 ns / 10 ns at 1 GHz and 1 MHz: the slot formulation is exact there.
    for rate in ("1 GHz", "1 MHz"):
        assert preprocess(random_instance(10, rate=rate)).exact


@pytest.mark.parametrize("kw", SUITE[:5], ids=[str(k) for k in SUITE[:5]])
def test_heuristic_plans_map_to_feasible_points(kw: dict) -> None:
    # Every valid plan is a feasible point of the slot model with the same count: the
    # model is a relaxation of the event-level problem (and, with the layout, exact).
    import numpy as np

    from qdcopt.datacenter.switch.model import build_slot_model
    from qdcopt.datacenter.switch.plan import block_deliveries, complete_start

    inst = random_instance(**kw)
    data = preprocess(inst)
    for name in ("greedy", "edf", "scoring"):
        if name not in METHODS:
            continue
        plan, _ = METHODS[name](inst)
        served = 0.0
        parts = block_deliveries(data, plan)
        for b, block in enumerate(data.blocks):
            spec, idx = build_slot_model(block, data.costs, inst.comm_capacity())
            x = complete_start(data, b, idx, spec.n_cols, data.costs, parts[b])
            assert x is not None
            assert spec.violation(x) <= 1e-6, name
            served += float(np.asarray(spec.col_cost) @ x)
        assert served == validate(inst, plan).objective
