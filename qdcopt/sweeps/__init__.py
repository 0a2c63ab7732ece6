"""Studies as resumable parallel sweeps on Dask: tasks as data, a results store, progress.

A study declares its work as plain data and two functions; the runner does the rest (runs
the tasks on a local Dask cluster, an existing one, or in this process; keeps each row in
the study's Parquet store as soon as it comes back; skips what is already stored; reports
progress on stderr; records failures; writes the study's files when the last task ends).

How a study module declares its tasks
-------------------------------------
A module under :mod:`qdcopt.studies` (registered in ``qdcopt.studies.STUDIES``) provides::

    NAME = "figX"

    def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None
              ) -> Sweep:
        settings = {"seed": seed, "quick": quick, "time_limit": 30.0, ...}  # shape rows
        tasks = tuple(
            Task.make(NAME, {"nodes": n, "load": load}, method=m, repetition=r,
                      seed=derive_seed(seed, n, load, r))   # not the method: paired runs
            for n in NODES for load in LOADS for r in range(reps) for m in METHODS)
        return Sweep(NAME, tasks, run_task, settings, write, group=1)

    def run_task(task: Task, settings: Mapping[str, Any]) -> dict[str, Any]:
        # pure: builds the instance from task["nodes"], task.seed, settings...; runs
        # task.method; returns ONE row of str / int / float / bool / None cells
        ...

    def write(frame: pandas.DataFrame, out_dir: Path) -> list[Path]:
        # frame: every task's row in task order; write the CSV (and PNG); return the paths
        ...

Rules: ``run_task`` and ``write`` are module-level (worker processes import them);
``run_task`` uses only its task and the settings — its seed is ``task.seed``, never a
global generator, the task order or the worker; ``settings`` holds everything that changes
the rows (it is hashed, with the package version, into the code version: a change starts
a new series in the store) and nothing that only selects tasks (e.g. the number of
repetitions, so that asking for more later reuses the finished ones); ``quick=True`` gives
a version that runs in seconds for tests; ``group`` > 1 sends at least that many
consecutive tasks to a worker together (tasks that share a costly set-up, cached per
process with ``functools.lru_cache``); tasks of a few milliseconds are grouped by the
runner itself.  A task that raises is recorded as failed with its error, and the study's
files are written only once every task is done.

Running: ``qdcopt study NAME [--workers N | --scheduler ADDRESS] [--retry-failed]
[--status]``, or :func:`run_sweep` (``workers=0`` runs in this process, for tests).
"""

from qdcopt.runs.progress import Progress, make_progress
from qdcopt.sweeps.runner import SweepResult, SweepStatus, run_sweep, sweep_status
from qdcopt.sweeps.store import Store, store_path
from qdcopt.sweeps.tasks import (
    Sweep,
    Task,
    code_version,
    derive_seed,
    dict_sweep,
    task_dict,
    tasks_from_dicts,
    write_table,
)

__all__ = [
    "Progress",
    "Store",
    "Sweep",
    "SweepResult",
    "SweepStatus",
    "Task",
    "code_version",
    "derive_seed",
    "dict_sweep",
    "make_progress",
    "run_sweep",
    "store_path",
    "sweep_status",
    "task_dict",
    "tasks_from_dicts",
    "write_table",
]
