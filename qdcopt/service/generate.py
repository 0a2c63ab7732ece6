"""Interval problems built from periodic demands (for the controller, tests and benchmarks).

A demand with rate ``R`` asks for one PGA per period ``1/R``: its ``k``-th job is
released at the start of period ``k`` and must end by the period's end (an *implicit*
deadline, as in paper 002's EDF scheduler).  On the slot grid the window of a period
``[φ + kP, φ + (k+1)P)`` (``P`` in slots, maybe fractional) is
``[⌈φ + kP⌉, ⌊φ + (k+1)P⌋)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qdcopt.service.interval import IntervalProblem


def period_windows(phase: float, period: float, k_from: int, k_to: int) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """Release and deadline slots of periods ``k_from .. k_to − 1``."""
    k = np.arange(k_from, k_to)
    release = np.ceil(phase + k * period - 1e-9).astype(np.int64)
    deadline = np.floor(phase + (k + 1) * period + 1e-9).astype(np.int64)
    return release, deadline


def periodic_problem(n_slots: int, capacity: Sequence[int], demands: Sequence[dict],
                     *, slot_seconds: float = 1.0,
                     resource_names: Sequence[str] | None = None) -> IntervalProblem:
    """An interval problem from periodic demands.

    Parameters
    ----------
    n_slots
        Slots in the interval.
    capacity
        Capacity of each resource.
    demands
        Each a dictionary with ``resources`` (indices), ``use`` (units each; default 1),
        ``period`` (slots, ≥ duration), ``duration`` (slots), optional ``phase`` (slot of
        the first period, default 0), ``start`` (admission slot, default ``phase``) and
        ``id``.  Every period that ends inside the interval gives a job; every job must
        be scheduled for the demand to be on track.
    """
    jd, jr, jdl, jdu = [], [], [], []
    ids, res, use, starts, mins = [], [], [], [], []
    for i, d in enumerate(demands):
        phase = float(d.get("phase", 0.0))
        period = float(d["period"])
        dur = int(d["duration"])
        if period < dur:
            raise ValueError(f"demand {i}: period {period} shorter than duration {dur}")
        k_to = max(0, math.floor((n_slots - phase) / period + 1e-9))
        rel, dl = period_windows(phase, period, 0, k_to)
        keep = rel >= 0
        rel, dl = rel[keep], dl[keep]
        jd.append(np.full(len(rel), i))
        jr.append(rel)
        jdl.append(dl)
        jdu.append(np.full(len(rel), dur))
        ids.append(str(d.get("id", f"d{i}")))
        res.append(tuple(int(r) for r in d["resources"]))
        use.append(tuple(int(u) for u in d.get("use", [1] * len(d["resources"]))))
        starts.append(int(d.get("start", math.floor(phase))))
        mins.append(len(rel))
    cat = lambda xs: np.concatenate(xs).astype(np.int64) if xs else np.zeros(0, np.int64)  # noqa: E731
    names = tuple(resource_names) if resource_names else tuple(f"r{i}" for i in
                                                               range(len(capacity)))
    problem = IntervalProblem(
        n_slots=n_slots, slot_seconds=slot_seconds, resource_names=names,
        capacity=np.asarray(capacity, dtype=np.int64), demand_ids=tuple(ids),
        demand_resources=tuple(res), demand_use=tuple(use),
        demand_start=np.asarray(starts, dtype=np.int64),
        min_pgas=np.asarray(mins, dtype=np.int64), job_demand=cat(jd), job_release=cat(jr),
        job_deadline=cat(jdl), job_duration=cat(jdu))
    problem.check()
    return problem


def random_problem(n_jobs: int, *, seed: int, end_nodes: int | None = None,
                   load: float = 0.9, duration: int = 1, junction: int | None = None,
                   ) -> IntervalProblem:
    """A random interval on a star of end nodes (one communication qubit each) with about
    ``n_jobs`` PGAs: demands between random node pairs, periods chosen so that each end
    node is loaded about ``load``.

    Parameters
    ----------
    n_jobs
        Target number of PGAs.
    seed
        Seed of the draw.
    end_nodes
        End nodes of the star (default: about ``√n_jobs``, at least 4).
    load
        Target utilisation of an end node's communication qubit.
    duration
        Slots per PGA.
    junction
        Junction communication qubits (default: enough for every node at once).
    """
    rng = np.random.default_rng(seed)
    m = end_nodes or max(4, int(math.sqrt(n_jobs)))
    n_dem = max(1, m)
    pairs = []
    for _ in range(n_dem):
        a, b = rng.choice(m, size=2, replace=False)
        pairs.append((int(a), int(b)))
    per_node = np.zeros(m)
    for a, b in pairs:
        per_node[a] += 1
        per_node[b] += 1
    demands = []
    for i, (a, b) in enumerate(pairs):
        share = max(per_node[a], per_node[b])
        period = max(duration, duration * share / load)
        demands.append({"id": f"d{i}", "resources": [a, b, m], "use": [1, 1, 2],
                        "period": float(period), "duration": duration,
                        "phase": float(rng.uniform(0, period))})
    per_slot = sum(1.0 / d["period"] for d in demands)
    n_slots = math.ceil(n_jobs / per_slot) + 1
    cap = [1] * m + [junction if junction is not None else 2 * m]
    return periodic_problem(n_slots, cap, demands)
