"""The MILP's guards: blocks too large to model, and a spent time budget."""

from __future__ import annotations

import importlib

import qdcopt
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.switch.bounds import event_bound
from qdcopt.datacenter.switch.data import preprocess

# the module itself, to patch its limits
sm = importlib.import_module("qdcopt.datacenter.switch.milp")


def test_block_too_large_falls_back_to_heuristic_plan_and_event_bound(monkeypatch):
    inst = random_instance(60, n_qpus=4, t_max="3 ns", seed=3)
    monkeypatch.setattr(sm, "MAX_DELIVERY_COLUMNS", 0)
    # without the run-sequence search, which would otherwise improve the start
    plan, info = qdcopt.solve(inst, "milp", time_limit=10, anneal=False)
    report = qdcopt.validate(inst, plan)
    assert report.ok
    assert info.objective == report.objective
    # nothing was modelled: the bound is solver-free, the plan the best heuristic's
    data = preprocess(inst)
    assert report.objective <= info.bound <= sum(event_bound(b) for b in data.blocks)
    assert info.bound < len(inst.requests)
    ex = info.extra
    assert ex["blocks_too_large"] + ex["blocks_settled_by_start"] == ex["blocks"] >= 1
    assert ex["columns"] == 0
    best = max(qdcopt.validate(inst, qdcopt.solve(inst, m)[0]).objective
               for m in ("greedy", "edf", "scoring"))
    assert report.objective == best
    # with the search the block is still not modelled, and its plan can only improve
    plan, info = qdcopt.solve(inst, "milp", time_limit=10)
    searched = qdcopt.validate(inst, plan)
    assert searched.ok and info.extra["columns"] == 0
    assert best <= searched.objective == info.objective <= info.bound


def test_spent_budget_still_returns_a_valid_plan_and_bound():
    inst = random_instance(400, n_qpus=5, t_max="20 ns", seed=1)
    plan, info = qdcopt.solve(inst, "milp", time_limit=0.01)
    report = qdcopt.validate(inst, plan)
    assert report.ok and info.objective == report.objective
    assert info.bound >= report.objective
    assert info.status in ("time_limit", "feasible", "optimal")
