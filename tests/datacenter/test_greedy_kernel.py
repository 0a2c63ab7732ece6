"""The compiled greedy makes the same plan as the reference loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qdcopt.datacenter.generate import random_instance
from qdcopt.datacenter.greedy import greedy
from qdcopt.datacenter.validate import validate


def _tables(plan):
    rc = plan.reconfigurations
    return (plan.initial, plan.delivery_request.tolist(), plan.delivery_source.tolist(),
            plan.delivery_event.tolist(), plan.rejected_request.tolist(),
            plan.rejected_reason.tolist(), {k: np.asarray(v).tolist()
                                            for k, v in rc.columns().items()})


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300), st.integers(2, 6), st.sampled_from(["2 ns", "20 ns", "1 us"]),
       st.sampled_from([None, 1, 2]), st.integers(1, 2), st.integers(0, 10_000))
def test_compiled_greedy_equals_the_reference_loop(n, qpus, t_max, comm, sources, seed):
    inst = random_instance(n, n_qpus=qpus, t_max=t_max, comm_qubits=comm,
                           n_sources=sources, seed=seed)
    fast, info = greedy(inst, compiled=True)
    # the reference loop: the retry path with no retry allowed takes requests in the
    # same order and makes the same choices
    slow, _ = greedy(inst, retries=True, max_attempts=0)
    assert _tables(fast) == _tables(slow)
    loop, _ = greedy(inst, compiled=False)  # the plain loop without the retry machinery
    assert _tables(loop) == _tables(fast)
    assert validate(inst, fast).objective == info.objective == len(fast.delivery_request)
