"""The compiled EDF and scoring dispatchers make the same plans as the Python engine."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from plan_checks import NS, generated_instances, irregular_instances, plan_tables

from qdcopt.datacenter.heuristics._kernels.dispatch import COMPILED_FROM, SCORING
from qdcopt.datacenter.heuristics.dispatch import run_dispatch
from qdcopt.datacenter.heuristics.edf import edf
from qdcopt.datacenter.heuristics.scoring import make_policy, scoring
from qdcopt.datacenter.options import EdfParams, ScoringParams
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.validate import validate

WEIGHTS = {"alpha": 0.3, "beta": 0.4, "gamma": 0.25, "delta": 3.0, "breadth": 2}
"""Non-default scoring weights: a narrow breadth and a strong memory relief."""
LATE_FIRST = {"alpha": -0.4, "beta": 0.01, "gamma": 0.5, "delta": 0.0, "breadth": 6}
"""Weights under which a later deadline scores higher (urgency weighs against it): the
compiled loop must then score every option of a kind, not only the most urgent."""


def _edf(inst, compiled):
    return edf(inst, EdfParams(compiled=compiled))


def _scoring(inst, compiled, alpha=1.0, beta=0.05, gamma=1.0, delta=0.5, breadth=8):
    # straight to the dispatcher: the two loops must agree even for weights the options
    # refuse (a negative urgency weight)
    return run_dispatch(inst, "scoring", make_policy(alpha, beta, gamma, delta, breadth),
                        SCORING, compiled=compiled, alpha=alpha, beta=beta, gamma=gamma,
                        delta=delta, breadth=breadth)


def _same_plans(inst):
    for method, options in ((_edf, {}), (_scoring, {}), (_scoring, WEIGHTS),
                            (_scoring, LATE_FIRST)):
        fast, info = method(inst, True, **options)
        slow, slow_info = method(inst, False, **options)
        assert plan_tables(fast) == plan_tables(slow), (method.__name__, options)
        rep = validate(inst, fast)  # by the instance's switching rule
        assert rep.ok, (method.__name__, rep.violations[:3])
        assert rep.objective == info.objective == len(fast.delivery_request)
        assert (info.method, info.status) == (slow_info.method, slow_info.status)
        assert info.extra == slow_info.extra


@settings(max_examples=30, deadline=None)
@given(generated_instances())
def test_compiled_dispatch_equals_the_reference_engine(inst):
    _same_plans(inst)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(irregular_instances(max_qpus=5, max_sources=3, periods=(NS, 2 * NS, 3 * NS),
                           min_requests=0, max_requests=40, horizon=40, max_start=3,
                           max_t_max=10, jobs=("j0",)))
def test_compiled_dispatch_equals_the_reference_on_irregular_sources(inst):
    _same_plans(inst)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(irregular_instances(max_qpus=5, max_sources=2, periods=(NS, 2 * NS),
                           min_requests=0, max_requests=40, horizon=40, max_start=3,
                           max_t_max=10, jobs=("j0",)))
def test_compiled_dispatch_equals_the_reference_with_transit_moves(inst):
    # the engines keep moves towards pairs never served only when the instance allows
    # transit moves; the plans must still agree (and validate) under that rule
    _same_plans(replace(inst, transit_moves=True))


def test_large_instances_take_the_compiled_loop_by_default():
    inst = random_instance(COMPILED_FROM, n_qpus=6, t_max="20 ns", comm_qubits=2, seed=3)
    for method, params in ((edf, EdfParams), (scoring, ScoringParams)):
        default, _ = method(inst)
        fast, _ = method(inst, params(compiled=True))
        slow, _ = method(inst, params(compiled=False))
        assert plan_tables(default) == plan_tables(fast) == plan_tables(slow)


def test_negative_breadth_is_refused():
    inst = random_instance(5, seed=1)
    with pytest.raises(ValueError, match="breadth"):
        scoring(inst, ScoringParams(breadth=-1, compiled=True))
