"""The Fig. 4 study in its quick form: files written, optimum ≥ heuristics ≤ bound."""

from __future__ import annotations

import pandas as pd

from qdcopt.studies import run_study


def test_fig4_quick(tmp_path):
    files = run_study("fig4", tmp_path, seed=0, quick=True, workers=0).files
    assert {f.name for f in files} == {"fig4_acceptance.csv", "fig4_acceptance.png"}
    frame = pd.read_csv(tmp_path / "fig4_acceptance.csv")
    assert set(frame.method) == {"greedy", "edf", "scoring", "milp"}
    keys = ["qpus", "rate", "t_max"]
    wide = frame.pivot_table(index=keys, columns="method", values="accepted")
    milp = frame[frame.method == "milp"].set_index(keys).reindex(wide.index)
    bound = milp["bound_ratio"] * milp["requests"]
    for method in ("greedy", "edf", "scoring", "milp"):
        assert (wide[method] <= bound + 1e-6).all(), method
    optimal = milp["status"] == "optimal"
    assert optimal.any()
    for method in ("greedy", "edf", "scoring"):
        assert (wide.loc[optimal, method] <= milp.loc[optimal, "accepted"]).all(), method
    # a 1 MHz source serves far fewer of the 50 ns-spaced requests than a 1 GHz one
    ratio = frame.groupby("rate")["acceptance_ratio"].mean()
    assert ratio["1mhz"] < 0.1 < 0.5 < ratio["1ghz"]
