"""Paper 003 Fig. 6/9 study: tasks are plain dicts, rows a pure function of them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

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


def _row(sweep, x, policy, method, seed, rate, fidelity):
    return {"sweep": sweep, "x": x, "policy": policy, "method": method, "seed": seed,
            "label": f"{policy}+discard@{method}", "delivered_rate": rate,
            "fidelity_mean": fidelity}


def test_ratios_are_paired_by_repetition_and_headlines_count_the_default_point_once():
    rows = []
    # (sweep, x): per seed the fixed tree's, connectionless's and scoring-on-LP's rates
    table = {("nodes", 50.0): [(10, 5, 12), (20, 10, 30)],
             ("nodes", 100.0): [(10, 10, 10), (0, 4, 8)],      # seed 1: fixed delivered 0
             ("density", 0.1): [(10, 10, 10), (0, 4, 8)],      # the same default point
             ("density", 0.2): [(4, 8, 6), (4, 8, 6)]}
    for (sweep, x), per_seed in table.items():
        for seed, (fixed, free, scoring) in enumerate(per_seed):
            rows += [_row(sweep, x, "fixed", "iterative", seed, fixed, 0.90),
                     _row(sweep, x, "connectionless", "iterative", seed, free, 0.95),
                     _row(sweep, x, "scoring", "lp", seed, scoring, 0.91)]
    r = fig6.ratios(pd.DataFrame(rows)).set_index(["sweep", "x", "label"])
    at50 = r.loc[("nodes", 50.0, "scoring+discard@lp")]
    # paired: mean of 12/10 and 30/20, not (12 + 30) / (10 + 20)
    assert at50["vs_fixed"] == pytest.approx(1.35)
    assert at50["vs_connectionless"] == pytest.approx((12 / 5 + 30 / 10) / 2)
    # Student t with one degree of freedom: 12.706 · s / √2, s = 0.2121
    assert at50["vs_fixed_high"] - 1.35 == pytest.approx(12.7062 * 0.212132 / 2 ** 0.5,
                                                         rel=1e-4)
    # the repetition where the fixed tree delivered nothing is left out of vs_fixed only
    at100 = r.loc[("nodes", 100.0, "scoring+discard@lp")]
    assert at100["vs_fixed"] == pytest.approx(1.0)
    assert at100["vs_connectionless"] == pytest.approx((1.0 + 2.0) / 2)
    assert r.loc[("density", 0.2, "fixed+discard@iterative")]["fidelity_spread"] == (
        pytest.approx(0.05))
    h = fig6.headlines(r.reset_index()).set_index("label")
    scoring = h.loc["scoring+discard@lp"]
    assert scoring["points"] == 3  # 50 nodes, density 0.2 and the default point once
    assert scoring["vs_fixed_min"] == pytest.approx(1.0)
    assert scoring["vs_fixed_max"] == pytest.approx(1.5)
    assert scoring["vs_fixed_mean"] == pytest.approx((1.35 + 1.0 + 1.5) / 3)
    assert h.loc["fixed+discard@iterative"]["vs_fixed_mean"] == pytest.approx(1.0)
