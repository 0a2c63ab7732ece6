"""The dispatcher's sorted-array queue gives entries off in the order of a heap of them."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qdcopt.datacenter.heuristics._kernels.queue import (
    HI,
    LO,
    queue_insert,
    queue_new,
    queue_reserve,
)

ENTRY = st.tuples(st.integers(0, 12), st.integers(0, 5))
"""(deadline, pair): few values, so that equal entries are common."""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("push"), ENTRY),
                          st.tuples(st.just("pop"), st.integers(1, 4))), max_size=80),
       st.integers(1, 4))
def test_entries_come_off_in_heap_order(ops, room):
    qd, qp, pos = queue_new(room)
    heap: list[tuple[int, int]] = []
    for op, arg in ops:
        if op == "push":
            # the kernel reserves room once per decision, before it inserts
            qd, qp = queue_reserve(qd, qp, pos, room)
            queue_insert(qd, qp, pos, arg[0], arg[1])
            heapq.heappush(heap, arg)
        else:
            for _ in range(arg):
                if not heap:
                    assert pos[LO] == pos[HI]
                    break
                got = (int(qd[pos[LO]]), int(qp[pos[LO]]))
                pos[LO] += 1
                assert got == heapq.heappop(heap)
        assert pos[HI] - pos[LO] == len(heap)
        entries = list(zip(qd[pos[LO]:pos[HI]].tolist(), qp[pos[LO]:pos[HI]].tolist(),
                           strict=True))
        assert entries == sorted(heap)


def test_the_queue_grows_and_keeps_its_entries():
    qd, qp, pos = queue_new(1)
    for k in range(200, 0, -1):  # each new entry goes to the front
        qd, qp = queue_reserve(qd, qp, pos, 1)
        queue_insert(qd, qp, pos, k, k % 3)
    assert len(qd) >= 200
    assert qd[pos[LO]:pos[HI]].tolist() == list(range(1, 201))
    assert np.array_equal(qp[pos[LO]:pos[HI]], np.arange(1, 201) % 3)
