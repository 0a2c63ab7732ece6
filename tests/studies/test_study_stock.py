"""The stock-sensitivity study in its quick form: each stock setting runs once, the parts
share the runs they have in common, and the no-stock reference stocks nothing."""

from __future__ import annotations

import pandas as pd

from qdcopt.studies import run_study
from qdcopt.studies.paper003.stock_sensitivity import BASE, PARTS, stocks, summarise


def test_stock_settings_move_one_parameter_and_share_runs():
    settings = stocks()
    keys = [(s["links"], s["pairs"], s["threshold"]) for s in settings]
    assert len(keys) == len(set(keys))  # no run twice
    # Figs. 7/8's stock lies on the pairs and links axes; a threshold equal to the stock
    # size is the same run as replenishing at once (threshold 0)
    base = next(s for s in settings if (s["links"], s["pairs"]) == (BASE["links"],
                                                                  BASE["pairs"]))
    assert set(base["parts"]) == {("pairs", 2), ("links", 5)}
    assert (5, 4, 0) in keys and (5, 4, 4) not in keys
    assert sum(len(s["parts"]) for s in settings) == sum(len(v) for v in PARTS.values())


def test_stock_quick(tmp_path):
    run_study("stock", tmp_path, seed=0, quick=True, workers=0)
    rows = pd.read_csv(tmp_path / "stock_sensitivity.csv")
    assert set(rows["policy"]) == {"scoring", "fixed"}
    none = rows[rows["stock"] == "none"]
    assert len(none) == 2 and (none["predistributed"] == 0).all()
    assert (rows[rows["stock"] == "continuous"]["predistributed"] > 0).any()
    summary = summarise(rows)
    assert set(summary["part"]) == {"pairs", "threshold", "links", "none"}
    assert (tmp_path / "stock_sensitivity.png").stat().st_size > 0
