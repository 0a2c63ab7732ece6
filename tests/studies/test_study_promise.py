"""The promise study in its quick form: one row per point and planner, promise and delivery."""

from __future__ import annotations

import pandas as pd

from qdcopt.studies import run_study
from qdcopt.studies.paper003.promise_delivery import METHODS, points


def test_promise_quick(tmp_path):
    files = run_study("promise", tmp_path, seed=0, quick=True, workers=0).files
    assert {f.name for f in files} == {"promise_delivery.csv", "promise_delivery.png"}
    rows = pd.read_csv(tmp_path / "promise_delivery.csv")
    assert len(rows) == len(points(quick=True)) * len(METHODS)
    by = rows.set_index(["nodes", "swap_success", "density", "method"])
    for p in points(quick=True):
        key = (p["nodes"], p["swap_success"], p["density"])
        lp, cal = by.loc[(*key, "lp")], by.loc[(*key, "lp-calibrated")]
        # calibration only ever derates the reserved plan's promise
        assert cal["promised_rate"] <= lp["promised_rate"] * (1 + 1e-9)
        assert lp["delivered_over_promised"] == lp["delivered_rate"] / lp["promised_rate"]
        assert lp["delivered_low"] <= lp["delivered_rate"] <= lp["delivered_high"]
