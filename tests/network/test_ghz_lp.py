"""GHZ requests in ``lp``'s reserved-memory master: structure columns chosen in integer
copies beside the pair requests' trees (hand-computed rates, a brute force over copy
counts, iterative's plan as a floor, the validator and the runtime)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from test_ghz_plans import (  # the shared hand-checkable nodes and links
    _links,
    _node,
    waxman_with_ghz,
)

from qdcopt.network.ghz.planner import star_at, structure_slots
from qdcopt.network.instance import GhzRequest, NetworkInstance, Physics, Request
from qdcopt.network.methods import METHODS
from qdcopt.network.physics import link_model
from qdcopt.network.resources import memories, slot_link_rate, tree_slots
from qdcopt.network.runtime import RuntimeConfig, simulate_plan
from qdcopt.network.trees.builders import best_copy
from qdcopt.network.validate import validate

Q_FUSION = 0.8
QUIET = {"waits": "exponential", "depolarizing_rate": 0.0, "dephasing_rate": 0.0}


def hub(hub_memories: int, party_memories: int, pair_memories: int | None = None,
        ghz_weight: float = 1.0) -> NetworkInstance:
    """Hub H with leaves A, B, C (the GHZ request's parties) and, with ``pair_memories``,
    leaves D, E (a pair request D–E swapped at H, competing for H's memories).  Every
    link is given ``100 · min(m_H, m_party)`` pairs/s for all its memories, so a party's
    link makes 100 pairs/s per reserved memory pair (``m_party ≤ m_H``); D's and E's links
    take the same explicit rate, shared over their own memories."""
    names = ["H", "A", "B", "C"] + (["D", "E"] if pair_memories is not None else [])
    mem = {"H": hub_memories, "A": party_memories, "B": party_memories, "C": party_memories,
           "D": pair_memories, "E": pair_memories}
    nodes = tuple(_node(x, mem[x]) for x in names)
    index = {x: i for i, x in enumerate(names)}
    links = _links(index, [("H", x, 100.0 * min(hub_memories, party_memories))
                           for x in names[1:]])
    requests = (() if pair_memories is None
                else (Request("P", index["D"], index["E"], weight=1.0),))
    return NetworkInstance(name="hub", nodes=nodes, links=links, requests=requests,
                           physics=Physics(swap_latency=0.0, fusion_success=Q_FUSION),
                           ghz=(GhzRequest("G", (1, 2, 3), weight=ghz_weight),))


def brute_force(inst: NetworkInstance, maxmin: bool = False) -> float:
    """The best weighted total over integer copy counts of every structure and tree
    (``maxmin``: the best total among the counts with the largest least weighted rate).

    The network is a tree, so every branch ``c–p`` has one route (and one swapping tree),
    the star at each node is unique, the tree of fusions along the only Steiner tree is
    the star at H, and the pair request has one tree: enumerating the copies of these
    columns within the memories is exhaustive over them.
    """
    model = link_model(inst)
    mem, rates = memories(inst), slot_link_rate(inst, model)
    cols = []  # (request slot: 0 the GHZ request, 1 + r a pair request; rate; memories)
    for c in range(inst.n):
        s = star_at(inst, model, 0, c, mem, rates)
        if s is not None:
            cols.append((0, s.rate, structure_slots(s, inst.n)))
    for r in range(len(inst.requests)):
        t = best_copy(inst, model, r, mem, rates, True)
        assert t is not None
        cols.append((1 + r, t.rate, tree_slots(t, inst.n)))
    weight = [inst.ghz[0].weight, *(q.weight for q in inst.requests)]
    best = (0.0, 0.0)

    def walk(j: int, free: np.ndarray, got: list[float]) -> None:
        nonlocal best
        if j == len(cols):
            total = sum(w * x for w, x in zip(weight, got, strict=True))
            level = min(x / w for w, x in zip(weight, got, strict=True)) if maxmin else 0.0
            best = max(best, (level, total))
            return
        slot, rate, use = cols[j]
        k = 0
        while np.all(use * k <= free):
            more = list(got)
            more[slot] += k * rate
            walk(j + 1, free - use * k, more)
            k += 1

    walk(0, mem, [0.0] * len(weight))
    return best[1]


def test_copies_of_a_star_by_hand() -> None:
    """Hub of 6 memories, parties of 2: two star copies, each fusion_success / (11/6 · T)
    with T = 1/100 s; no bound is claimed."""
    inst = hub(6, 2)
    plan, info = METHODS["lp"](inst)
    report = validate(inst, plan)
    assert report.ok, report.violations
    expected = 2 * Q_FUSION / (Fraction(11, 6) * Fraction(1, 100))
    assert dict(plan.requests)["G"] == pytest.approx(float(expected), rel=1e-12)
    assert info.objective == pytest.approx(float(expected), rel=1e-12)
    assert report.objective == pytest.approx(float(expected), rel=1e-12)
    assert len([f for f in plan.fusions if f.parent == -1]) == 2
    assert {f.centre for f in plan.fusions} == {"H"}
    assert info.status == "feasible" and math.isnan(info.bound)


@pytest.mark.parametrize(("hub_memories", "parties", "pair", "ghz_weight"), [
    (6, 2, 3, 1.0),   # two stars beat a star and a pair: iterative takes the pair first
    (7, 2, 3, 1.0),   # a star and two pairs
    (7, 2, 3, 1.2),
    (8, 2, 3, 1.0),
    (9, 3, 3, 1.0),
    (12, 3, 4, 0.9),
])
def test_a_pair_competing_for_the_hub(hub_memories: int, parties: int, pair: int,
                                      ghz_weight: float) -> None:
    inst = hub(hub_memories, parties, pair, ghz_weight)
    plan, info = METHODS["lp"](inst)
    report = validate(inst, plan)
    assert report.ok, report.violations
    assert report.objective == pytest.approx(info.objective, rel=1e-9)
    assert info.objective == pytest.approx(brute_force(inst), rel=1e-9)
    it_plan, it_info = METHODS["iterative"](inst)
    assert validate(inst, it_plan).ok
    assert info.objective >= it_info.objective * (1 - 1e-12)
    assert info.status == "feasible" and math.isnan(info.bound)


def test_the_master_beats_the_turns_when_they_take_the_wrong_copy_first() -> None:
    """Hub of 6: iterative serves the pair first (ties go to pairs), leaving room for one
    star and one pair copy; the master takes two stars, 2 · 0.8 / (11/6 · 0.01)."""
    inst = hub(6, 2, 3)
    _, info = METHODS["lp"](inst)
    _, it_info = METHODS["iterative"](inst)
    assert info.objective == pytest.approx(2 * 0.8 / (11 / 6 * 0.01), rel=1e-12)
    assert it_info.objective < info.objective - 10


def test_maxmin_with_a_ghz_request_serves_both() -> None:
    inst = hub(8, 2, 3)
    plan, info = METHODS["lp"](inst, objective="maxmin")
    report = validate(inst, plan)
    assert report.ok, report.violations
    rates = dict(plan.requests)
    assert rates["G"] > 0 and rates["P"] > 0
    assert info.objective == pytest.approx(brute_force(inst, maxmin=True), rel=1e-9)


def test_lp_refuses_ghz_with_attempts_only() -> None:
    with pytest.raises(ValueError, match="GHZ requests are planned by iterative and lp"):
        METHODS["lp"](hub(6, 2), resources="attempts")


def test_the_lp_plan_delivers_its_ghz_rate() -> None:
    """Two star copies with single-link branches and exponential waits are the model
    exactly: the mean over seeds lies within four standard errors of the promise."""
    inst = hub(6, 2)
    plan, _ = METHODS["lp"](inst)
    promised = dict(plan.requests)["G"]
    duration = 100.0
    cfg = RuntimeConfig.from_options(policy="fixed", duration=duration, **QUIET)
    res = simulate_plan(inst, plan, cfg, seeds=5, seed=11)
    got = np.array([run.delivered[len(inst.requests)] / duration for run in res.runs])
    err = got.std(ddof=1) / math.sqrt(len(got))
    assert abs(got.mean() - promised) <= 4 * err, (got, promised)
    assert err < 0.02 * promised


def test_waxman_networks_with_ghz_and_pair_requests() -> None:
    """Two GHZ requests beside two pair requests on seeded Waxman-30 networks: every lp
    plan validates, is worth at least iterative's, and reports no bound."""
    for seed in range(3):
        inst = waxman_with_ghz(seed)
        plan, info = METHODS["lp"](inst)
        report = validate(inst, plan)
        assert report.ok, report.violations
        assert report.objective == pytest.approx(info.objective, rel=1e-9)
        _, it_info = METHODS["iterative"](inst)
        assert info.objective >= it_info.objective * (1 - 1e-12)
        assert info.status == "feasible" and math.isnan(info.bound)
        rates = dict(plan.requests)
        for g in ("G", "H"):
            assert rates[g] > 0 or plan.reason(g)
