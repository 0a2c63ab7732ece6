"""Job-level plans carry only the switch moves their deliveries use.

When a job is ejected (all or nothing), the moves made for its deliveries must leave the
plan with them.  Checked from the plan alone, without the code that rebuilds timelines:
per source, walking deliveries and moves in time order, there is no move before the first
delivery, after the last one, or between two deliveries to the same pair, and the moves
between two deliveries to different pairs end in the second pair.  The number of
reconfigurations is then what the deliveries need: one change per pair change (two
moves at most when a change goes through an intermediate pair).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

import qdcopt
from qdcopt.datacenter import JOB_SPECS as JOBS
from qdcopt.datacenter.demand.decisions import derive_plan
from qdcopt.datacenter.export import switch_instructions
from qdcopt.datacenter.validate import validate

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = qdcopt.load_instance(ROOT / "instances" / "default.toml")
SMALL = qdcopt.load_instance(ROOT / "instances" / "jobs" / "buffer_small.toml")
# 1 MHz source, t_max = 100 ns: ghz6 cannot be fully served and is ejected after its first
# requests were scheduled (see test_jobs_selection.py)
SLOW = replace(SMALL, sources=(replace(SMALL.sources[0], period=10**9),), t_max=100 * 10**6)

METHODS = {
    "pipeline-sequential": JOBS["pipeline-sequential"],
    "pipeline-parallel": JOBS["pipeline-parallel"],
    "pipeline-retry": JOBS["pipeline-retry"],
    "admit-utilisation": JOBS["admit-utilisation"],
    "admit-lp": JOBS["admit-lp"],
    "select-milp": lambda inst: JOBS["select-milp"](inst, time_limit=20.0),
}


def _timeline_audit(instance, plan):
    """(pair changes the deliveries need, moves, moves no delivery uses) of a plan."""
    derived = derive_plan(instance, plan).instance
    req = derived.requests
    pos = req.index()
    sources = {s.id: s for s in derived.sources}
    rc = plan.reconfigurations
    changes = moves = 0
    unused: list[str] = []
    for sid, src in sources.items():
        events = sorted(
            (src.event_time(int(k)), (int(req.a[pos[r]]), int(req.b[pos[r]])))
            for r, s, k in zip(plan.delivery_request.tolist(), plan.delivery_source.tolist(),
                               plan.delivery_event.tolist(), strict=True) if s == sid)
        qidx = derived.qpu_index()
        mine = sorted((int(rc.start[j]), int(rc.end[j]),
                       tuple(sorted((qidx[str(rc.to_a[j])], qidx[str(rc.to_b[j])]))))
                      for j in range(len(rc)) if rc.source[j] == sid)
        moves += len(mine)
        if not events:
            unused += [f"{sid}: move at {m[0]} on a source that delivers nothing" for m in mine]
            continue
        times = [t for t, _ in events]
        before = [m for m in mine if m[1] <= times[0]]
        after = [m for m in mine if m[0] >= times[-1]]
        unused += [f"{sid}: move at {m[0]} before the first delivery" for m in before]
        unused += [f"{sid}: move at {m[0]} after the last delivery" for m in after]
        for (t0, p), (t1, q) in pairwise(events):
            between = [m for m in mine if t0 < m[0] and m[1] <= t1]
            if p != q:
                changes += 1
                if not between or between[-1][2] != q or len(between) > 2:
                    unused.append(f"{sid}: moves {between} between {p}@{t0} and {q}@{t1}")
            elif between:
                unused.append(f"{sid}: moves {between} between two deliveries to {p}")
    return changes, moves, unused


@pytest.mark.parametrize("name", list(METHODS))
def test_default_instance_plans_hold_only_serving_moves(name):
    plan, _ = METHODS[name](DEFAULT)
    report = validate(DEFAULT, plan)
    assert report.ok, report.violations[:3]
    changes, moves, unused = _timeline_audit(DEFAULT, plan)
    assert unused == []
    # every change on this instance is a direct one: one move per pair change
    assert report.metrics["reconfigurations"] == moves == changes
    sw = switch_instructions(DEFAULT, plan)
    assert int((sw["action"] == "reconfigure").sum()) == changes


@pytest.mark.parametrize("name", ["pipeline-parallel", "pipeline-retry"])
def test_ejected_job_leaves_no_move_behind(name):
    plan, _ = METHODS[name](SLOW)
    report = validate(SLOW, plan)
    assert report.ok, report.violations[:3]
    rejected = dict(zip(plan.job_id.tolist(), plan.job_reason.tolist(), strict=True))
    assert rejected["ghz6"] == "job-ejected"  # the case this test is about
    changes, moves, unused = _timeline_audit(SLOW, plan)
    assert unused == []
    assert changes <= moves <= 2 * changes
