"""Family-A pictures: the switch Gantt and the memory of each QPU."""

from __future__ import annotations

import numpy as np
import pytest

import qdcopt
from qdcopt.plotting import subplots
from qdcopt.plotting.datacenter import memory_occupancy, occupancy, switch_gantt
from qdcopt.plotting.figures import find


def _x_spans(coll) -> list[tuple[float, float]]:
    return [(float(p.vertices[:, 0].min()), float(p.vertices[:, 0].max()))
            for p in coll.get_paths()]


def test_gantt_has_one_artist_item_per_delivery_request_rejection_and_move(datacenter_default):
    inst, plan = datacenter_default
    ax = switch_gantt(inst, plan)
    assert len(find(ax, "deliveries").get_paths()) == plan.n_accepted == 167
    assert len(find(ax, "windows").get_paths()) == len(inst.requests)
    assert len(find(ax, "reconfiguring").get_paths()) == len(plan.reconfigurations)
    rejected = find(ax, "rejected").get_offsets()
    assert len(rejected) == len(plan.rejected_request) > 0
    # every window is t_max long and ends at its request's need time (µs on this plan)
    spans = np.array(_x_spans(find(ax, "windows")))
    assert np.allclose(spans[:, 1] - spans[:, 0], inst.t_max * 1e-9)
    assert np.allclose(np.sort(spans[:, 1]), np.sort(inst.requests.t_need * 1e-9))
    # rejected requests are marked at their need times
    index = inst.requests.index()
    need = sorted(inst.requests.t_need[index[r]] * 1e-9 for r in plan.rejected_request)
    assert np.allclose(sorted(rejected[:, 0]), need)


def test_gantt_draws_the_switch_timeline_of_the_tiny_plan(datacenter_tiny):
    inst, plan = datacenter_tiny
    ax = switch_gantt(inst, plan)
    src = inst.sources[0]
    times = sorted((src.start + k * src.period) * 1e-6 for k in plan.delivery_event)  # ns
    ticks = sorted(float(p.vertices[0, 0]) for p in find(ax, "deliveries").get_paths())
    assert np.allclose(ticks, times)
    moves = sorted(_x_spans(find(ax, "reconfiguring")))
    rc = plan.reconfigurations
    assert np.allclose(moves, sorted(zip(rc.start * 1e-6, rc.end * 1e-6, strict=True)))
    # the switch is set to a pair from the end of each move until the next one starts
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["A-B", "A-C", "C-D"]
    configured = find(ax, "configured").get_paths()
    rows = {round(float(p.vertices[:, 1].mean())): (float(p.vertices[:, 0].min()),
                                                   float(p.vertices[:, 0].max()))
            for p in configured}
    assert rows[0] == pytest.approx((0.0, rc.start[0] * 1e-6))
    assert rows[1][0] == pytest.approx(rc.end[0] * 1e-6)
    assert ax.get_xlabel() == "time (ns)"


def test_gantt_of_one_source_and_a_given_axes(datacenter_tiny):
    inst, plan = datacenter_tiny
    fig, ax = subplots()
    assert switch_gantt(inst, plan, source=inst.sources[0].id, ax=ax) is ax
    assert ax.figure is fig
    with pytest.raises(ValueError, match="source 'nope' is not in the instance"):
        switch_gantt(inst, plan, source="nope")


def test_memory_bands_peak_at_the_validators_peak(datacenter_default):
    inst, plan = datacenter_default
    peak = qdcopt.validate(inst, plan).metrics["peak_stored_pairs"]
    ax = memory_occupancy(inst, plan)
    for k, q in enumerate(inst.qpus):
        band = find(ax, f"memory {q.id}")
        top = float(band.get_xy()[:, 1].min())  # the y axis is inverted: the top is least
        assert top == pytest.approx(k + 0.9 - 0.85 * peak[q.id] / q.comm_qubits)
    levels = occupancy(inst, plan)
    assert [int(lv.max()) for _, lv in levels] == [peak[q.id] for q in inst.qpus]


def test_memory_of_the_tiny_plan_steps_at_deliveries_and_need_times(datacenter_tiny):
    inst, plan = datacenter_tiny
    times, levels = occupancy(inst, plan)[inst.qpu_index()["A"]]
    # A holds the pair of r1 (A-B) and then of r2 (A-C): up at each delivery, never 0 in
    # between, and back to 0 one tick after the last need time
    assert levels.max() == 2 and levels[-1] == 0
    assert times[-1] == int(inst.requests.t_need.max()) + 1
    ax = memory_occupancy(inst, plan, ax=subplots()[1])
    assert len([p for p in ax.patches if p.get_label().startswith("memory ")]) == inst.n_qpus


def test_each_request_is_drawn_with_exactly_one_source():
    from qdcopt.datacenter.scenarios.generate import random_instance

    inst = random_instance(60, n_qpus=4, n_sources=2, seed=1, comm_qubits=2)
    plan, _ = qdcopt.solve(inst, "edf")
    per_source = [switch_gantt(inst, plan, source=s.id) for s in inst.sources]
    assert {str(s) for s in plan.delivery_source} == {"S0", "S1"}
    for label, total in (("deliveries", plan.n_accepted), ("windows", len(inst.requests)),
                         ("reconfiguring", len(plan.reconfigurations))):
        assert sum(len(find(ax, label).get_paths()) for ax in per_source) == total
    assert sum(len(find(ax, "rejected").get_offsets()) for ax in per_source) == len(
        plan.rejected_request)
    labels = [t.get_text() for t in switch_gantt(inst, plan).get_yticklabels()]
    assert labels[0].startswith("S0 · ") and labels[-1].startswith("S1 · ")
