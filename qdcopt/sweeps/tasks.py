"""Tasks and sweeps as plain data: what a study declares, and how each task gets its seed.

A :class:`Task` is one point of a study (its parameters), one method and one repetition,
with the seed it runs with.  Its :attr:`Task.key` names it in the results store; the seed is
derived from the study's seed and the key, never from the order in which tasks run or the
worker that runs them.  A :class:`Sweep` is a study's tasks, the one function that runs a
task and returns its row, the settings every task shares, and the function that writes the
study's files from the finished rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np

Scalar = str | int | float | bool
"""A value of a point parameter or of a row cell (``None`` is also allowed in rows)."""

Row = dict[str, Any]
TaskFunction = Callable[["Task", Mapping[str, Any]], Mapping[str, Any]]
WriteFunction = Callable[[Any, Path], list[Path]]


def _text(value: Scalar) -> str:
    # repr keeps every digit of a float, so two distinct points never share a key
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Task:
    """One task of a study: a point, a method and a repetition, with its seed.

    Attributes
    ----------
    study
        The study's name.
    point
        The point's parameters as ``(name, value)`` pairs, in the study's order.
    method
        The method this task runs (``""`` when the study has none).
    repetition
        The repetition number (0 when the study does not repeat).
    seed
        The seed the task runs with (see :func:`derive_seed`).
    """

    study: str
    point: tuple[tuple[str, Scalar], ...]
    method: str = ""
    repetition: int = 0
    seed: int = 0

    @classmethod
    def make(cls, study: str, point: Mapping[str, Scalar], *, method: str = "",
             repetition: int = 0, seed: int = 0) -> Task:
        """A task from a point given as a mapping (its order is kept)."""
        return cls(study, tuple(point.items()), method, repetition, seed)

    @property
    def key(self) -> str:
        """The task's name in the store: point, method and repetition, never the seed."""
        parts = [f"{name}={_text(value)}" for name, value in self.point]
        if self.method:
            parts.append(f"method={self.method}")
        parts.append(f"rep={self.repetition}")
        return "/".join(parts)

    def __getitem__(self, name: str) -> Scalar:
        for key, value in self.point:
            if key == name:
                return value
        raise KeyError(name)

    def params(self) -> dict[str, Scalar]:
        """The point's parameters as a dictionary."""
        return dict(self.point)


def tasks_from_dicts(study: str, tasks: Iterable[Mapping[str, Scalar | None]],
                     ) -> tuple[Task, ...]:
    """Tasks of a study that lists its tasks as plain dictionaries.

    Every entry but ``seed`` (the task's seed) and ``study`` becomes a point parameter, in
    the dictionary's order; :func:`task_dict` gives the dictionary back.
    """
    out = []
    for entry in tasks:
        point = {k: v for k, v in entry.items() if k not in ("seed", "study")}
        out.append(Task.make(study, point, seed=int(entry.get("seed", 0))))
    return tuple(out)


def task_dict(task: Task) -> dict[str, Scalar | None]:
    """The plain dictionary a task of :func:`tasks_from_dicts` was made from."""
    return {**task.params(), "study": task.study, "seed": task.seed}


def dict_sweep(study: str, entries: Iterable[Mapping[str, Scalar | None]],
               row: Callable[[dict[str, Any]], Mapping[str, Any]],
               write: WriteFunction, settings: Mapping[str, Any], group: int = 1) -> Sweep:
    """The sweep of a study that lists its tasks as plain dictionaries and turns each into
    a row with ``row(entry)`` (a module-level function, so that workers can receive it)."""
    return Sweep(study, tasks_from_dicts(study, entries), partial(_dict_row, row), settings,
                 write, group)


def _dict_row(row: Callable[[dict[str, Any]], Mapping[str, Any]], task: Task,
              settings: Mapping[str, Any]) -> Mapping[str, Any]:
    return row(task_dict(task))


def write_table(frame: Any, out_dir: Path, stem: str,
                plot: Callable[[Any, Path], None] | None = None) -> list[Path]:
    """``STEM.csv`` (and ``STEM.png`` drawn by ``plot``) in ``out_dir``: the usual files of
    a study with one table."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / f"{stem}.csv"]
    frame.to_csv(files[0], index=False, float_format="%.6g")
    if plot is not None:
        files.append(out_dir / f"{stem}.png")
        plot(frame, files[1])
    return files


def derive_seed(study_seed: int, *key: Scalar) -> int:
    """A 32-bit seed from the study's seed and a task key, stable across runs and machines.

    The key parts are hashed (SHA-256 of their text) and mixed with the study seed by
    :class:`numpy.random.SeedSequence`, so nearby keys give unrelated seeds.  Pass the parts
    that should share a random instance: e.g. the point and the repetition but not the
    method, so that every method of one point and repetition sees the same instance.
    """
    digest = hashlib.sha256("/".join(_text(k) for k in key).encode()).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return int(np.random.SeedSequence([int(study_seed), *words]).generate_state(1)[0])


@cache
def source_digest() -> str:
    """SHA-256 of the package's Python sources (relative paths and contents, in path
    order): what code made a row."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def code_version(settings: Mapping[str, Any]) -> str:
    """The package version and a hash of the settings that shape every row and of the
    package's sources.

    Rows stored under one version are never mixed with rows of another: changing the
    package version, the study seed, any setting or any line of the package's code starts
    a new series in the store (a row made by other code is not the row this code makes, so
    a resumed sweep never mixes the two; an interrupted sweep resumes as long as the code
    stays the same).
    """
    from qdcopt import __version__

    text = json.dumps(dict(settings), sort_keys=True, default=str) + source_digest()
    return f"{__version__}+{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class Sweep:
    """A study as data: its tasks, the task function, shared settings and the writer.

    Attributes
    ----------
    study
        The study's name (also its folder in the store).
    tasks
        Every task, in the order of the study's table.
    function
        ``function(task, settings) -> row``: a module-level function (workers import it),
        pure apart from measured run times; a row maps column names (not starting with
        ``_``) to ``str``, ``int``, ``float``, ``bool`` or ``None``.
    settings
        JSON-able values every task shares and that shape the rows (the study seed,
        sizes, time limits); hashed into :attr:`version`.  What only chooses *which*
        tasks exist (e.g. the number of repetitions) stays out, so that asking for more
        repetitions later reuses the finished ones.
    write
        ``write(frame, out_dir) -> files``: the study's CSV and PNG files from the table
        of every task's row, in task order.
    group
        Consecutive tasks sent to a worker together, at least (for tasks that share a
        costly set-up cached per process); the runner also groups tasks shorter than a
        scheduling round trip on its own, from the run times it sees.
    """

    study: str
    tasks: tuple[Task, ...]
    function: TaskFunction
    settings: Mapping[str, Any] = field(default_factory=dict)
    write: WriteFunction | None = None
    group: int = 1

    def __post_init__(self) -> None:
        keys = [t.key for t in self.tasks]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise ValueError(f"study {self.study}: two tasks share the key {dup!r}")
        if self.group < 1:
            raise ValueError(f"study {self.study}: group must be at least 1, got {self.group}")

    @property
    def version(self) -> str:
        """See :func:`code_version`."""
        return code_version(self.settings)

    def keys(self) -> Sequence[str]:
        """The task keys, in task order."""
        return [t.key for t in self.tasks]
