"""The compiled greedy loops make the same plans as the reference loops."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_checks import generated_instances, plan_tables

from qdcopt.datacenter.heuristics.greedy import greedy
from qdcopt.datacenter.instance import Requests
from qdcopt.datacenter.options import GreedyParams
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.validate import validate
from qdcopt.timebase import parse_duration


@settings(max_examples=40, deadline=None)
@given(generated_instances())
def test_compiled_greedy_equals_the_reference_loop(inst):
    fast, info = greedy(inst, GreedyParams(compiled=True))
    # the reference loop: the retry path with no retry allowed takes requests in the
    # same order and makes the same choices
    slow, _ = greedy(inst, GreedyParams(retries=True, max_attempts=0))
    assert plan_tables(fast) == plan_tables(slow)
    # the plain loop without the retry machinery
    loop, _ = greedy(inst, GreedyParams(compiled=False))
    assert plan_tables(loop) == plan_tables(fast)
    assert validate(inst, fast).objective == info.objective == len(fast.delivery_request)


def _with_jobs(inst, n_jobs, seed):
    """``inst`` with its requests spread over ``n_jobs`` jobs at random, so that the
    retry loop interleaves several job queues."""
    if n_jobs == 1:
        return inst
    req = inst.requests
    jobs = [f"j{j}" for j in np.random.default_rng(seed).integers(0, n_jobs, len(req))]
    return replace(inst, job_runtime={},
                   requests=Requests.from_columns(req.id, jobs, req.a, req.b, req.t_need))


def _same_retry_plans(inst, delta, attempts):
    """Both retry loops on ``inst``: the plans must be equal and valid; returns the
    compiled plan and its SolveInfo."""
    fast, info = greedy(inst, GreedyParams(retries=True, delta=delta, max_attempts=attempts,
                                           compiled=True))
    slow, ref = greedy(inst, GreedyParams(retries=True, delta=delta, max_attempts=attempts,
                                          compiled=False))
    assert plan_tables(fast) == plan_tables(slow)
    assert fast.method == slow.method == "greedy-retry"
    assert info.extra == ref.extra
    assert info.objective == ref.objective == len(fast.delivery_request)
    report = validate(inst, fast)
    assert report.ok
    assert report.objective == info.objective
    return fast, info


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(2, 6),
       st.sampled_from(["1 ns", "2 ns", "5 ns", "20 ns", "1 us"]),
       st.sampled_from([None, 1, 2]), st.integers(1, 2), st.integers(1, 4),
       st.sampled_from(["1 ns", "3 ns", "50 ns"]), st.sampled_from([0, 1, 3, 10]),
       st.integers(0, 10_000))
def test_compiled_retry_greedy_equals_the_reference_loop(n, qpus, t_max, comm, sources,
                                                         n_jobs, delta, attempts, seed):
    inst = random_instance(n, n_qpus=qpus, t_max=t_max, comm_qubits=comm,
                           n_sources=sources, seed=seed)
    _same_retry_plans(_with_jobs(inst, n_jobs, seed), delta, attempts)


@pytest.mark.parametrize(("comm", "sources", "n_jobs"),
                         [(None, 1, 1), (1, 1, 3), (2, 2, 1), (1, 2, 4), (None, 1, 20),
                          (2, 2, 50)])
def test_compiled_retry_greedy_retries(comm, sources, n_jobs):
    # a short window and few communication qubits make requests fail and be retried
    inst = _with_jobs(random_instance(400, n_qpus=4, t_max="2 ns", comm_qubits=comm,
                                      n_sources=sources, load=1.5, seed=7), n_jobs, 7)
    plan, info = _same_retry_plans(inst, "1 ns", 10)
    step = parse_duration("1 ns")
    assert info.extra["retries"] > 0
    assert len(plan.shift_job) > 0
    # some request needed several retries in a row, merged into one shift record
    assert (plan.shift_delay > step).any()
    assert plan.shift_delay.sum() == info.extra["retries"] * step
    assert len(set(plan.shift_job.tolist())) == n_jobs
