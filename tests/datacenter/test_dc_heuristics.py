"""The greedy, EDF and scoring schedulers on hand-checked instances and random ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from plan_checks import irregular_instances

import qdcopt
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.validate import effective_need

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
NS = 10**6
HEURISTICS = ["greedy", "edf", "scoring", "greedy-retry"]


def accepted(plan) -> set[str]:
    return set(plan.delivery_request.tolist())


# exact accepted sets, derived by hand in the comments of each instance file
EXPECTED = {
    ("match_and_change", "greedy"): {"r1", "r2", "r4"},
    ("match_and_change", "edf"): {"r1", "r2", "r4"},
    ("memory_bound", "greedy"): {"r1"},
    ("memory_bound", "greedy-retry"): {"r1", "r2", "r3"},
    ("double_switch", "greedy"): {"r1", "r3"},
    ("double_switch", "edf"): {"r1", "r2", "r3"},
}


@pytest.mark.parametrize(("name", "method"), sorted(EXPECTED))
def test_hand_checked_accepted_sets(name, method):
    inst = qdcopt.load_instance(TINY / f"{name}.toml")
    plan, info = qdcopt.solve(inst, method)
    report = qdcopt.validate(inst, plan)
    assert report.ok, report.violations
    assert accepted(plan) == EXPECTED[(name, method)]
    assert info.objective == report.objective


def test_greedy_events_and_switch_timeline_match_the_paper_rules():
    inst = qdcopt.load_instance(TINY / "match_and_change.toml")
    plan, _ = qdcopt.solve(inst, "greedy")
    events = dict(zip(plan.delivery_request.tolist(), plan.delivery_event.tolist(), strict=True))
    # r1: first event of its window [2, 5] ns; r2: reconfiguration may start one tick
    # after event 2 ns and lasts 2 ns (one line), so event 5 ns; r4: first free event 6 ns.
    assert events == {"r1": 2, "r2": 5, "r4": 6}
    rc = plan.reconfigurations
    assert (rc.start.tolist(), rc.end.tolist()) == ([3 * NS], [5 * NS])
    assert dict(zip(plan.rejected_request.tolist(), plan.rejected_reason.tolist(),
                    strict=True)) == {"r3": "no-event"}


def test_retry_shifts_the_rest_of_the_job_by_delta():
    inst = qdcopt.load_instance(TINY / "memory_bound.toml")
    plan, _ = qdcopt.solve(inst, "greedy-retry")
    assert plan.shift_request.tolist() == ["r2", "r3"]
    assert plan.shift_delay.tolist() == [NS, NS]
    assert effective_need(inst, plan).tolist() == [5 * NS, 6 * NS, 7 * NS]
    report = qdcopt.validate(inst, plan)
    assert report.ok and report.metrics["total_job_delay_s"] == pytest.approx(2e-9)
    # a retry budget of zero is the plain greedy
    plan0, _ = qdcopt.solve(inst, "greedy-retry", max_attempts=0)
    assert accepted(plan0) == {"r1"} and len(plan0.shift_job) == 0


def test_memory_rejections_are_reported_as_memory():
    inst = qdcopt.load_instance(TINY / "memory_bound.toml")
    for method in ("greedy", "edf", "scoring"):
        plan, _ = qdcopt.solve(inst, method)
        assert set(plan.rejected_reason.tolist()) == {"memory"}, method


def test_greedy_is_event_arithmetic_not_event_walking():
    # 1 GHz, t_max = 1 ms: 10^6 events per window; two requests far apart in time.
    qpus = (Qpu("A", 10), Qpu("B", 10), Qpu("C", 10))
    src = (Source("S", NS, 0, 2 * NS, 10 * NS, (0, 1, 2)),)
    ms = 10**12
    req = Requests.from_columns(["x", "y"], ["j", "j"], [0, 0], [1, 2], [5 * ms, 9 * ms])
    inst = DatacenterInstance("far", qpus, src, ms, req)
    plan, _ = qdcopt.solve(inst, "greedy")
    assert plan.delivery_event.tolist() == [4 * 10**6, 8 * 10**6]
    assert qdcopt.validate(inst, plan).ok


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(irregular_instances())
def test_every_heuristic_plan_validates(inst):
    for method in HEURISTICS:
        plan, info = qdcopt.solve(inst, method)
        report = qdcopt.validate(inst, plan)
        assert report.ok, (method, report.violations)
        assert info.objective == report.objective
        if method != "greedy-retry":
            assert len(plan.shift_job) == 0


def test_same_instance_same_plan():
    inst = qdcopt.load_instance(TINY / "double_switch.toml")
    for method in HEURISTICS:
        p1, _ = qdcopt.solve(inst, method)
        p2, _ = qdcopt.solve(inst, method)
        for k, frame in p1.to_tables().items():
            assert frame.equals(p2.to_tables()[k])


def test_plan_round_trip_through_csv(tmp_path):
    inst = qdcopt.load_instance(TINY / "memory_bound.toml")
    plan, info = qdcopt.solve(inst, "greedy-retry")
    folder = qdcopt.save_plan(plan, tmp_path / "plan", info)
    back, info2 = qdcopt.load_plan(folder)
    for k, frame in plan.to_tables().items():
        other = back.to_tables()[k]
        assert list(frame.columns) == list(other.columns)
        assert frame.astype(str).equals(other.astype(str)), k
    assert back.initial == plan.initial
    assert info2.objective == info.objective
    assert np.array_equal(effective_need(inst, back), effective_need(inst, plan))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(irregular_instances())
def test_milp_plan_validates_and_dominates_heuristics(inst):
    plan, info = qdcopt.solve(inst, "milp", time_limit=20)
    report = qdcopt.validate(inst, plan)
    assert report.ok, report.violations
    assert info.objective == report.objective
    assert report.objective <= info.bound + 1e-9
    for method in ("greedy", "edf", "scoring"):
        other = qdcopt.validate(inst, qdcopt.solve(inst, method)[0])
        assert other.objective <= info.bound + 1e-9
        if info.status == "optimal":
            assert other.objective <= report.objective
