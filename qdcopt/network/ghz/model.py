"""Fusion structures for GHZ requests: their shape, latency and fidelity (``models/ghz.md``).

A GHZ request among parties ``P`` is served by copies of a **fusion structure**: a rooted
tree of fusions.  A fusion at centre ``c`` takes one state from each of its inputs, every
input holding one qubit at ``c``:

* a **branch** — a Bell pair ``c–x`` made by a swapping tree (the trees of
  :mod:`qdcopt.network.physics`), ``x`` a party or the centre of the parent fusion;
* a **child fusion** — the GHZ state another fusion made, which holds a qubit at ``c``
  because one of the child's branches ends there (its *up* branch).

The fusion measures the qubits at ``c`` (a GHZ projection) and, when ``c`` is a party,
keeps one: it makes a GHZ state over the union of its inputs' nodes, without ``c`` unless
``c`` is a party.  A star at ``c`` is one fusion with a branch to every other party; a
tree of fusions has a fusion at every branch point of a Steiner tree.

**Latency** (the reserved-memory model's, ``models/hyperflow.md``): each input's wait is
taken as exponential with its own mean (a branch tree's latency by
:func:`qdcopt.network.resources.reserved_latency`, a child fusion's by this rule), and

    T(f) = (E[max of the inputs' waits] + t_s + max_u d(c, u) / c_fibre) / q_f(c),

the maximum taken exactly for independent exponentials by inclusion–exclusion
(:func:`expected_max`; ``H_k · T`` for ``k`` equal means), ``u`` over the nodes of the
state made, ``q_f(c)`` the fusion success (:func:`fusion_success`).  A failed fusion
loses every input, so the whole subtree starts again, as a failed swap does.  A copy's
rate is ``1 / T(root)``.

**Fidelity** from Werner branches (derivation in ``models/ghz.md``): a Werner pair of
parameter ``w`` is a perfect pair with a uniformly random Pauli error (I, X, Y, Z) with
probability ``1 − w``.  Pauli errors pass through the fusions, so the GHZ state made has
an X error on the parties on one side ``S_e`` of every branch ``e`` that took an X or Y,
and Z errors whose number's parity is that of the branches that took a Z or Y.  The state
is the GHZ state exactly when the X pattern is empty or all parties and the Z parity even:

    F = ½ Π_e w_e + 2^{−|P|} Σ_{χ ⊆ P, |χ| even} Π_{e : |χ ∩ S_e| odd} w_e

(:func:`ghz_fidelity`; for a star at a centre outside ``P`` it is
``½ Π w + [Π (1 + w) + Π (1 − w)] / 2^{|P|+1}``, and for two parties ``(1 + 3 w₁w₂)/4``,
the swap rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qdcopt.network.instance import NetworkInstance, fidelity_modelled
from qdcopt.network.physics import LinkModel, SwapTree, tree_werner
from qdcopt.network.purification import operation_factor
from qdcopt.network.resources import reserved_latency

ROOT = -1
"""``parent`` of a structure's root fusion."""


@dataclass(frozen=True)
class Fusion:
    """One fusion of a structure.

    Attributes
    ----------
    centre
        Node index where the inputs' qubits are measured.
    parent
        Index (in the structure's fusions) of the fusion that takes this one's GHZ state,
        or :data:`ROOT`.
    branches
        Indices (in the structure's trees) of the swapping trees whose pairs this fusion
        takes; each makes a pair with one end at ``centre``.
    """

    centre: int
    parent: int
    branches: tuple[int, ...]


@dataclass(frozen=True)
class FusionStructure:
    """One copy of a fusion structure serving a GHZ request.

    Attributes
    ----------
    request
        Index of the GHZ request (in ``instance.ghz``).
    rate
        GHZ states/s this copy delivers (``1 / T(root)``).
    fusions
        Its fusions, root first; a child's index is larger than its parent's.
    trees
        Its branch trees; each tree's ``rate`` is the attempts/s of the fusion that
        takes its pairs (see :func:`fusion_rates`).
    """

    request: int
    rate: float
    fusions: tuple[Fusion, ...]
    trees: tuple[SwapTree, ...]


def fusion_success(instance: NetworkInstance, model: LinkModel, centre: int) -> float:
    """Success probability of a fusion at ``centre``: ``physics.fusion_success``, else the
    centre's swap success (paper 003 §VI: the atomic BSM and the fusion succeed alike)."""
    q = instance.physics.fusion_success
    return float(q) if q is not None else float(model.swap_success[centre])


def expected_max(means: list[float] | tuple[float, ...] | np.ndarray) -> float:
    """Expected maximum of independent exponential waits of the given means.

    Inclusion–exclusion over the subsets ``S`` of the waits:
    ``E[max] = Σ_{S ≠ ∅} (−1)^{|S|+1} / Σ_{i ∈ S} 1/m_i`` (the minimum of the waits in
    ``S`` is exponential with the summed rate).  ``inf`` when any mean is.

    Parameters
    ----------
    means
        Mean waits, seconds (at most 20).

    Returns
    -------
    float
    """
    m = np.asarray(means, dtype=float)
    if m.size == 0:
        return 0.0
    if not np.all(np.isfinite(m)):
        return math.inf
    if m.size > 20:
        raise ValueError(f"expected_max takes at most 20 waits, got {m.size}")
    rates = 1.0 / m
    k = m.size
    masks = np.arange(1, 1 << k, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(k)) & 1).astype(float)
    total = bits @ rates
    sign = np.where(bits.sum(axis=1) % 2 == 1, 1.0, -1.0)
    # sum the small terms first: the alternating sum cancels most of its terms
    terms = sign / total
    return float(np.sum(terms[np.argsort(np.abs(terms))]))


def _ends(tree: SwapTree) -> tuple[int, int]:
    return tree.nodes[0].u, tree.nodes[0].v


def far_end(tree: SwapTree, centre: int) -> int:
    """The end of ``tree``'s pair that is not ``centre``."""
    u, v = _ends(tree)
    return v if u == centre else u


def outputs(instance: NetworkInstance, structure: FusionStructure) -> list[frozenset[int]]:
    """The nodes holding a qubit of the state each fusion makes.

    ``out(f) = (∪ far ends of its branches ∪ out(children)) − {c}``, plus ``c`` when
    ``c`` is a party.
    """
    parties = set(instance.ghz[structure.request].nodes)
    out: list[frozenset[int]] = [frozenset()] * len(structure.fusions)
    for i in range(len(structure.fusions) - 1, -1, -1):  # children after parents
        f = structure.fusions[i]
        nodes = {far_end(structure.trees[b], f.centre) for b in f.branches}
        for j, g in enumerate(structure.fusions):
            if g.parent == i:
                nodes |= out[j]
        nodes.discard(f.centre)
        if f.centre in parties:
            nodes.add(f.centre)
        out[i] = frozenset(nodes)
    return out


def structure_latency(instance: NetworkInstance, model: LinkModel,
                      structure: FusionStructure) -> float:
    """Expected time to one GHZ state of one copy of ``structure`` (module docstring).

    Returns
    -------
    float
        Seconds; ``inf`` when a branch has no rate.
    """
    branch = [reserved_latency(instance, model, t.nodes) for t in structure.trees]
    out = outputs(instance, structure)
    dist = model.classical_distance
    ph = instance.physics
    latency = [math.inf] * len(structure.fusions)
    for i in range(len(structure.fusions) - 1, -1, -1):
        f = structure.fusions[i]
        waits = [branch[b] for b in f.branches]
        waits += [latency[j] for j, g in enumerate(structure.fusions) if g.parent == i]
        reach = max((dist[f.centre, u] for u in out[i] if u != f.centre), default=0.0)
        latency[i] = ((expected_max(waits) + ph.swap_latency + reach / ph.classical_speed)
                      / fusion_success(instance, model, f.centre))
    return latency[0]


def fusion_rates(instance: NetworkInstance, model: LinkModel, structure: FusionStructure,
                 rate: float) -> list[float]:
    """Attempts/s of each fusion when the root delivers ``rate`` GHZ states/s.

    The root attempts ``rate / q_f``; a child must make one state per attempt of its
    parent, so it attempts ``parent's attempts / q_f(child)``.  Each branch tree supplies
    one pair per attempt of its fusion.
    """
    out = [0.0] * len(structure.fusions)
    for i, f in enumerate(structure.fusions):
        need = rate if f.parent == ROOT else out[f.parent]
        out[i] = need / fusion_success(instance, model, f.centre)
    return out


def party_sides(instance: NetworkInstance, structure: FusionStructure,
                ) -> list[frozenset[int]]:
    """For every branch tree, the parties on its far side ``S_e`` (for :func:`ghz_fidelity`).

    The far side of a branch of fusion ``f`` is the far end's part of the structure: its
    party alone (a down branch to a party) or everything outside ``f``'s subtree (the up
    branch to the parent's centre).
    """
    parties = frozenset(instance.ghz[structure.request].nodes)
    out = outputs(instance, structure)
    sides: list[frozenset[int]] = [frozenset()] * len(structure.trees)
    for i, f in enumerate(structure.fusions):
        parent_centre = (structure.fusions[f.parent].centre if f.parent != ROOT else None)
        for b in f.branches:
            x = far_end(structure.trees[b], f.centre)
            if x == parent_centre:
                # the up branch: the subtree's parties are out(f) without the parent's
                # centre (unless a party of the subtree is that node, which cannot be)
                sides[b] = parties - (out[i] - {x})
            else:
                sides[b] = frozenset({x}) & parties
    return sides


def ghz_fidelity(parties: list[int] | tuple[int, ...], edges: list[tuple[float, frozenset[int]]],
                 ) -> float:
    """Fidelity to the GHZ state of the state fused from Werner pairs (module docstring).

    Parameters
    ----------
    parties
        The GHZ request's nodes.
    edges
        Per Bell pair fused: its Werner parameter and the parties on one side of it.

    Returns
    -------
    float
    """
    index = {p: i for i, p in enumerate(parties)}
    k = len(parties)
    chi = np.arange(1 << k, dtype=np.int64)
    prod = np.ones(chi.size)
    all_w = 1.0
    for w, side in edges:
        mask = 0
        for p in side:
            mask |= 1 << index[p]
        common = chi & mask
        odd = np.zeros(chi.size, dtype=bool)
        for b in range(k):  # parity of the common bits
            odd ^= ((common >> b) & 1).astype(bool)
        prod *= np.where(odd, w, 1.0)
        all_w *= w
    even = np.zeros(chi.size, dtype=bool)
    for b in range(k):
        even ^= ((chi >> b) & 1).astype(bool)
    even = ~even
    return float(0.5 * all_w + prod[even].sum() / float(1 << k))


def fusion_noise(instance: NetworkInstance) -> float:
    """Factor on a branch's Werner parameter for each fusion that measures one of its
    qubits: the dephasing of that qubit over ``swap_latency``
    (:func:`qdcopt.network.purification.operation_factor`, as the runtime applies it;
    a swap's is its square, :func:`qdcopt.network.instance.swap_noise`); 1 when fidelity
    is not modelled."""
    if not fidelity_modelled(instance):
        return 1.0
    ph = instance.physics
    return operation_factor(ph.dephasing_rate, ph.swap_latency)


def structure_fidelity(instance: NetworkInstance, structure: FusionStructure) -> float:
    """Fidelity of the GHZ states a copy of ``structure`` makes, storage aside: every
    branch at its tree's Werner parameter (:func:`qdcopt.network.physics.tree_werner`,
    swaps' dephasing included), times :func:`fusion_noise` for its qubit at its fusion's
    centre and, for an up branch, once more for its qubit at the parent's centre."""
    sides = party_sides(instance, structure)
    noise = fusion_noise(instance)
    up = set()
    for f in structure.fusions:
        if f.parent != ROOT:
            parent = structure.fusions[f.parent].centre
            up.update(b for b in f.branches if far_end(structure.trees[b], f.centre) == parent)
    edges = [(tree_werner(t.nodes, instance)[0][0] * noise * (noise if b in up else 1.0),
              sides[b]) for b, t in enumerate(structure.trees)]
    return ghz_fidelity(instance.ghz[structure.request].nodes, edges)


def star_fidelity(w: list[float], centre_is_party: bool) -> float:
    """Closed form of :func:`ghz_fidelity` for one fusion of Werner pairs ``w`` (a star):
    ``[Π (1 + w)/2 + Π w] / 2 + Π (1 − w)/2 / 2``, the last term only when the centre is
    not a party (an X error on every branch is then the GHZ state's own X⊗…⊗X)."""
    a = float(np.prod([(1 + x) / 2 for x in w]))
    b = float(np.prod(w))
    c = 0.0 if centre_is_party else float(np.prod([(1 - x) / 2 for x in w]))
    return (a + b) / 2 + c / 2


__all__ = ["ROOT", "Fusion", "FusionStructure", "expected_max", "far_end", "fusion_noise",
           "fusion_rates", "fusion_success", "ghz_fidelity", "outputs", "party_sides",
           "star_fidelity", "structure_fidelity", "structure_latency"]
