"""The sensitivity study in its quick form: every variant runs, ratios to the fixed tree."""

from __future__ import annotations

import pandas as pd
import pytest

from qdcopt.studies import run_study
from qdcopt.studies.paper003.sensitivity import summarise, variants


def test_sensitivity_quick(tmp_path):
    run_study("sensitivity", tmp_path, seed=0, quick=True, workers=0)
    rows = pd.read_csv(tmp_path / "sensitivity.csv")
    assert set(rows["policy"]) == {"scoring", "fixed", "oldest", "connectionless",
                                   "centralized"}
    summary = summarise(rows)
    fixed = summary[(summary["policy"] == "fixed") & (summary["plan"] == "iterative")]
    assert fixed["over_fixed"].tolist() == pytest.approx([1.0] * len(fixed))
    # a weight moved changes only that weight
    assert all(sum(a != b for a, b in zip(v["weights"], (1.0, 1.0, 0.5), strict=True)) <= 1
               for v in variants(quick=True))
    assert (tmp_path / "sensitivity.png").stat().st_size > 0
