"""Ejecting a job keeps the plan valid under the paper's switching rule.

Job Y needs A-B at 1 ns and C-D at 7 ns; job X needs B-C at 4 ns (served) and A-B at
9 ns (rejected).  The switch walks A-B → B-C → C-D with two one-line moves, X's B-C
delivery standing between Y's disjoint pairs.  Ejecting X removes that delivery, and
C-D 6 ns after A-B breaks the paper's rule (10 ns for a two-line change): Y must go too.
With transit moves the walk through B-C stays valid without serving it, and Y stays.
"""

from __future__ import annotations

from dataclasses import replace

from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.jobs.candidates import enforce_all_or_nothing
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.validate import validate

NS = 10**6


def _case() -> tuple[DatacenterInstance, DatacenterPlan]:
    qpus = tuple(Qpu(n, 4) for n in "ABCD")
    src = Source("S", NS, 0, 2 * NS, 10 * NS, (0, 1, 2, 3))
    req = Requests.from_columns(["y1", "x1", "y2", "x2"], ["Y", "X", "Y", "X"],
                                [0, 1, 2, 0], [1, 2, 3, 1], [1 * NS, 4 * NS, 7 * NS, 9 * NS])
    inst = DatacenterInstance("bridge", qpus, (src,), 2 * NS, req)
    reconf = {"source": ["S", "S"], "start": [2 * NS, 5 * NS], "end": [4 * NS, 7 * NS],
              "from_a": ["A", "B"], "from_b": ["B", "C"], "to_a": ["B", "C"],
              "to_b": ["C", "D"]}
    plan = DatacenterPlan.build("hand", initial={"S": ("A", "B")}, reconf=reconf,
                                deliveries=(["y1", "x1", "y2"], ["S"] * 3, [1, 4, 7]),
                                rejected=(["x2"], ["no-event"]))
    return inst, plan


def test_a_bridge_of_an_ejected_job_takes_the_jobs_it_joined_with_it() -> None:
    inst, plan = _case()
    assert validate(inst, plan).ok
    out, ejected = enforce_all_or_nothing(plan, inst)
    assert ejected == ["X", "Y"]
    assert len(out.delivery_request) == 0
    rep = validate(inst, out)
    assert rep.ok, rep.violations


def test_with_transit_moves_only_the_failed_job_goes() -> None:
    inst, plan = _case()
    inst = replace(inst, transit_moves=True)
    out, ejected = enforce_all_or_nothing(plan, inst)
    assert ejected == ["X"]
    assert sorted(out.delivery_request.tolist()) == ["y1", "y2"]
    rep = validate(inst, out)
    assert rep.ok and rep.objective == 2, rep.violations
