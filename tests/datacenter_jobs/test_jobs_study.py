"""The Fig. 5 study in its quick form: files written, every plan valid."""

from __future__ import annotations

import pandas as pd

from qdcopt.studies.paper000.fig5_jobs import METHODS, run


def test_fig5_quick(tmp_path):
    files = run(tmp_path, seed=0, quick=True, workers=0)
    assert [f.name for f in files] == ["fig5_jobs.csv", "fig5_jobs_summary.csv", "fig5_jobs.png"]
    assert all(f.is_file() and f.stat().st_size > 0 for f in files)
    frame = pd.read_csv(files[0])
    assert frame["valid"].all()
    assert set(frame["method"]) == set(METHODS)
    assert (frame["repetitions"] == 1).all()
    # sequential never beats parallel on total time when both run every job
    both = frame.pivot_table(index="jobs", columns="method", values="total_execution_time_s")
    ran = frame.pivot_table(index="jobs", columns="method", values="jobs_accepted")
    full = ran["sequential"].eq(ran.index) & ran["parallel"].eq(ran.index)
    assert (both["sequential"][full] >= both["parallel"][full]).all()
    again = pd.read_csv(run(tmp_path / "again", seed=0, quick=True, workers=0)[0])
    cols = ["jobs", "method", "jobs_accepted", "accepted_requests", "total_execution_time_s"]
    assert frame[cols].equals(again[cols])
