"""The results store keeps every column of rows of different kinds."""

from __future__ import annotations

from qdcopt.sweeps.store import Store
from qdcopt.sweeps.tasks import task_dict, tasks_from_dicts


def _record(key: str, **row: object) -> dict[str, object]:
    return {"_task": key, "_status": "done", "_error": "", "_seconds": 0.1, **row}


def test_rows_of_different_kinds_keep_their_columns(tmp_path):
    store = Store(tmp_path)
    # one file with both kinds, the first row lacking the second kind's columns
    store.append("v1", [_record("a", part="memory", hit=0.5),
                        _record("b", part="k", k_paper=7, k_min=8)])
    read = store.read("v1")
    assert read["a"].row == {"part": "memory", "hit": 0.5, "k_paper": None, "k_min": None}
    assert read["b"].row["k_paper"] == 7 and read["b"].row["k_min"] == 8
    store.append("v1", [_record("c", part="k", k_paper=3, k_min=4)])
    store.compact("v1")
    again = store.read("v1")
    assert {k: r.row.get("k_paper") for k, r in again.items()} == {"a": None, "b": 7, "c": 3}


def test_tasks_from_plain_dicts_round_trip():
    entries = [{"study": "s", "part": "k", "n": 2, "cut": None, "seed": 11},
               {"study": "s", "part": "k", "n": 3, "seed": 12}]
    tasks = tasks_from_dicts("s", entries)
    assert [t.seed for t in tasks] == [11, 12]
    assert len({t.key for t in tasks}) == 2
    assert [task_dict(t) for t in tasks] == entries
