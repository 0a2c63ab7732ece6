"""Rule 7: a valid job-level plan broken in exactly one way is caught with that code.

Fixture: ``instances/jobs/buffer_small.toml`` (four QPUs A-D of two data qubits, one
1 GHz source, t_max = 1 us; jobs ghz4 → 1 request on two QPUs, ghz6 → 2 requests on
three, ghz2 → none on one, ghz10 larger than the datacenter).  The base plan runs ghz4
on A B from 0, ghz6 on A B C from 225 ns (when ghz4 has ended), ghz2 on D from 0, and
rejects ghz10 as too large; every request is served.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import qdcopt
from qdcopt.datacenter import JOB_SPECS as JOBS
from qdcopt.datacenter.jobs.candidates import JobDecision
from qdcopt.datacenter.jobs.pipeline import schedule_decisions
from qdcopt.datacenter.plan import plan_from_tables
from qdcopt.datacenter.validate import RULES, validate

ROOT = Path(__file__).resolve().parents[2]
INST = qdcopt.load_instance(ROOT / "instances" / "jobs" / "buffer_small.toml")
NS = 10**6
BASE, _ = JOBS["pipeline-parallel"](INST)


def _edit(plan, fn):
    tables = {k: v.copy() for k, v in plan.to_tables().items()}
    fn(tables)
    return plan_from_tables(tables, {"method": "edited"}, Path("."))


def _decided(rows):
    """A plan scheduled by the greedy for hand-written decisions (QPU indices)."""
    decisions = [JobDecision(*r) for r in rows]
    plan, _, _ = schedule_decisions(INST, decisions, "greedy", "hand", {})
    return plan


def test_base_plan_is_valid_with_job_metrics():
    report = validate(INST, BASE)
    assert report.ok, report.violations
    assert report.objective == 3  # 1 + 2 requests
    jobs = BASE.to_tables()["jobs"].set_index("job")
    assert jobs.loc["ghz6", "start"] == 225 * NS and jobs.loc["ghz6", "qpus"] == "A B C"
    assert jobs.loc["ghz10", "reason"] == "too-large"
    m = report.metrics
    assert m["jobs_accepted"] == 3 and m["qubits_used"] == 12
    assert m["job_makespan_s"] == pytest.approx(610e-9)  # ghz6 runs 385 ns from 225 ns


def _set(tables, job, **values):
    t = tables["jobs"]
    for k, v in values.items():
        t.loc[t["job"] == job, k] = v


def _reject_one_of_ghz6(tables):
    d = tables["deliveries"]
    rid = d.loc[d["request"].str.startswith("ghz6")].iloc[0]["request"]
    tables["deliveries"] = d[d["request"] != rid]
    tables["rejected"] = pd.concat([tables["rejected"],
                                    pd.DataFrame({"request": [rid], "reason": ["no-event"]})])


EARLY_INST = replace(INST, job_specs=(replace(INST.job_specs[0], start=100 * NS),
                                      *INST.job_specs[1:]))

BROKEN = {
    "A7-UNKNOWN-JOB": (INST, lambda: _edit(BASE, lambda t: t.__setitem__("jobs", pd.concat([
        t["jobs"], pd.DataFrame({"job": ["zz"], "accepted": [0], "qpus": [""], "start": [0],
                                 "candidate": [""], "reason": ["not-selected"]})])))),
    "A7-UNKNOWN-QPU": (INST, lambda: _edit(BASE, lambda t: _set(t, "ghz10", qpus="Z"))),
    # ghz4 squeezed onto QPU D alone: 4 qubits on 2 data qubits (all its gates are local)
    "A7-CAPACITY": (INST, lambda: _decided([("ghz4", True, (3,), 0), ("ghz6", True, (0, 1, 2), 0),
                                            ("ghz2", False, (), 0), ("ghz10", False, (), 0)])),
    # ghz4 arrives at 100 ns but is planned from 0
    "A7-EARLY": (EARLY_INST, lambda: _edit(BASE, lambda t: None)),
    "A7-PARTIAL-JOB": (INST, lambda: _edit(BASE, _reject_one_of_ghz6)),
    # ghz4 on A B and ghz6 on A B C, both from 0
    "A7-EXCLUSIVE": (INST, lambda: _decided([("ghz4", True, (0, 1), 0),
                                             ("ghz6", True, (0, 1, 2), 0),
                                             ("ghz2", True, (3,), 0), ("ghz10", False, (), 0)])),
    "A7-REASON": (INST, lambda: _edit(BASE, lambda t: _set(t, "ghz10", reason="bored"))),
    # ghz2 has no requests: started 1 fs before the 1000 s limit, only its end is wrong
    "A7-HORIZON": (INST, lambda: _edit(BASE, lambda t: _set(t, "ghz2", start=10**18 - 1))),
}


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_each_rule7_code_is_caught_alone(code):
    instance, make = BROKEN[code]
    report = validate(instance, make())
    assert report.codes() == {code}, report.violations


def test_every_rule7_code_has_a_breaking_test():
    assert {c for c, r in RULES.items() if r == 7} == set(BROKEN)


def test_rejected_job_with_deliveries_is_partial():
    plan = _edit(BASE, lambda t: _set(t, "ghz6", accepted=0, reason="not-selected"))
    assert validate(INST, plan).codes() == {"A7-PARTIAL-JOB"}


def test_job_table_round_trips_and_old_plans_load(tmp_path):
    from qdcopt.api import load_plan, save_plan

    save_plan(BASE, tmp_path / "plan")
    back, _ = load_plan(tmp_path / "plan")
    assert back.job_id.tolist() == BASE.job_id.tolist()
    assert back.job_start.tolist() == BASE.job_start.tolist()
    assert back.job_reason.tolist() == BASE.job_reason.tolist()
    assert validate(INST, back).ok
    # tables without the jobs table (plans written before job decisions existed) load as a
    # plain plan
    tables = {k: v for k, v in BASE.to_tables().items() if k != "jobs"}
    old = plan_from_tables(tables, {"method": "old"}, tmp_path)
    assert not old.is_job_level and not old.changes_demand
