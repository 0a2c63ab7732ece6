"""``pipeline-retry`` schedules with the scheduler it is given, with Phase E around it."""

from __future__ import annotations

import numpy as np

import qdcopt
from qdcopt.datacenter import JOB_SPECS as JOBS
from qdcopt.datacenter.demand.decisions import JobDecision, derive
from qdcopt.datacenter.heuristics.edf import edf
from qdcopt.datacenter.heuristics.greedy import greedy
from qdcopt.datacenter.instance import DatacenterInstance, Requests
from qdcopt.datacenter.jobs.buffers import random_buffer
from qdcopt.datacenter.validate import effective_need, validate

# one communication qubit per QPU and a 20 ns window: several requests fail at their need
# time and are served once delayed
INST = random_buffer(3, depth=15, n_qpus=4, comm_qubits=1, t_max="20 ns", rate_hz=2e8, seed=1)


def _scheduled_instance(plan):
    """The requests of the accepted jobs on their QPUs, at the need times the plan's
    shifts give them: what the scheduler saw in the last round."""
    qidx = INST.qpu_index()
    decisions = [JobDecision(j, bool(a), tuple(sorted(qidx[q] for q in str(qs).split()))
                             if a else (), int(start))
                 for j, a, qs, start in zip(plan.job_id.tolist(), plan.job_accepted.tolist(),
                                            plan.job_qpus.tolist(), plan.job_start.tolist(),
                                            strict=True)]
    derived = derive(INST, decisions).instance
    need = effective_need(derived, plan)
    req = derived.requests
    keep = np.isin(req.job, [d.job for d in decisions if d.accepted])
    return DatacenterInstance(
        name=derived.name, qpus=derived.qpus, sources=derived.sources, t_max=derived.t_max,
        min_fidelity=derived.min_fidelity, file=derived.file,
        requests=Requests.from_columns(req.id[keep], req.job[keep], req.a[keep], req.b[keep],
                                       need[keep]))


def _served(plan):
    return sorted(zip(plan.delivery_request.tolist(), plan.delivery_event.tolist(),
                      strict=True))


def test_pipeline_retry_records_and_uses_the_edf_scheduler():
    plan, info = qdcopt.solve(INST, "pipeline-retry", scheduler="edf")
    report = validate(INST, plan)
    assert report.ok, report.violations[:3]
    assert info.objective == report.objective
    assert info.extra["scheduler"] == "edf"
    assert len(plan.shift_job) > 0  # Phase E delayed some requests
    assert plan.job_accepted.all() and plan.n_accepted == len(INST.requests)
    # the deliveries are EDF's on the (delayed) requests of the accepted jobs, not the
    # greedy's
    scheduled = _scheduled_instance(plan)
    assert _served(edf(scheduled)[0]) == _served(plan)
    assert _served(greedy(scheduled)[0]) != _served(plan)
    # without Phase E the same scheduler serves fewer requests
    plain, _ = JOBS["pipeline-parallel"](INST, scheduler="edf")
    assert validate(INST, plain).objective < report.objective
    # and the greedy's own retries are still what the default runs
    g_plan, g_info = qdcopt.solve(INST, "pipeline-retry")
    assert g_info.extra["scheduler"] == "greedy" and validate(INST, g_plan).ok


def test_retries_around_a_scheduler_stop_at_max_attempts():
    none, _ = qdcopt.solve(INST, "pipeline-retry", scheduler="edf", max_attempts=0)
    assert len(none.shift_job) == 0
    one, _ = qdcopt.solve(INST, "pipeline-retry", scheduler="edf", max_attempts=1,
                          delta="5 ns")
    assert validate(INST, one).ok
    # at most one delay of 5 ns per request
    assert set(one.shift_delay.tolist()) <= {5_000_000}
    assert len(set(one.shift_request.tolist())) == len(one.shift_request)
