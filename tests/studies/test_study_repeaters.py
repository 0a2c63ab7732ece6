"""The repeater-spacing study in its quick form: rows per spacing and request, a valid plan."""

from __future__ import annotations

import pandas as pd

from qdcopt.studies import run_study
from qdcopt.studies.paper003.repeater_spacing import QUICK_SPACINGS, REQUESTS


def test_repeaters_quick(tmp_path):
    files = run_study("repeaters", tmp_path, seed=0, quick=True, workers=0).files
    assert {f.name for f in files} == {"repeater_spacing.csv", "repeater_spacing.png"}
    rows = pd.read_csv(tmp_path / "repeater_spacing.csv")
    assert len(rows) == len(QUICK_SPACINGS) * len(REQUESTS.split(","))
    assert rows["valid"].all()
    by = rows.groupby("spacing_km")["repeaters"].first()
    # halving the spacing (150 → 75 km) about doubles the repeaters of the backbone
    assert by[75.0] > 2 * by[150.0] - 14
    assert (rows["promised_rate"] > 0).all()
