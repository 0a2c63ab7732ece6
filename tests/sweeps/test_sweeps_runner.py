"""The sweep runner in this process: resume after a stop, failures, code versions, seeds."""

from __future__ import annotations

import _thread
import signal
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import qdcopt
from qdcopt.studies import study_sweep
from qdcopt.sweeps import Store, Sweep, Task, derive_seed, run_sweep, store_path, sweep_status


def _square(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A task that logs each run, and fails on x = 3 while the flag file exists."""
    with open(settings["log"], "a") as log:
        log.write(task.key + "\n")
    x = int(task["x"])
    if x == 3 and Path(settings["flag"]).exists():
        raise RuntimeError("x = 3 is broken")
    return {"x": x, "y": x * x * int(settings["scale"]), "seed": task.seed}


def _interrupting(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Presses Ctrl-C on x = 2, then behaves like a solver interface that catches it."""
    x = int(task["x"])
    if x == 2:
        try:
            _thread.interrupt_main(signal.SIGINT)  # as a Ctrl-C arriving in the main thread
            time.sleep(0.5)
        except KeyboardInterrupt:
            return {"x": -1}  # a cut-short result, as if it were finished
    return {"x": x}


def _write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    path = Path(out_dir) / "squares.csv"
    frame.to_csv(path, index=False)
    return [path]


def _squares(tmp: Path, scale: int = 1, n: int = 6) -> Sweep:
    tasks = tuple(Task.make("squares", {"x": x}, seed=derive_seed(7, x)) for x in range(n))
    settings = {"scale": scale, "log": str(tmp / "log.txt"), "flag": str(tmp / "flag")}
    return Sweep("squares", tasks, _square, settings, _write)


def _runs(tmp: Path) -> list[str]:
    log = tmp / "log.txt"
    return log.read_text().split() if log.exists() else []


def test_stopped_study_resumes_without_redoing_tasks_and_equals_a_whole_run(tmp_path):
    ran: list[str] = []
    base = study_sweep("fig3", quick=True)

    def counting(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
        ran.append(task.key)
        return base.function(task, settings)

    sweep = replace(base, function=counting)
    cut = run_sweep(sweep, tmp_path / "cut", workers=0, max_tasks=7)
    assert cut.executed == 7 and cut.files == () and not cut.complete
    assert sweep_status(sweep, tmp_path / "cut").done == 7
    assert not (tmp_path / "cut" / "fig3_eds.csv").exists()
    first = list(ran)
    rest = run_sweep(sweep, tmp_path / "cut", workers=0)
    assert rest.complete and rest.executed == len(sweep.tasks) - 7
    # every task ran exactly once over the two runs, the finished ones were not redone
    assert sorted(ran) == sorted(sweep.keys()) and not set(first) & set(ran[7:])
    whole = run_sweep(base, tmp_path / "whole", workers=0)
    assert whole.executed == len(base.tasks)
    cut_csv = (tmp_path / "cut" / "fig3_eds.csv").read_text()
    assert cut_csv == (tmp_path / "whole" / "fig3_eds.csv").read_text()
    # the table keeps the study's order, not the order tasks finished in
    frame = pd.read_csv(tmp_path / "cut" / "fig3_eds.csv")
    assert list(frame.depth) == sorted(frame.depth)
    again = run_sweep(sweep, tmp_path / "cut", workers=0)  # nothing left: files from the store
    assert again.executed == 0 and again.complete
    assert (tmp_path / "cut" / "fig3_eds.csv").read_text() == cut_csv


def test_ctrl_c_stops_the_run_and_no_cut_short_row_is_stored(tmp_path):
    tasks = tuple(Task.make("stop", {"x": x}) for x in range(5))
    sweep = Sweep("stop", tasks, _interrupting, {}, _write)
    # a process started in the background of a shell ignores SIGINT: hear it here anyway
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(sweep, tmp_path, workers=0)
    finally:
        signal.signal(signal.SIGINT, old)
    rows = Store(store_path(tmp_path, "stop")).read(sweep.version)
    assert sorted(rows) == ["x=0/rep=0", "x=1/rep=0"]
    assert all(r.row["x"] >= 0 for r in rows.values())


def test_failing_task_is_recorded_the_rest_complete_and_retry_reruns_only_it(tmp_path):
    (tmp_path / "flag").touch()
    sweep = _squares(tmp_path)
    first = run_sweep(sweep, tmp_path, workers=0)
    assert first.executed == 6 and first.status.done == 5 and not first.complete
    [(key, error)] = first.status.failed
    assert key == "x=3/rep=0" and "RuntimeError: x = 3 is broken" in error
    assert first.files == () and not (tmp_path / "squares.csv").exists()
    again = run_sweep(sweep, tmp_path, workers=0)  # failures are not rerun unless asked
    assert again.executed == 0 and len(again.status.failed) == 1
    (tmp_path / "flag").unlink()
    retry = run_sweep(sweep, tmp_path, workers=0, retry_failed=True)
    assert retry.executed == 1 and retry.complete and retry.status.failed == ()
    assert _runs(tmp_path) == [f"x={x}/rep=0" for x in range(6)] + ["x=3/rep=0"]
    frame = pd.read_csv(tmp_path / "squares.csv")
    assert frame.y.tolist() == [0, 1, 4, 9, 16, 25]


def test_a_new_code_version_starts_a_new_series(tmp_path, monkeypatch):
    old = run_sweep(_squares(tmp_path, scale=1), tmp_path, workers=0)
    assert old.complete and pd.read_csv(tmp_path / "squares.csv").y.tolist()[2] == 4
    new_sweep = _squares(tmp_path, scale=10)
    new_version = new_sweep.version
    assert new_version != old.status.version
    new = run_sweep(new_sweep, tmp_path, workers=0)
    assert new.executed == 6  # nothing reused from the other series
    assert pd.read_csv(tmp_path / "squares.csv").y.tolist() == [0, 10, 40, 90, 160, 250]
    assert new.status.other_versions == {old.status.version: 6}
    # changed code with the same settings and package version is a new series too
    import qdcopt.sweeps.tasks as tasks

    monkeypatch.setattr(tasks, "source_digest", lambda: "other code")
    edited = _squares(tmp_path, scale=10)
    assert edited.version != new_version and edited.version.startswith(qdcopt.__version__)
    assert sweep_status(edited, tmp_path).done == 0
    monkeypatch.undo()
    assert _squares(tmp_path, scale=10).version == new_version  # the same code: resumes
    # a new package version with the same settings is a new series too
    monkeypatch.setattr(qdcopt, "__version__", "9.9.9")
    bumped = _squares(tmp_path, scale=10)
    assert bumped.version.startswith("9.9.9+") and bumped.version != new_version
    assert sweep_status(bumped, tmp_path).done == 0


def test_half_written_or_broken_files_do_not_count(tmp_path):
    sweep = _squares(tmp_path)
    run_sweep(sweep, tmp_path, workers=0, max_tasks=2)
    store = Store(store_path(tmp_path, "squares"))
    folder = store.series(sweep.version)
    good = sorted(folder.glob("part-*.parquet"))[0]
    data = good.read_bytes()
    # a run killed while writing leaves a temporary file, and a damaged file may lie there
    (folder / ".part-x.parquet.tmp").write_bytes(data[: len(data) // 2])
    (folder / "part-99999999999999999999-1-000000.parquet").write_bytes(data[: len(data) // 2])
    assert set(store.read(sweep.version)) == {"x=0/rep=0", "x=1/rep=0"}
    rest = run_sweep(sweep, tmp_path, workers=0)
    assert rest.executed == 4 and rest.complete
    assert not (folder / ".part-x.parquet.tmp").exists()


def test_a_second_run_on_the_same_store_is_refused(tmp_path):
    sweep = _squares(tmp_path)
    store = Store(store_path(tmp_path, "squares"))
    with store.lock("study squares"), pytest.raises(ValueError, match="already running"):
        run_sweep(sweep, tmp_path, workers=0)


def test_seeds_come_from_the_study_seed_and_the_key_only():
    assert derive_seed(0, "jobs=2", 3) == derive_seed(0, "jobs=2", 3)
    seeds = {derive_seed(s, "jobs=2", r) for s in range(3) for r in range(50)}
    assert len(seeds) == 150 and all(0 <= s < 2**32 for s in seeds)
    assert derive_seed(0, 1.0) != derive_seed(0, 1)  # floats keep their type in the key
    a = study_sweep("fig5", seed=2, repetitions=3)
    b = study_sweep("fig5", seed=2, repetitions=5)  # more repetitions: same first tasks
    assert a.version == b.version and set(a.tasks) < set(b.tasks)
    assert {t.seed for t in a.tasks if t.repetition == 1} == {2001}
    assert a.tasks[0].key == "jobs=2/method=sequential/rep=0"
    assert study_sweep("fig5", seed=3).version != a.version


def test_duplicate_keys_and_bad_rows_are_refused(tmp_path):
    task = Task.make("s", {"x": 1})
    with pytest.raises(ValueError, match="share the key"):
        Sweep("s", (task, task), _square)
    bad = Sweep("s", (task,), lambda t, s: {"_x": 1})
    assert "must not start with '_'" in run_sweep(bad, tmp_path, workers=0).status.failed[0][1]
    obj = Sweep("s", (task,), lambda t, s: {"x": [1]})
    assert "TypeError" in run_sweep(obj, tmp_path / "o", workers=0).status.failed[0][1]


def test_a_store_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".sweeps").write_text("a file where the store's folder goes")
    with pytest.raises(ValueError, match=r"cannot keep the store of study squares .*"
                       r"Not a directory"):
        run_sweep(_squares(tmp_path), tmp_path / "out", workers=0)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is an existing file"):
        run_sweep(_squares(tmp_path), tmp_path / "file", workers=0)
