"""Run a sweep's pending tasks on Dask (or in this process) and keep every row at once.

:func:`run_sweep` reads the study's store, runs the tasks not yet done under the current
code version — on a local Dask cluster started and stopped for the run (one
single-threaded worker process per core, so HiGHS and numba do not oversubscribe), on an
existing cluster (``scheduler="tcp://host:8786"``), or in this process
(``workers=0``) — and appends each finished group's rows to the store as soon as it comes
back (``as_completed``).  A task that raises is recorded with its error and the others go
on; a worker that dies has its tasks rerun by Dask.  When no task is left, the study's
files are written from the store.  Stopping the run (Ctrl-C) cancels what is running and
keeps every stored row; running again continues from there.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qdcopt.runs import interrupt
from qdcopt.runs.progress import NoProgress, Progress
from qdcopt.sweeps.store import Record, Store, store_path
from qdcopt.sweeps.tasks import Sweep, Task, TaskFunction
from qdcopt.tables import check_output, staging, written


@dataclass(frozen=True)
class SweepStatus:
    """How far a study is under its current code version."""

    study: str
    version: str
    total: int
    done: int
    failed: tuple[tuple[str, str], ...]
    store: Path
    other_versions: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Tasks neither done nor failed."""
        return self.total - self.done - len(self.failed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {"study": self.study, "version": self.version, "total": self.total,
                "done": self.done, "failed": [{"task": k, "error": e} for k, e in self.failed],
                "pending": self.pending, "store": str(self.store),
                "other_versions": self.other_versions}


@dataclass(frozen=True)
class SweepResult:
    """What one run did."""

    status: SweepStatus
    executed: int
    files: tuple[Path, ...]
    seconds: float

    @property
    def complete(self) -> bool:
        """Every task done and the study's files written."""
        return self.status.done == self.status.total

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {**self.status.to_dict(), "executed": self.executed,
                "files": [str(f) for f in self.files], "seconds": round(self.seconds, 3)}


def sweep_status(sweep: Sweep, out_dir: Path) -> SweepStatus:
    """Done, failed and pending tasks of ``sweep`` in the store under ``out_dir``."""
    store = Store(store_path(out_dir, sweep.study))
    return _status(sweep, store, store.read(sweep.version))


def run_sweep(sweep: Sweep, out_dir: Path, *, workers: int | None = None,
              scheduler: str | None = None, retry_failed: bool = False,
              max_tasks: int | None = None, progress: Progress | None = None) -> SweepResult:
    """Run the pending tasks of ``sweep``; write the study's files once all are done.

    Parameters
    ----------
    sweep
        The study's tasks and functions.
    out_dir
        The study's output folder; the store is ``out_dir/.sweeps/<study>/``.
    workers
        Worker processes of the local cluster (default: one per core); 0 runs the tasks
        in this process, one after another, without Dask.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``) instead of a local
        cluster; its workers must be able to import qdcopt.
    retry_failed
        Also rerun the tasks recorded as failed (otherwise they are reported, not rerun).
    max_tasks
        Run at most this many pending tasks, then stop as an interrupted run would.
    progress
        Where to report (default: nowhere).

    Raises
    ------
    ValueError
        For bad options, or when another run holds the study's store.
    KeyboardInterrupt
        When interrupted; every row finished before is kept in the store.
    """
    if workers is not None and workers < 0:
        raise ValueError(f"--workers must be 0 or more, got {workers}")
    if max_tasks is not None and max_tasks < 0:
        raise ValueError(f"max_tasks must be 0 or more, got {max_tasks}")
    out_dir = check_output(out_dir)
    store = Store(store_path(out_dir, sweep.study))
    version = sweep.version
    progress = progress or NoProgress()
    t0 = time.perf_counter()
    # the first Ctrl-C stops cleanly (tasks cancelled, workers closed: seconds); a second
    # one quits at once, and the rows stored so far still count on the next run
    quits = interrupt.second_sigint_quits(
        f"interrupted again: quit at once; the tasks of {sweep.study} stored in "
        f"{store.root} are kept and the same command continues from there")
    with quits, store.lock(f"study {sweep.study} in {out_dir}"):
        records = store.read(version)
        todo = [t for t in sweep.tasks if t.key not in records
                or (retry_failed and records[t.key].status == "failed")]
        if max_tasks is not None:
            todo = todo[:max_tasks]
        rerun = {t.key for t in todo}
        mine = [records[t.key] for t in sweep.tasks if t.key in records]
        counts = _Counts(sum(r.status == "done" for r in mine),
                         sum(r.status == "failed" and r.key not in rerun for r in mine))
        label = f"{sweep.study} ({len(todo)} to run)"
        executed = 0
        in_process = workers == 0 and scheduler is None
        # the cluster comes first: a scheduler that cannot be reached is said before any
        # progress is shown
        with (_client(workers, scheduler) if todo and not in_process
              else contextlib.nullcontext()) as client:
            progress.start(label, len(sweep.tasks), counts.done + counts.failed)
            try:
                if todo:
                    sink = _Sink(store, version, counts, progress)
                    try:
                        if client is None:
                            settings = dict(sweep.settings)
                            for task in todo:
                                sink(_in_thread(_run_group, sweep.function, settings, [task]))
                        else:
                            _run_dask(client, sweep, todo, sink)
                    finally:
                        sink.close()
                    executed = sink.executed
            finally:
                progress.close()
        records = store.read(version)
        status = _status(sweep, store, records)
        files: tuple[Path, ...] = ()
        if status.done == status.total:
            store.compact(version, records)
            if sweep.write is not None:
                import pandas as pd

                frame = pd.DataFrame([records[t.key].row for t in sweep.tasks])
                # through the one writer: a failed or stopped write leaves no half of the
                # study's files beside the earlier ones
                with staging(out_dir) as tmp:
                    files = tuple(written(sweep.write(frame, tmp), tmp, out_dir))
    return SweepResult(status, executed, files, time.perf_counter() - t0)


@dataclass
class _Counts:
    done: int
    failed: int


class _Sink:
    """Appends finished records to the store and reports progress.

    A record that comes back after a quiet spell (no write for ``interval`` seconds) is
    written at once; records that come back in quick succession are gathered and written
    together by a background thread at most ``interval`` seconds later, so that thousands
    of short tasks do not cost one file each.
    """

    def __init__(self, store: Store, version: str, counts: _Counts, progress: Progress,
                 interval: float = 0.5) -> None:
        self.store, self.version, self.counts, self.progress = store, version, counts, progress
        self.interval = interval
        self.executed = 0
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._last = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def __call__(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            self._buffer.extend(records)
        self.executed += len(records)
        for rec in records:
            if rec["_status"] == "done":
                self.counts.done += 1
            else:
                self.counts.failed += 1
        if time.monotonic() - self._last >= self.interval:
            self.flush()
        self.progress.update(self.counts.done + self.counts.failed, self.counts.failed)

    def flush(self) -> None:
        """Write what is buffered."""
        with self._write_lock:
            with self._lock:
                records, self._buffer = self._buffer, []
            self.store.append(self.version, records)
            self._last = time.monotonic()

    def close(self) -> None:
        """Stop the background writer and write what is left."""
        self._stop.set()
        self._thread.join()
        self.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()


def _status(sweep: Sweep, store: Store, records: Mapping[str, Record]) -> SweepStatus:
    done = failed = 0
    failures = []
    for t in sweep.tasks:
        rec = records.get(t.key)
        if rec is None:
            continue
        if rec.status == "done":
            done += 1
        else:
            failed += 1
            failures.append((t.key, rec.error))
    others = {v: n for v, n in store.versions().items() if v != sweep.version}
    return SweepStatus(sweep.study, sweep.version, len(sweep.tasks), done, tuple(failures),
                       store.root, others)


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"a row cell must be str, int, float, bool or None, got "
                    f"{type(value).__name__} {value!r}")


def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a helper thread, so that Ctrl-C reaches this thread alone.

    Only the main thread hears KeyboardInterrupt; a solver interface that catches it
    (pyomo's HiGHS interface cancels its solve and reports a result) would otherwise store
    a cut-short solve as a finished row.  On Ctrl-C the helper's result is dropped.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="qdcopt-task")
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
    if "error" in box:
        raise box["error"]
    return box["value"]


def _run_group(function: TaskFunction, settings: dict[str, Any],
               tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """Run tasks one after another; a task that raises gives a ``failed`` record."""
    out = []
    for task in tasks:
        t0 = time.perf_counter()
        try:
            row = {str(k): _clean(v) for k, v in dict(function(task, settings)).items()}
            bad = [k for k in row if k.startswith("_")]
            if bad:
                raise ValueError(f"row columns must not start with '_': {bad}")
            out.append({"_task": task.key, "_status": "done", "_error": "",
                        "_seconds": time.perf_counter() - t0, **row})
        except Exception as exc:  # a failing task is recorded, the others go on
            where = traceback.extract_tb(exc.__traceback__)[-1:]
            at = f" ({where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
            out.append({"_task": task.key, "_status": "failed",
                        "_error": f"{type(exc).__name__}: {exc}{at}",
                        "_seconds": time.perf_counter() - t0})
    return out


GROUP_SECONDS = 0.25
"""Tasks shorter than this are sent to a worker in groups that last about this long."""


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client of an existing scheduler, or of a local cluster made for the run."""
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValueError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    else:
        n = workers if workers is not None else _cores()
        # a worker holds only the task it runs (no queue of the next ones): when a task
        # takes its worker down, Dask counts every task on that worker as suspect, and an
        # innocent task queued behind a bad one would be failed with it
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}), \
                warnings.catch_warnings():
            # the scheduler's health endpoint moves off a busy default port by itself
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   scheduler_port=0)
        client = Client(cluster)
        # a terminal's Ctrl-C goes to its whole process group; keep the workers out of it
        # so that only this process hears it and stops the run cleanly
        client.register_plugin(_OwnProcessGroup(), name="qdcopt-own-process-group")
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(client: Any, sweep: Sweep, tasks: list[Task],
              sink: Callable[[list[dict[str, Any]]], None]) -> None:
    from distributed import as_completed

    queue = deque(tasks)
    settings = dict(sweep.settings)
    by_key: dict[str, list[Task]] = {}
    done = as_completed()
    # a few groups in flight per worker keep every worker busy without a round trip in
    # between, and leave the rest unsubmitted, so that a stop cancels little
    window = 3 * max(1, sum(client.nthreads().values()))
    ran, spent = 0, 0.0

    def submit() -> None:
        mean = spent / ran if ran else math.inf
        size = max(sweep.group, min(1000, int(GROUP_SECONDS / mean)) if mean > 0 else 1000)
        group = [queue.popleft() for _ in range(min(size, len(queue)))]
        fut = client.submit(_run_group, sweep.function, settings, group, pure=False)
        by_key[fut.key] = group
        done.add(fut)

    try:
        for _ in range(window):
            if queue:
                submit()
        for batch in done.batches():
            records: list[dict[str, Any]] = []
            ok = [f for f in batch if f.status == "finished"]
            for part in client.gather(ok) if ok else []:
                records.extend(part)
            for fut in batch:
                if fut.status == "finished":
                    continue
                try:  # e.g. KilledWorker: the task took down its worker too often
                    fut.result()
                    error = f"task ended as {fut.status}"
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                records.extend({"_task": t.key, "_status": "failed", "_error": error,
                                "_seconds": math.nan} for t in by_key[fut.key])
            for fut in batch:
                by_key.pop(fut.key, None)
                fut.release()
            timed = [r["_seconds"] for r in records if math.isfinite(r["_seconds"])]
            ran, spent = ran + len(timed), spent + sum(timed)
            sink(records)
            for _ in batch:
                if queue:
                    submit()
    finally:
        for fut in list(done.futures):
            fut.cancel()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - distributed is a dependency
    WorkerPlugin = object  # type: ignore[assignment,misc]


class _OwnProcessGroup(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Moves a local worker process into a process group of its own."""

    def setup(self, worker: Any) -> None:
        with contextlib.suppress(OSError):  # already a group leader
            os.setpgid(0, 0)
