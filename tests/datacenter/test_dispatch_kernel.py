"""The compiled EDF and scoring dispatchers make the same plans as the Python engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdcopt.datacenter.dispatch_kernel import COMPILED_FROM
from qdcopt.datacenter.edf import edf
from qdcopt.datacenter.generate import random_instance
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.scoring import scoring
from qdcopt.datacenter.validate import validate

NS = 10**6
WEIGHTS = {"alpha": 0.3, "beta": 0.4, "gamma": 0.25, "delta": 3.0, "breadth": 2}
"""Non-default scoring weights: a narrow breadth and a strong memory relief."""


def _tables(plan):
    rc = plan.reconfigurations
    return (plan.initial, plan.delivery_request.tolist(), plan.delivery_source.tolist(),
            plan.delivery_event.tolist(), plan.rejected_request.tolist(),
            plan.rejected_reason.tolist(), {k: np.asarray(v).tolist()
                                            for k, v in rc.columns().items()})


def _same_plans(inst):
    for method, options in ((edf, {}), (scoring, {}), (scoring, WEIGHTS)):
        fast, info = method(inst, compiled=True, **options)
        slow, slow_info = method(inst, compiled=False, **options)
        assert _tables(fast) == _tables(slow), (method.__name__, options)
        assert validate(inst, fast).objective == info.objective == len(fast.delivery_request)
        assert (info.method, info.status) == (slow_info.method, slow_info.status)
        assert info.extra == slow_info.extra


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 300), st.integers(2, 6), st.sampled_from(["2 ns", "20 ns", "1 us"]),
       st.sampled_from([None, 1, 2]), st.integers(1, 2), st.integers(0, 10_000))
def test_compiled_dispatch_equals_the_reference_engine(n, qpus, t_max, comm, sources, seed):
    inst = random_instance(n, n_qpus=qpus, t_max=t_max, comm_qubits=comm,
                           n_sources=sources, seed=seed)
    _same_plans(inst)


@st.composite
def irregular_instances(draw):
    """Sources on different grids reaching different QPUs (so some pairs have no source),
    zero-length reconfigurations, per-QPU memories and need times before the first event."""
    n_q = draw(st.integers(2, 5))
    caps = [draw(st.sampled_from([None, 1, 2, 3])) for _ in range(n_q)]
    qpus = tuple(Qpu(f"Q{i}", 4, caps[i]) for i in range(n_q))
    sources = []
    for s in range(draw(st.integers(1, 3))):
        ports = tuple(sorted(draw(st.sets(st.integers(0, n_q - 1), min_size=2))))
        t_single = draw(st.integers(0, 4)) * NS
        sources.append(Source(f"S{s}", draw(st.sampled_from([NS, 2 * NS, 3 * NS])),
                              draw(st.integers(0, 3)) * NS, t_single,
                              t_single + draw(st.integers(0, 8)) * NS, ports))
    n = draw(st.integers(0, 40))
    a, b = [], []
    for _ in range(n):
        x, y = draw(st.lists(st.integers(0, n_q - 1), min_size=2, max_size=2, unique=True))
        a.append(x)
        b.append(y)
    t = [draw(st.integers(0, 40)) * NS for _ in range(n)]
    req = Requests.from_columns([f"r{i}" for i in range(n)], ["j0"] * n, a, b, t)
    return DatacenterInstance("irregular", qpus, tuple(sources), draw(st.integers(0, 10)) * NS,
                              req)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(irregular_instances())
def test_compiled_dispatch_equals_the_reference_on_irregular_sources(inst):
    _same_plans(inst)


def test_large_instances_take_the_compiled_loop_by_default():
    inst = random_instance(COMPILED_FROM, n_qpus=6, t_max="20 ns", comm_qubits=2, seed=3)
    for method in (edf, scoring):
        default, _ = method(inst)
        fast, _ = method(inst, compiled=True)
        slow, _ = method(inst, compiled=False)
        assert _tables(default) == _tables(fast) == _tables(slow)


def test_negative_breadth_is_refused():
    inst = random_instance(5, seed=1)
    with pytest.raises(ValueError, match="breadth"):
        scoring(inst, breadth=-1, compiled=True)
