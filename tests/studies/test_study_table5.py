"""The Table V study: tasks are plain data, rows depend on the task alone, tables add up."""

from __future__ import annotations

import json

import pytest

from qdcopt.studies.paper004 import table5


def test_tasks_are_plain_and_seeded_by_key():
    todo = table5.tasks(3, runs=2, topologies=("K_2", "3x3"))
    json.dumps(todo)  # plain data, ready for any sweep runner
    sims = [t for t in todo if t["kind"] == "simulate"]
    # 2 topologies × (2 runs at F = 0.75 + 3 runs at each of 8 other F) × 2 protocols
    assert len(sims) == 2 * (2 + 3 * 8) * 2
    assert len({tuple(t["seed"]) for t in sims}) == len(sims)
    again = table5.tasks(3, runs=2, topologies=("3x3",))
    key = {t["key"]: t for t in again}
    assert all(key[t["key"]] == t for t in todo if t["key"] in key)


def test_rows_and_summary():
    todo = [t for t in table5.tasks(1, runs=2, duration=2.0, topologies=("K_2", "2x2"))
            if t["kind"] == "simulate" and t["fidelity"] == 0.75]
    rows = [table5.run_task(t) for t in todo]
    assert rows[0] == {**table5.run_task(todo[0]), "wall_s": rows[0]["wall_s"]}
    tables = table5.summarise(rows)
    t5 = tables["table5"]
    assert set(t5["topology"]) == {"K_2", "2x2"} and (t5["runs"] == 2).all()
    assert (t5["paper_latency_ms"] > 0).all()
    fig8 = tables["fig8"].set_index(["metric", "method"])
    # Two points: the regression line passes through both.
    assert fig8.loc[("latency", "esp"), "r2"] == pytest.approx(1.0)
