"""Job selection, the paper-000 pipeline and admission control on real circuits and HiGHS.

Hand-checkable buffer ``instances/jobs/buffer_small.toml`` (see its header):

* candidate QPU sets: ghz4 → {A,B} and {C,D} (disjoint sets, Phase-B rule); ghz6 →
  {A,B,C} only (after it one QPU is left); ghz2 → {A}, {B}, {C}, {D}; ghz10 → none.
* without start delays ghz4 and ghz6 exclude each other (they would need 5 QPUs):
  - most requests: ghz6 (2) + ghz2 → 2 requests, 2 jobs;
  - most jobs: ghz4 + ghz2 or ghz6 + ghz2 (2 jobs each), tie broken by fewer requests
    → ghz4 + ghz2 (1 request);
  - most qubits: ghz6 + ghz2 → 8 qubits.
* with one delay step (δ = the job's runtime) ghz4 and ghz6 run one after the other:
  3 requests, 3 jobs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import qdcopt
from qdcopt.datacenter import JOB_SPECS as JOBS
from qdcopt.datacenter.jobs.buffers import random_buffer
from qdcopt.datacenter.jobs.candidates import job_candidates
from qdcopt.datacenter.jobs.pipeline import scheduler_by_name
from qdcopt.datacenter.validate import validate
from qdcopt.errors import InstanceError
from qdcopt.params import OptionError

ROOT = Path(__file__).resolve().parents[2]
SMALL = qdcopt.load_instance(ROOT / "instances" / "jobs" / "buffer_small.toml")


def _accepted(plan):
    return {j for j, a in zip(plan.job_id.tolist(), plan.job_accepted.tolist(), strict=True)
            if a}


def test_buffer_keeps_jobs_and_drops_the_oversized_one():
    assert [s.id for s in SMALL.job_specs] == ["ghz4", "ghz6", "ghz2", "ghz10"]
    assert sorted(set(SMALL.requests.job.tolist())) == ["ghz4", "ghz6"]
    cands = job_candidates(SMALL, max_delays=1)
    sets = {cs[0].job: [c.name for c in cs] for cs in cands.candidates if cs}
    assert sets == {"ghz4": ["A+B@d0", "C+D@d0"], "ghz6": ["A+B+C@d0"],
                    "ghz2": ["A@d0", "B@d0", "C@d0", "D@d0"]}
    assert cands.reasons == {"ghz10": "too-large"}


@pytest.mark.parametrize(("objective", "jobs", "value", "requests"), [
    ("requests", {"ghz6", "ghz2"}, 2, 2),
    ("jobs", {"ghz4", "ghz2"}, 2, 1),
    ("qubits", {"ghz6", "ghz2"}, 8, 2),
])
def test_hand_checked_optimal_selection(objective, jobs, value, requests):
    plan, info = JOBS["select-milp"](SMALL, objective=objective, max_delays=1, warm_start=False)
    report = validate(SMALL, plan)
    assert report.ok, report.violations
    assert _accepted(plan) == jobs
    # optimal over the candidates (no delays here), not over every plan rule 7 allows
    assert info.status == "optimal_over_candidates"
    assert info.extra["objective_value"] == value
    assert info.extra["objective_bound_over_candidates"] == value
    assert info.objective == report.objective == requests
    assert info.bound != info.bound  # nan: no proven bound of the validator's problem
    if objective == "requests":
        assert info.extra["bound_over_candidates"] == 2
    reasons = dict(zip(plan.job_id.tolist(), plan.job_reason.tolist(), strict=True))
    assert reasons["ghz10"] == "too-large"  # the job larger than the datacenter


def test_delays_let_both_large_jobs_run():
    plan, info = JOBS["select-milp"](SMALL, max_delays=2, warm_start=False)
    assert validate(SMALL, plan).ok
    assert _accepted(plan) == {"ghz4", "ghz6", "ghz2"}
    assert info.objective == info.extra["bound_over_candidates"] == 3
    # every job that fits runs, yet the request objective has no bound beyond candidates
    assert info.status == "optimal_over_candidates"


def test_all_or_nothing_ejects_a_job_the_switch_cannot_serve():
    # 1 MHz source and t_max = 100 ns: a request is served only if an event (every 1 us)
    # falls in its 100 ns window.  ghz6's requests are needed at 55 ns and 215 ns after its
    # start: from 0, the first window [-45, 55] holds event 0 but the second [115, 215]
    # holds none, so ghz6 is never selected, and a pipeline that runs it ejects it and
    # serves none of its requests.
    from dataclasses import replace

    slow = replace(SMALL, sources=(replace(SMALL.sources[0], period=10**9),), t_max=100 * 10**6)
    plan, info = JOBS["select-milp"](slow, max_delays=1, warm_start=False)
    assert validate(slow, plan).ok
    assert "ghz6" not in _accepted(plan)
    assert info.extra["candidates_unservable"] >= 1
    pplan, _ = JOBS["pipeline-parallel"](slow)
    report = validate(slow, pplan)
    assert report.ok, report.violations
    delivered_jobs = {r.split(".")[0] for r in pplan.delivery_request.tolist()}
    assert delivered_jobs <= _accepted(pplan)


def test_oversized_job_without_buffer_is_an_error(tmp_path):
    text = (ROOT / "instances" / "jobs" / "buffer_small.toml").read_text()
    path = tmp_path / "no_buffer.toml"
    path.write_text(text.replace("job_buffer = true\n", ""))
    with pytest.raises(InstanceError, match="more than"):
        qdcopt.load_instance(path)


def test_plain_instances_refuse_job_methods():
    inst = qdcopt.load_instance(ROOT / "instances" / "tiny" / "match_and_change.toml")
    with pytest.raises(InstanceError, match="jobs"):
        JOBS["select-milp"](inst)


SUITE = [random_buffer(j, depth=40, n_qpus=6, comm_qubits=2, seed=s)
         for j, s in ((4, 0), (5, 1), (6, 2))]


@pytest.mark.parametrize("inst", SUITE, ids=lambda i: i.name)
def test_milp_at_least_pipelines_and_every_plan_validates(inst):
    results = {}
    for name in ("pipeline-sequential", "pipeline-parallel", "pipeline-retry",
                 "admit-utilisation", "admit-lp", "select-milp"):
        plan, info = JOBS[name](inst, **({"time_limit": 20.0} if name == "select-milp" else {}))
        report = validate(inst, plan)
        assert report.ok, (info.method, report.violations[:3])
        assert info.objective == report.objective  # claimed == validated
        assert plan.is_job_level and plan.changes_demand
        results[info.method] = (report.objective, info)
    milp, info = results["select-milp"]
    for m in ("pipeline-sequential", "pipeline-parallel", "admit-utilisation", "admit-lp"):
        assert milp >= results[m][0], m
    # the bound covers the heuristics' selections (offered as candidates) and the MILP's
    assert info.extra["bound_over_candidates"] >= max(
        results[m][0] for m in ("pipeline-sequential", "pipeline-parallel", "select-milp"))
    assert info.status != "optimal"


def test_same_seed_same_plan():
    a, _ = JOBS["select-milp"](SUITE[0])
    b, _ = JOBS["select-milp"](random_buffer(4, depth=40, n_qpus=6, comm_qubits=2, seed=0))
    for k, v in a.to_tables().items():
        assert v.equals(b.to_tables()[k]), k


def test_scheduler_by_name_inside_the_pipeline():
    for name in ("greedy", "edf", "scoring"):
        plan, info = JOBS["pipeline-parallel"](SUITE[0], scheduler=name)
        assert validate(SUITE[0], plan).ok
        assert info.extra["scheduler"] == name
    with pytest.raises(OptionError, match="option scheduler: must be one of"):
        JOBS["pipeline-parallel"](SUITE[0], scheduler="nope")
    with pytest.raises(ValueError, match="unknown scheduler"):
        scheduler_by_name("nope")


def test_sequential_runs_one_job_at_a_time():
    plan, _ = JOBS["pipeline-sequential"](SMALL)
    report = validate(SMALL, plan)
    assert report.ok
    rows = sorted(zip(plan.job_start.tolist(), plan.job_id.tolist(), strict=True))
    starts = [s for s, j in rows if j != "ghz10"]
    assert starts == sorted(set(starts))  # no two jobs start together


def test_lp_admission_refuses_the_job_that_cannot_fit_beside_the_admitted_ones():
    # Without delays ghz6 needs A, B and C, and ghz4 (admitted first) needs A+B or C+D: the
    # LP with both fixed to run is infeasible, so ghz6 is refused; ghz2 still fits.
    plan, info = JOBS["admit-lp"](SMALL, max_delays=1)
    report = validate(SMALL, plan)
    assert report.ok, report.violations
    assert _accepted(plan) == {"ghz4", "ghz2"}
    reasons = dict(zip(plan.job_id.tolist(), plan.job_reason.tolist(), strict=True))
    assert reasons["ghz6"] == "admission" and reasons["ghz10"] == "too-large"
    assert info.extra["admitted"] == 2 and info.extra["ejected_after_admission"] == []


def test_utilisation_rule_admits_under_the_limit_and_refuses_over_it():
    # With the limit at 1 every job that fits runs (the parallel rule starts ghz6 after
    # ghz4); a limit below one request's share of a bucket refuses every job that needs
    # entanglement, and ghz2 (no request) is still admitted.
    plan, info = JOBS["admit-utilisation"](SMALL)
    assert validate(SMALL, plan).ok
    assert _accepted(plan) == {"ghz4", "ghz6", "ghz2"}
    assert 0 < info.extra["peak_utilisation"] <= 1.0
    plan, info = JOBS["admit-utilisation"](SMALL, limit=1e-6)
    assert validate(SMALL, plan).ok
    assert _accepted(plan) == {"ghz2"}
    reasons = dict(zip(plan.job_id.tolist(), plan.job_reason.tolist(), strict=True))
    assert reasons["ghz4"] == reasons["ghz6"] == "admission"
