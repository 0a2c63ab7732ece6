"""The EDF loop of :mod:`qdcopt.service.heuristics.edf` compiled with numba (same schedule).

Heap entries are single integers ``(deadline·(S+1) + release)·n + job`` so that numba's
``heapq`` works on a typed list of ``int64``; ordering is that of the tuples
``(deadline, release, job)`` the pure-Python loop uses.
"""

from __future__ import annotations

import heapq

import numba
import numpy as np


@numba.njit(cache=True)
def edf_kernel(release: np.ndarray, deadline: np.ndarray, duration: np.ndarray,
               demand: np.ndarray, res_ptr: np.ndarray, res_idx: np.ndarray,
               res_use: np.ndarray, capacity: np.ndarray, order: np.ndarray,
               span: int) -> np.ndarray:  # pragma: no cover - compiled
    n = release.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    free = capacity.copy()
    ready = [np.int64(0)]
    ready.pop()
    running = [np.int64(0)]
    running.pop()
    blocked = np.empty(n, dtype=np.int64)
    i = 0
    t = release[order[0]]
    while True:
        while len(running) > 0 and running[0] // n <= t:
            j = heapq.heappop(running) % n
            d = demand[j]
            for q in range(res_ptr[d], res_ptr[d + 1]):
                free[res_idx[q]] += res_use[q]
        while i < n and release[order[i]] <= t:
            j = order[i]
            heapq.heappush(ready, (deadline[j] * span + release[j]) * n + j)
            i += 1
        nb = 0
        while len(ready) > 0:
            key = heapq.heappop(ready)
            j = key % n
            if t + duration[j] > deadline[j]:
                continue
            d = demand[j]
            fits = True
            for q in range(res_ptr[d], res_ptr[d + 1]):
                if free[res_idx[q]] < res_use[q]:
                    fits = False
                    break
            if fits:
                for q in range(res_ptr[d], res_ptr[d + 1]):
                    free[res_idx[q]] -= res_use[q]
                out[j] = t
                heapq.heappush(running, (t + duration[j]) * n + j)
            else:
                blocked[nb] = key
                nb += 1
        for b in range(nb):
            heapq.heappush(ready, blocked[b])
        has_next = False
        nxt = 0
        if i < n:
            nxt = release[order[i]]
            has_next = True
        if len(running) > 0:
            end = running[0] // n
            if not has_next or end < nxt:
                nxt = end
            has_next = True
        if not has_next:
            break
        t = nxt
    return out
