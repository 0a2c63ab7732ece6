"""The results store of a study: one Parquet dataset, one folder per code version.

Layout under the study's output folder::

    .sweeps/<study>/lock                      held while a run writes
    .sweeps/<study>/v<version>/part-*.parquet rows of finished (or failed) tasks

Every append writes a new Parquet file under a temporary name and renames it into place,
so a file either holds whole rows or is not there: a run killed mid-write leaves at most
a ``.tmp`` file, which is never read.  A task counts as done when some file holds a
``done`` record of its key under the current version; a later ``failed`` record of a key
never hides an earlier ``done`` one.  Meta columns start with ``_``: ``_task`` (the task
key), ``_status`` (``done`` or ``failed``), ``_error`` and ``_seconds``; the row's own
columns follow.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

META = ("_task", "_status", "_error", "_seconds")
STORE_DIR = ".sweeps"
_counter = itertools.count()


@dataclass(frozen=True)
class Record:
    """What the store holds for one task under one version."""

    key: str
    status: str
    row: dict[str, Any]
    error: str = ""
    seconds: float = 0.0


def store_path(out_dir: Path, study: str) -> Path:
    """The store folder of ``study`` under ``out_dir``."""
    return Path(out_dir) / STORE_DIR / study


def _table(records: list[dict[str, Any]]) -> pa.Table:
    """One table of records whose rows may hold different columns (a study whose tasks
    return rows of several kinds): the union of the columns, missing cells null.

    ``pa.Table.from_pylist`` alone takes its columns from the first record only.
    """
    names = list(dict.fromkeys(k for r in records for k in r))
    return pa.Table.from_pylist([{k: r.get(k) for k in names} for r in records])


class Store:
    """The Parquet dataset of one study (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def series(self, version: str) -> Path:
        """The folder of one code version's rows."""
        return self.root / f"v{version}"

    def append(self, version: str, records: list[dict[str, Any]]) -> None:
        """Write records (meta columns and row columns) as one new file, atomically."""
        if not records:
            return
        folder = self.series(version)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            tables = [_table(records)]
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            # rows whose cells disagree in type cannot share columns: one file each
            tables = [_table([r]) for r in records]
        for table in tables:
            name = f"part-{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}.parquet"
            tmp = folder / f".{name}.tmp"
            pq.write_table(table, tmp)
            os.replace(tmp, folder / name)

    def read(self, version: str, *, meta_only: bool = False) -> dict[str, Record]:
        """Every task's record under ``version``: done beats failed, the first done wins.

        ``meta_only`` reads the meta columns alone (rows come back empty).
        """
        out: dict[str, Record] = {}
        columns = list(META) if meta_only else None
        for path in self._files(version):
            try:
                rows = pq.ParquetFile(path).read(columns=columns).to_pylist()
            except (OSError, pa.ArrowInvalid):
                continue  # not a whole file: its rows do not count
            for rec in rows:
                key, status = rec.get("_task"), rec.get("_status")
                if not isinstance(key, str) or status not in ("done", "failed"):
                    continue
                old = out.get(key)
                if old is not None and old.status == "done":
                    continue
                row = {k: v for k, v in rec.items() if k not in META} if status == "done" else {}
                out[key] = Record(key, status, row, rec.get("_error") or "",
                                  float(rec.get("_seconds") or 0.0))
        return out

    def versions(self) -> dict[str, int]:
        """Each stored version and the number of its tasks done."""
        if not self.root.is_dir():
            return {}
        found = {}
        for folder in sorted(self.root.glob("v*")):
            if folder.is_dir():
                version = folder.name[1:]
                found[version] = sum(r.status == "done"
                                     for r in self.read(version, meta_only=True).values())
        return found

    def compact(self, version: str, resolved: dict[str, Record] | None = None) -> None:
        """Rewrite a version's files as one (the records :meth:`read` resolves to).

        ``resolved`` is what :meth:`read` just returned, if at hand.
        """
        files = self._files(version)
        if len(files) <= 1:
            return
        resolved = self.read(version) if resolved is None else resolved
        records = [{"_task": r.key, "_status": r.status, "_error": r.error,
                    "_seconds": r.seconds, **r.row} for r in resolved.values()]
        try:
            table = _table(records)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            return  # keep the parts: they are read the same way
        folder = self.series(version)
        name = f"part-{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, folder / name)
        # a crash from here on leaves duplicates of whole records, which read() resolves
        for path in files:
            path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self, what: str) -> Iterator[None]:
        """Hold the store for one run; a second run on the same store is refused.

        Raises
        ------
        ValueError
            When another process holds the store, or its folder cannot be made.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / "lock", "a+")  # noqa: SIM115 - closed below
        except OSError as exc:  # a file where a folder should be, no permission, …
            raise ValueError(f"cannot keep the store of {what} in {self.root}: "
                             f"{exc.strerror or exc}") from None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise ValueError(f"{what} is already running: another process holds "
                                 f"its store {self.root}") from None
            for tmp in self.root.glob("v*/.*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()  # left by a run killed mid-write
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _files(self, version: str) -> list[Path]:
        folder = self.series(version)
        return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
