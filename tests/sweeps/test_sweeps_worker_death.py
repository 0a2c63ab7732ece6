"""A worker process that dies: Dask reruns its task elsewhere, or records it as failed."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cloudpickle
import pandas as pd

from qdcopt.sweeps import Sweep, Task, run_sweep

# the workers cannot import this test module: send its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _dies(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """x = 1 kills its worker process the first time (``once``) or every time."""
    x = int(task["x"])
    if x == 1:
        mark = Path(settings["mark"])
        if not settings["once"] or not mark.exists():
            mark.touch()
            os._exit(9)  # as kill -9 would: no exception, no clean-up
    return {"x": x, "y": 10 * x}


def _write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    path = Path(out_dir) / "dies.csv"
    frame.to_csv(path, index=False)
    return [path]


def _sweep(tmp: Path, once: bool) -> Sweep:
    tasks = tuple(Task.make("dies", {"x": x}) for x in range(4))
    return Sweep("dies", tasks, _dies, {"mark": str(tmp / "mark"), "once": once}, _write)


def test_task_of_a_dead_worker_is_rerun_and_the_study_completes(tmp_path):
    result = run_sweep(_sweep(tmp_path, once=True), tmp_path, workers=2)
    assert (tmp_path / "mark").exists()  # x = 1 did take its worker down once
    assert result.complete and result.status.failed == ()
    table = pd.read_csv(tmp_path / "dies.csv")
    assert table["y"].tolist() == [0, 10, 20, 30]


def test_task_that_always_kills_its_worker_is_recorded_failed_and_the_rest_complete(tmp_path):
    result = run_sweep(_sweep(tmp_path, once=False), tmp_path, workers=2)
    assert not result.complete and result.status.done == 3
    [(key, error)] = result.status.failed
    assert key == "x=1/rep=0" and "KilledWorker" in error
    assert not (tmp_path / "dies.csv").exists()  # files only once every task is done
