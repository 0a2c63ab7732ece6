"""Cost of the sweep runner: overhead per task, and a study's wall time on 1 and 2 workers.

Part 1 runs a sweep of ``--tasks`` trivial tasks (each returns one small row) through
:func:`qdcopt.sweeps.run_sweep` into a fresh store, in this process and on a local Dask
cluster of ``--overhead-workers`` workers (with the runner grouping short tasks on its
own, and with groups of ``--group`` declared by the sweep); the overhead per task is the
whole wall time (cluster start and stop, store writes, the final read) divided by the
number of tasks.

Part 2 runs ``qdcopt study STUDY`` (``--study``, ``--repetitions``, ``--quick``) once per
worker count in ``--worker-counts`` into fresh folders, prints each wall time and the
speed-up over the first, and checks that the tables agree (apart from measured run times).
Progress goes to stderr.

One case per mode of part 1 and per worker count of part 2, run one after another in
this process by the sweep runner (see :mod:`qdcopt.sweeps.bench`), since each starts its
own cluster.

Usage: ``qdcopt bench sweeps [--tasks 10000] [--group 100] [--overhead-workers 2]
[--study fig5] [--repetitions 2] [--quick] [--worker-counts 1 2] [--skip-overhead]
[--skip-study]`` or ``python benchmarks/bench_sweeps.py …``
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.studies import study_sweep
from qdcopt.sweeps import Sweep, Task, derive_seed, make_progress, run_sweep
from qdcopt.sweeps.bench import bench_main

IN_PROCESS = True
"""Each case starts a local cluster of its own."""

TIME_COLUMNS = ("time_s",)
MODES = ("in-process", "own-grouping", "declared-groups")
"""Part 1: in this process; on a cluster, groups chosen by the runner or by the sweep."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options (``--worker-counts``: the runner has ``--workers``)."""
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--group", type=int, default=100)
    parser.add_argument("--overhead-workers", type=int, default=2)
    parser.add_argument("--study", default="fig5")
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker-counts", type=int, nargs="+", default=[1, 2],
                        help="worker counts of part 2, the first the speed-ups' reference")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-study", action="store_true")


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One case per mode of part 1, then one per worker count of part 2."""
    if args.tasks < 1 or args.group < 1 or min(args.worker_counts) < 0:
        raise ValueError("--tasks and --group must be positive, --worker-counts 0 or more")
    out: list[dict[str, Any]] = []
    if not args.skip_overhead:
        w = args.overhead_workers
        out += [{"part": "overhead", "mode": mode, "tasks": args.tasks, "workers": workers,
                 "group": group}
                for mode, workers, group in (("in-process", 0, 1), ("own-grouping", w, 1),
                                             ("declared-groups", w, args.group))]
    if not args.skip_study:
        reps = args.repetitions if args.study == "fig5" else None
        study_sweep(args.study, quick=args.quick, repetitions=reps)  # a bad name fails here
        out += [{"part": "study", "study_name": args.study, "workers": w,
                 "repetitions": reps or 0, "quick": bool(args.quick)}
                for w in args.worker_counts]
    return out


def trivial(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A task that does nothing but return its row."""
    return {"x": task["x"], "seed": task.seed}


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """The wall time of the trivial sweep in one mode, or of the study on one worker
    count (with a hash of its table, run times aside)."""
    if case["part"] == "overhead":
        return _overhead(int(case["tasks"]), int(case["workers"]), int(case["group"]))
    if case["part"] == "study":
        return _study(str(case["study_name"]), int(case["workers"]),
                      int(case["repetitions"]) or None, bool(case["quick"]))
    raise ValueError(f"unknown part {case['part']!r}")


def _overhead(n: int, workers: int, group: int) -> dict[str, Any]:
    """The runner's wall time on ``n`` trivial tasks."""
    tasks = tuple(Task.make("trivial", {"x": x}, seed=derive_seed(0, x)) for x in range(n))
    sweep = Sweep("trivial", tasks, trivial, {"n": n}, None, group=group)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_sweep(sweep, Path(tmp), workers=workers, progress=make_progress())
        wall = time.perf_counter() - t0
    if result.status.done != n:
        raise RuntimeError(f"{result.status.done} of {n} trivial tasks done")
    return {"wall_s": wall}


def _study(name: str, workers: int, repetitions: int | None, quick: bool) -> dict[str, Any]:
    """The study's wall time on ``workers`` workers, and what its table holds."""
    sweep = study_sweep(name, quick=quick, repetitions=repetitions)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_sweep(sweep, Path(tmp), workers=workers, progress=make_progress())
        wall = time.perf_counter() - t0
        if not result.complete:
            raise RuntimeError(f"study {name}: failed tasks {result.status.failed}")
        table = pd.read_csv(result.files[0])
    table = table.drop(columns=[c for c in TIME_COLUMNS if c in table.columns])
    return {"study_tasks": len(sweep.tasks), "wall_s": wall, "table_hash": _table_hash(table)}


def _table_hash(table: pd.DataFrame) -> str:
    """Equal for tables that :meth:`pandas.DataFrame.equals` finds equal (both read from
    a CSV file): their columns, dtypes and values."""
    dtypes = ",".join(f"{c}:{t}" for c, t in table.dtypes.items())
    text = f"{dtypes}\n{table.to_csv(index=False)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def show(frame: Any, args: argparse.Namespace) -> None:
    """Part 1's line per mode; part 2's line per worker count, and whether the tables
    agree."""
    if frame.empty:  # both parts skipped
        return
    for r in frame[frame["part"] == "overhead"].itertuples():
        n, w, wall = int(r.tasks), int(r.workers), r.wall_s
        label = {"in-process": "in this process",
                 "own-grouping": f"local cluster, {w} workers, runner's own grouping",
                 "declared-groups": f"local cluster, {w} workers, declared groups of "
                                    f"{int(r.group)}"}[r.mode]
        print(f"{n} trivial tasks, {label}: {wall:.2f} s, {1e3 * wall / n:.3f} ms per task")
    study = frame[frame["part"] == "study"]
    if study.empty:
        return
    first = study.iloc[0]
    for r in study.itertuples():
        w, reps = int(r.workers), int(r.repetitions)
        print(f"study {r.study_name} ({int(r.study_tasks)} tasks, repetitions "
              f"{reps or 'default'}{', quick' if bool(r.quick) else ''}), {w} "
              f"worker{'s' if w != 1 else ''}: {r.wall_s:.1f} s; speed-up over "
              f"{int(first.workers)}: {first.wall_s / r.wall_s:.2f}x")
    same = study["table_hash"].nunique() == 1
    print(f"tables equal across worker counts (run times aside): {same}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
