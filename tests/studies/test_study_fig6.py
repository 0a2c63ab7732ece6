"""Paper 003 Fig. 6/9 study: tasks are plain dicts, rows a pure function of them."""

from __future__ import annotations

import json

import pandas as pd

from qdcopt.studies import fig6_runtime as fig6


def test_tasks_rows_and_plots(tmp_path):
    tasks = fig6.tasks(quick=True, repetitions=1, policies=("fixed", "scoring"))
    assert len(tasks) == 2 * 2 * 3  # 2 values per sweep, 3 sweeps, 2 policies
    json.dumps(tasks)  # plain data, ready for any runner
    rows = [fig6.run_task(t) for t in tasks[:4]]
    assert fig6.run_task(tasks[0])["delivered_rate"] == rows[0]["delivered_rate"]
    for row in rows:
        assert row["delivered_rate"] * row["duration"] * 2 <= row["link_pairs"]
        assert row["promised_rate"] > 0
    summary = fig6.summarise(pd.DataFrame(rows))
    assert set(summary["label"]) == {"fixed+discard", "scoring+discard"}
    fig6.plot(summary, tmp_path / "f.png")
    fig6.plot(summary, tmp_path / "g.png", "fidelity_mean")
    assert (tmp_path / "f.png").stat().st_size > 0 and (tmp_path / "g.png").is_file()
