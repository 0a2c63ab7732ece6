"""Cost of the sweep runner: overhead per task, and a study's wall time on 1 and 2 workers.

Part 1 runs a sweep of ``--tasks`` trivial tasks (each returns one small row) through
:func:`qdcopt.sweeps.run_sweep` into a fresh store, in this process and on a local Dask
cluster of ``--overhead-workers`` workers (with the runner grouping short tasks on its
own, and with groups of ``--group`` declared by the sweep); the overhead per task is the
whole wall time (cluster start and stop, store writes, the final read) divided by the
number of tasks.

Part 2 runs ``qdcopt study STUDY`` (``--study``, ``--repetitions``, ``--quick``) once per
worker count in ``--workers`` into fresh folders, prints each wall time and the speed-up
over the first, and checks that the tables agree (apart from measured run times).
Progress goes to stderr.

Usage: ``python benchmarks/bench_sweeps.py [--tasks 10000] [--group 100]
[--overhead-workers 2] [--study fig5] [--repetitions 2] [--quick] [--workers 1 2]
[--skip-overhead] [--skip-study]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.studies import study_sweep
from qdcopt.sweeps import Sweep, Task, derive_seed, make_progress, run_sweep

TIME_COLUMNS = ("time_s",)


def trivial(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A task that does nothing but return its row."""
    return {"x": task["x"], "seed": task.seed}


def overhead(n: int, workers: int, group: int) -> None:
    """Print the runner's wall time per task on ``n`` trivial tasks."""
    tasks = tuple(Task.make("trivial", {"x": x}, seed=derive_seed(0, x)) for x in range(n))
    for label, w, g in (("in this process", 0, 1),
                        (f"local cluster, {workers} workers, runner's own grouping", workers,
                         1),
                        (f"local cluster, {workers} workers, declared groups of {group}",
                         workers, group)):
        sweep = Sweep("trivial", tasks, trivial, {"n": n}, None, group=g)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = run_sweep(sweep, Path(tmp), workers=w, progress=make_progress())
            wall = time.perf_counter() - t0
        assert result.status.done == n, result.status
        print(f"{n} trivial tasks, {label}: {wall:.2f} s, {1e3 * wall / n:.3f} ms per task",
              flush=True)


def study(name: str, worker_counts: list[int], repetitions: int | None, quick: bool) -> None:
    """Print the wall time of one study per worker count, and the speed-ups."""
    sweep = study_sweep(name, quick=quick, repetitions=repetitions)
    walls, tables = [], []
    for w in worker_counts:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = run_sweep(sweep, Path(tmp), workers=w, progress=make_progress())
            wall = time.perf_counter() - t0
            assert result.complete, result.status.failed
            table = pd.read_csv(result.files[0])
        walls.append(wall)
        tables.append(table.drop(columns=[c for c in TIME_COLUMNS if c in table.columns]))
        print(f"study {name} ({len(sweep.tasks)} tasks, repetitions {repetitions or 'default'}"
              f"{', quick' if quick else ''}), {w} worker{'s' if w != 1 else ''}: "
              f"{wall:.1f} s; speed-up over {worker_counts[0]}: {walls[0] / wall:.2f}x",
              flush=True)
    same = all(t.equals(tables[0]) for t in tables[1:])
    print(f"tables equal across worker counts (run times aside): {same}")


def main() -> None:
    """Run both parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--group", type=int, default=100)
    parser.add_argument("--overhead-workers", type=int, default=2)
    parser.add_argument("--study", default="fig5")
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-study", action="store_true")
    args = parser.parse_args()
    if args.tasks < 1 or args.group < 1 or min(args.workers) < 0:
        parser.error("--tasks and --group must be positive, --workers 0 or more")
    if not args.skip_overhead:
        overhead(args.tasks, args.overhead_workers, args.group)
    if not args.skip_study:
        reps = args.repetitions if args.study == "fig5" else None
        study(args.study, args.workers, reps, args.quick)


if __name__ == "__main__":
    main()
