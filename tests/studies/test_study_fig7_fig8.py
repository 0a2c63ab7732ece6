"""Paper 003 Figs. 7 and 8: latency of one-pair request streams with pre-distribution."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from qdcopt.studies import STUDIES, run_study
from qdcopt.studies.paper003 import predist_latency


@pytest.mark.parametrize(("name", "mode", "stem"), [("fig7", "batch", "fig7_batch_latency"),
                                                    ("fig8", "continuous",
                                                     "fig8_continuous_latency")])
def test_quick_study_runs_and_writes_its_files(tmp_path, name, mode, stem):
    assert name in STUDIES
    result = run_study(name, tmp_path, quick=True, workers=0)
    assert result.complete
    rows = pd.read_csv(tmp_path / f"{stem}.csv")
    assert (tmp_path / f"{stem}.png").stat().st_size > 0
    # 2 values × 2 sweeps, 4 policies, with and without stock, 1 repetition
    assert len(rows) == 4 * 4 * 2
    assert set(rows["label"]) == {f"{p}+discard{s}" for p in predist_latency.POLICIES
                                  for s in (f"+{mode}", "")}
    none = rows[rows["stock"] == "none"]
    assert (none["predistributed"] == 0).all() and len(none) == 16
    assert (rows["served"] + rows["unserved"] == rows["arrived"]).all()
    assert (rows["arrived"] == 8).all()
    assert (rows["predist_used"] <= rows["predistributed"]).all()
    if mode == "batch":  # one-time: never more than the batch
        assert (rows["predistributed"] <= rows["stock_links"] * rows["stock_pairs"]).all()
    # every served request waited at least one swap's signalling, at most the run
    served = rows[rows["served"] > 0]
    assert (served["latency_mean_s"] > 0).all()
    assert (served["latency_mean_s"] <= served["duration"]).all()


def test_rows_are_a_pure_function_of_the_task():
    task = predist_latency.tasks("continuous", quick=True)[0]
    json.dumps(task)
    assert predist_latency.row_of(task)["latency_mean_s"] == \
        predist_latency.row_of(dict(task))["latency_mean_s"]
