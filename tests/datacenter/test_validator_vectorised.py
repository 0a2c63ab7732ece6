"""The validator's array rules give the reports of the request-by-request replay.

``validator_reference`` is the validator as it was before its rules became array
operations.  Plans made by the heuristics on irregular instances are broken in random
ways (ids the instance lacks, events off the grid or used twice, switch timelines that do
not hold, shifts of the wrong job, unknown reasons, ids that are equal strings but other
objects, as a plan read from files holds), and both validators must word the same
violations in the same order and compute the same metrics.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import validator_reference as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_checks import NS, generated_instances, irregular_instances

from qdcopt.datacenter.heuristics import HEURISTICS
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.schedulers import SCHEDULERS
from qdcopt.datacenter.validate import effective_need, net_change_breaks, validate


def _copy(value: object) -> object:
    """An equal string that is another object (as a plan read from files holds)."""
    return "".join(list(value)) if isinstance(value, str) else value


def _same_metrics(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y or type(x) is not type(y):
            return False
    return True


def assert_same_reports(instance, plan):
    new = validate(instance, plan)
    old = reference.validate(instance, plan)
    assert [(v.code, v.message, v.event) for v in new.violations] == [
        (v.code, v.message, v.event) for v in old.violations]
    assert new.objective == old.objective
    assert _same_metrics(new.metrics, old.metrics), (new.metrics, old.metrics)
    assert np.array_equal(effective_need(instance, plan), reference.effective_need(instance,
                                                                                    plan))
    rows = plan.delivery_request
    assert net_change_breaks(instance, rows, plan.delivery_source, plan.delivery_event) == (
        reference.net_change_breaks(instance, rows, plan.delivery_source,
                                    plan.delivery_event))
    return new


INSTANCES = irregular_instances(max_qpus=5, max_sources=3, max_requests=30, horizon=30)


@st.composite
def broken_plans(draw, instances=INSTANCES):
    """An instance and a heuristic's plan for it, broken in a few random ways."""
    inst = draw(instances)
    method = draw(st.sampled_from(sorted(HEURISTICS)))
    plan, _ = SCHEDULERS[method](inst, compiled=draw(st.booleans()))
    ids = inst.requests.id.tolist()
    sources = [s.id for s in inst.sources]
    qpus = [q.id for q in inst.qpus]
    some_request = st.sampled_from([*ids, "zz"]) if ids else st.just("zz")
    some_source = st.sampled_from([*sources, "X"])
    some_qpu = st.sampled_from([*qpus, "", "QX"])
    tick = st.integers(-2, 40).map(lambda k: k * NS)

    d_req = plan.delivery_request.tolist()
    d_src = plan.delivery_source.tolist()
    d_evt = plan.delivery_event.tolist()
    for _ in range(draw(st.integers(0, 3))):
        if not d_req:
            break
        j = draw(st.integers(0, len(d_req) - 1))
        change = draw(st.sampled_from(["event", "source", "request", "twice", "drop"]))
        if change == "event":
            d_evt[j] = draw(st.integers(-2, -1) | st.integers(0, 40))
        elif change == "source":
            d_src[j] = draw(some_source)
        elif change == "request":
            d_req[j] = draw(some_request)
        elif change == "twice":
            d_req.append(d_req[j])
            d_src.append(d_src[j])
            d_evt.append(d_evt[j])
        else:
            del d_req[j], d_src[j], d_evt[j]
    r_req = plan.rejected_request.tolist()
    r_why = plan.rejected_reason.tolist()
    for _ in range(draw(st.integers(0, 2))):
        r_req.append(draw(some_request))
        r_why.append(draw(st.sampled_from(["no-event", "memory", "bored"])))
    rc = {k: v.tolist() for k, v in plan.reconfigurations.columns().items()}
    for _ in range(draw(st.integers(0, 3))):
        change = draw(st.sampled_from(["add", "drop", "time"]))
        if change == "add" or not rc["source"]:
            start = draw(tick)
            row = (draw(some_source), start, start + draw(st.integers(-1, 12)) * NS,
                   draw(some_qpu), draw(some_qpu), draw(some_qpu), draw(some_qpu))
            for key, value in zip(rc, row, strict=True):
                rc[key].append(value)
        elif change == "drop":
            j = draw(st.integers(0, len(rc["source"]) - 1))
            for key in rc:
                del rc[key][j]
        else:
            j = draw(st.integers(0, len(rc["source"]) - 1))
            rc["start"][j] += draw(st.integers(-3, 3)) * NS
    initial = dict(plan.initial)
    if draw(st.booleans()):
        source = draw(some_source)
        initial[source] = draw(st.none() | st.tuples(some_qpu, some_qpu))
    shifts = ([], [], [])
    for _ in range(draw(st.integers(0, 2))):
        shifts[0].append(draw(st.sampled_from(["j0", "j1", "jx"])))
        shifts[1].append(draw(some_request))
        shifts[2].append(draw(st.integers(-1, 3)) * NS)
    if draw(st.booleans()):  # equal strings, other objects: looked up by value
        d_req, d_src, r_req = ([_copy(x) for x in col] for col in (d_req, d_src, r_req))
        rc = {k: [_copy(x) for x in v] for k, v in rc.items()}
    broken = DatacenterPlan.build(plan.method, initial=initial, reconf=rc,
                                  deliveries=(d_req, d_src, d_evt), rejected=(r_req, r_why),
                                  shifts=shifts)
    return inst, broken


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_plans())
def test_broken_plans_get_the_reference_report(case):
    assert_same_reports(*case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_plans(irregular_instances(max_qpus=4, max_sources=2, max_requests=20,
                                        horizon=20)).map(
    lambda case: (replace(case[0], transit_moves=True), case[1])))
def test_broken_plans_with_transit_moves_get_the_reference_report(case):
    assert_same_reports(*case)


@settings(max_examples=40, deadline=None)
@given(generated_instances(), st.sampled_from(sorted(HEURISTICS)))
def test_heuristic_plans_get_the_reference_report(inst, method):
    plan, _ = SCHEDULERS[method](inst, compiled=True)
    assert assert_same_reports(inst, plan).ok


def test_a_large_plan_of_every_heuristic_gets_the_reference_report():
    # above the size from which the look-ups keep their tables and try nearby entries
    inst = random_instance(12_000, n_qpus=6, t_max="20 ns", comm_qubits=2, n_sources=2,
                           seed=4)
    for method in sorted(HEURISTICS):
        plan, _ = HEURISTICS[method](inst)
        report = assert_same_reports(inst, plan)
        assert report.ok and report.metrics["accepted"] > 0
    # the same plan with every id a new object: the look-up by value
    plan, _ = HEURISTICS["greedy-retry"](inst)
    cols = {k: np.array([_copy(x) for x in v.tolist()], dtype=object)
            for k, v in plan.reconfigurations.columns().items() if v.dtype == object}
    copied = DatacenterPlan.build(
        plan.method, initial=plan.initial,
        reconf={**plan.reconfigurations.columns(), **cols},
        deliveries=([_copy(x) for x in plan.delivery_request.tolist()],
                    [_copy(x) for x in plan.delivery_source.tolist()], plan.delivery_event),
        rejected=([_copy(x) for x in plan.rejected_request.tolist()],
                  [_copy(x) for x in plan.rejected_reason.tolist()]),
        shifts=([_copy(x) for x in plan.shift_job.tolist()],
                [_copy(x) for x in plan.shift_request.tolist()], plan.shift_delay))
    assert assert_same_reports(inst, copied).ok


def test_many_violations_are_counted_beyond_the_listed_ones():
    inst = random_instance(3000, n_qpus=4, t_max="20 ns", seed=2)
    plan, _ = HEURISTICS["greedy"](inst)
    # every rejection dropped: thousands of A1-UNACCOUNTED, only the first listed
    unaccounted = replace(plan, rejected_request=plan.rejected_request[:0],
                          rejected_reason=plan.rejected_reason[:0])
    report = assert_same_reports(inst, unaccounted)
    assert report.metrics["violations_by_code"]["A1-UNACCOUNTED"] > 1000
