"""Paper 003 Fig. 6/9 study: tasks are plain dicts, rows a pure function of them."""

from __future__ import annotations

import json

import pandas as pd

from qdcopt.studies.paper003 import fig6_runtime as fig6


def test_tasks_rows_and_plots(tmp_path):
    tasks = fig6.tasks(quick=True, repetitions=1, policies=("fixed", "scoring"))
    # 2 values per sweep, 3 sweeps; fixed on the DP trees, scoring on the DP trees and LP
    assert len(tasks) == 2 * 3 * 3
    assert {(t["policy"], t["method"]) for t in tasks} == {
        ("fixed", "iterative"), ("scoring", "iterative"), ("scoring", "lp")}
    json.dumps(tasks)  # plain data, ready for any runner
    rows = [fig6.run_task(t) for t in tasks[:6]]
    assert fig6.run_task(tasks[0])["delivered_rate"] == rows[0]["delivered_rate"]
    for row in rows:
        assert row["delivered_rate"] * row["duration"] * 2 <= row["link_pairs"]
        assert row["promised_rate"] > 0
    summary = fig6.summarise(pd.DataFrame(rows))
    assert set(summary["label"]) == {"fixed+discard@iterative", "scoring+discard@iterative",
                                     "scoring+discard@lp"}
    fig6.plot(summary, tmp_path / "f.png")
    fig6.plot(summary, tmp_path / "g.png", "fidelity_mean")
    assert (tmp_path / "f.png").stat().st_size > 0 and (tmp_path / "g.png").is_file()


def test_fixed_baseline_executes_the_dp_trees_iterative_plans():
    from qdcopt.network.methods import METHODS
    from qdcopt.network.topology.waxman import waxman_instance

    task = next(t for t in fig6.tasks(quick=True, repetitions=1, policies=("fixed",)))
    _, plan, promised = fig6._planned(task["nodes"], task["density"],
                                      task["swap_success"], task["requests"],
                                      task["seed"], task["method"])
    again, _ = METHODS["iterative"](waxman_instance(
        task["nodes"], density=task["density"], requests=task["requests"],
        seed=task["seed"], swap_success=task["swap_success"]))
    assert task["method"] == "iterative" and plan.trees == again.trees
    assert promised == sum(rate for _, rate in again.requests)
