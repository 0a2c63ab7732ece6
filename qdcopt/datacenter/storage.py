"""How long a Bell pair may wait in memory: fidelity of a stored pair and the window t_max.

Model (written up in ``models/storage.md``): each half of a |Φ+⟩ pair sits in a
communication qubit of its QPU, which undergoes amplitude damping with time constant T1
and loses coherence with time constant T2.  After both halves waited a time t,

    F(t) = (1 + exp(-t/T1a - t/T1b) + 2 exp(-t/T2a - t/T2b)) / 4,

which falls from 1 towards 1/4.  ``t_max`` is the largest whole number of ticks with
F(t_max) ≥ F_min for every pair of QPUs that a switch can connect.
"""

from __future__ import annotations

import math

import numpy as np

from qdcopt.timebase import TICKS_PER_SECOND


def pair_fidelity(t: float | np.ndarray, t1a: float, t2a: float, t1b: float, t2b: float,
                  ) -> float | np.ndarray:
    """Fidelity with |Φ+⟩ of a pair whose halves waited ``t`` (same unit as the T's).

    Parameters
    ----------
    t
        Storage time (scalar or array), same unit as the time constants.
    t1a, t2a, t1b, t2b
        Relaxation and dephasing times of the two memories.
    """
    t = np.asarray(t, dtype=float)
    f = (1.0 + np.exp(-t / t1a - t / t1b) + 2.0 * np.exp(-t / t2a - t / t2b)) / 4.0
    return float(f) if f.ndim == 0 else f


def storage_window(fmin: float, t1a: int, t2a: int, t1b: int, t2b: int) -> int:
    """Largest tick count t with ``pair_fidelity(t) ≥ fmin`` (fmin in (1/4, 1)).

    Uses bisection on integers, since F is strictly decreasing in t.
    """
    if not 0.25 < fmin < 1.0:
        raise ValueError("min fidelity must lie strictly between 1/4 and 1")
    lo, hi = 0, 1
    while pair_fidelity(hi, t1a, t2a, t1b, t2b) >= fmin:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pair_fidelity(mid, t1a, t2a, t1b, t2b) >= fmin:
            lo = mid
        else:
            hi = mid
    return lo


def window_for_qpus(fmin: float, memories: list[tuple[int, int]]) -> int:
    """``t_max`` for a set of QPUs given as (T1, T2) tick pairs: the worst pair decides."""
    if len(memories) < 2:
        t1, t2 = memories[0]
        return storage_window(fmin, t1, t2, t1, t2)
    distinct = sorted(set(memories))
    best = math.inf
    for i, (t1a, t2a) in enumerate(distinct):
        # a pair of two identical memories is possible only if two QPUs share them
        partners = distinct[i:] if memories.count((t1a, t2a)) > 1 else distinct[i + 1:]
        for t1b, t2b in partners:
            best = min(best, storage_window(fmin, t1a, t2a, t1b, t2b))
    if best is math.inf:  # every QPU has its own memory type and only one QPU of each
        best = storage_window(fmin, *distinct[0], *distinct[0])
    return int(best)


def fidelity_at_use(storage_ticks: np.ndarray, t1a: np.ndarray, t2a: np.ndarray,
                    t1b: np.ndarray, t2b: np.ndarray) -> np.ndarray:
    """Vectorised :func:`pair_fidelity` over deliveries (all arrays in ticks)."""
    s = storage_ticks.astype(float) / TICKS_PER_SECOND
    return pair_fidelity(s, t1a / TICKS_PER_SECOND, t2a / TICKS_PER_SECOND,
                         t1b / TICKS_PER_SECOND, t2b / TICKS_PER_SECOND)
