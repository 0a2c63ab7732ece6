"""Fusion-structure columns for the reserved-memory master of ``lp`` (``models/ghz.md``,
"In the LP").

A GHZ request's columns are copies of fusion structures, each with its rate ``ρ = 1/T``
and its memories per node ``s(u)`` (:func:`~qdcopt.network.ghz.planner.structure_slots`).
They are generated as the tree columns are:

* **initially**: the best structure on all memories (best star and tree of fusions) and
  the stars at the :data:`~qdcopt.network.ghz.planner.STAR_CANDIDATES` best-scored
  centres (:func:`initial_structures`); the caller adds the iterative method's structures;
* **per round**, from the relaxation's memory duals ``μ`` (:func:`priced_structures`):
  structures built on all memories and on the memories the duals leave free (every node
  with a positive price removed but the parties), stars at the centres with the best
  estimated reduced cost, kept when ``w_g ρ − Σ_u μ_u s(u) > 0``.

The pricing is a heuristic (no structure search is exact), so the master over these
columns proves nothing for GHZ requests.
"""

from __future__ import annotations

import numpy as np

from qdcopt.network.ghz.model import FusionStructure
from qdcopt.network.ghz.planner import (
    STAR_CANDIDATES,
    best_structure,
    star_at,
    star_scores,
    structure_slots,
)
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import LinkModel

TOL = 1e-9


def structure_key(structure: FusionStructure) -> tuple:
    """What makes two structure copies the same column: request, fusions, branch routes."""
    trees = tuple(tuple((nd.u, nd.v, nd.swap_at) for nd in t.nodes) for t in structure.trees)
    fusions = tuple((f.centre, f.parent, f.branches) for f in structure.fusions)
    return (structure.request, fusions, trees)


def copy_cap(structure: FusionStructure, mem: np.ndarray) -> int:
    """Most copies of ``structure`` the memories hold: ``min_u ⌊m_u / s(u)⌋``."""
    use = structure_slots(structure, len(mem))
    held = use > 0
    return int(np.min(np.asarray(mem)[held] // use[held])) if np.any(held) else 0


def _stars(instance: NetworkInstance, model: LinkModel, g: int, free: np.ndarray,
           rates: np.ndarray, mu: np.ndarray | None, weight: float,
           ) -> list[FusionStructure]:
    """Stars at the :data:`STAR_CANDIDATES` centres of best estimated value: by latency
    score alone (``mu`` ``None``), else by ``w / score`` less the prices of the centre's
    memories (one per branch) and of one memory at each other party."""
    parties = list(instance.ghz[g].nodes)
    scores, latency = star_scores(instance, model, g, free, rates)
    if mu is None:
        ranked = sorted(scores)
    else:
        def value(item: tuple[float, int]) -> float:
            score, c = item
            others = [p for p in parties if p != c]
            return -(weight / score - mu[c] * len(others) - sum(mu[p] for p in others))
        ranked = sorted(scores, key=lambda item: (value(item), item[1]))
    out = []
    for _, c in ranked[:STAR_CANDIDATES]:
        order = sorted((p for p in parties if p != c), key=lambda p: -latency[c, p])
        s = star_at(instance, model, g, c, free, rates, order)
        if s is not None:
            out.append(s)
    return out


def initial_structures(instance: NetworkInstance, model: LinkModel, g: int, mem: np.ndarray,
                       rates: np.ndarray) -> list[FusionStructure]:
    """The first columns of GHZ request ``g``: the best structure on all memories and the
    stars at the best-scored centres."""
    out = [s for s in (best_structure(instance, model, g, mem, rates),) if s is not None]
    return out + _stars(instance, model, g, mem, rates, None, 1.0)


def priced_structures(instance: NetworkInstance, model: LinkModel, g: int, mem: np.ndarray,
                      rates: np.ndarray, mu: np.ndarray, weight: float, seen: set[tuple],
                      most: int) -> list[FusionStructure]:
    """At most ``most`` new structures of positive reduced cost ``w ρ − μ · s``, best
    first, built on all memories and on those with no price (parties kept)."""
    parties = set(instance.ghz[g].nodes)
    cheap = np.array(mem, copy=True)
    for u in np.flatnonzero(mu > TOL).tolist():
        if u not in parties:
            cheap[u] = 0
    frees = [mem] if np.array_equal(cheap, mem) else [mem, cheap]
    found: dict[tuple, tuple[float, FusionStructure]] = {}
    for free in frees:
        cands = [best_structure(instance, model, g, free, rates),
                 *_stars(instance, model, g, free, rates, mu, weight)]
        for s in cands:
            if s is None:
                continue
            key = structure_key(s)
            if key in seen or key in found:
                continue
            rc = weight * s.rate - float(mu @ structure_slots(s, instance.n))
            if rc > TOL * max(1.0, weight * s.rate):
                found[key] = (rc, s)
    ranked = sorted(found.values(), key=lambda item: -item[0])
    return [s for _, s in ranked[:most]]


__all__ = ["copy_cap", "initial_structures", "priced_structures", "structure_key"]
