"""The family-D studies: tasks are plain data, rows are pure and seeded."""

from __future__ import annotations

import json

from qdcopt.studies import fig4_3, modenhub, run_study


def test_modenhub_tasks_and_rows():
    tasks = modenhub.tasks(quick=True)
    assert json.loads(json.dumps(tasks)) == tasks  # plain data, ready for any runner
    task = next(t for t in tasks if t["n_qpus"] == 16 and t["strategy"] == "orchestrated")
    a, b = modenhub.row(task), modenhub.row(task)
    assert a == b
    assert a["k"] == 4  # ⌈0.9 · 4⌉
    assert abs(a["success_rate_mc"] - a["success_rate_exact"]) < 0.05
    # the task seed depends on the task's key, not on its position in the list
    again = modenhub.tasks(quick=True, sizes=(16,))
    assert next(t for t in again if t["strategy"] == "orchestrated")["seed"] == task["seed"]


def test_modenhub_quick_run_writes_files(tmp_path):
    files = run_study("modenhub", tmp_path, quick=True, workers=0).files
    assert [f.name for f in files] == ["modenhub.csv", "modenhub.png"]
    assert all(f.stat().st_size > 0 for f in files)


def test_fig4_3_rows_are_seeded():
    task = dict(fig4_3.tasks(quick=True)[0], days=3.0)
    assert json.loads(json.dumps(task)) == task
    a, b = fig4_3.row(task), fig4_3.row(task)
    assert a == b
    assert 0.0 <= a["min_service_share"] <= 1.0


def test_modenhub_memory_rows():
    from qdcopt.studies import modenhub_memory

    tasks = modenhub_memory.tasks(quick=True)
    assert json.loads(json.dumps(tasks)) == tasks
    mem = [t for t in tasks if t["part"] == "memory" and t["n_qpus"] == 8]
    rows = [modenhub_memory.row(t) for t in mem]
    assert rows == [modenhub_memory.row(t) for t in mem]
    # a shorter cut-off never serves more hits
    hits = [r["hit_rate_exact"] for r in rows]  # cut-offs 1, 10, none
    assert hits[0] < hits[1] < hits[2]
    k = modenhub_memory.row(next(t for t in tasks if t["part"] == "k" and t["n_qpus"] == 16))
    assert k["k_min_cache"] <= k["k_min_no_cache"]
