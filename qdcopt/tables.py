"""Plans as folders of CSV files plus a ``plan.json`` manifest.

A family's plan turns itself into named DataFrames (``to_tables``) and back
(``from_tables``); this module writes and reads such a folder.  Writing goes to a
temporary sibling folder first and is moved into place at the end, so an interrupted
or failed write never leaves a half-written plan behind (and the next write to the same
place removes what a killed one left).

Long module, on purpose: the plan-folder format; the reader must accept exactly what
the writer produces (names, columns, staging, fingerprints), so both stay side by side.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.errors import InstanceError

MANIFEST = "plan.json"
FORMAT_VERSION = 1


class OutputPathError(ValueError):
    """An output folder that cannot be written without touching what the user has there
    (a file in its place or above it, a folder that is not one qdcopt writes)."""


def check_output(folder: str | Path, option: str = "--out") -> Path:
    """Refuse an output folder that would replace or hide a file, before any work is done.

    Parameters
    ----------
    folder
        Where a command will write its folder.
    option
        The option that named it, for the message.

    Returns
    -------
    Path
        ``folder`` as a path.

    Raises
    ------
    OutputPathError
        When ``folder`` is an existing file (or anything else that is not a folder), or
        lies under one (``file/sub``): writing there would fail half-way or move the
        file aside.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{option} {folder}: is an existing file; {option} must name "
                              "a folder (new or existing), nothing was written")
    for parent in folder.absolute().parents:
        if parent.exists() and not parent.is_dir():
            shown = _shown(parent, folder)
            raise OutputPathError(f"{option} {folder}: lies under the file {shown}; "
                                  f"{option} must name a folder, nothing was written")
        if parent.is_dir():  # the nearest folder that exists must take new entries
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputPathError(f"{option} {folder}: the folder {_shown(parent, folder)} "
                                      "is not writable, nothing was written")
            break
    return folder


def _shown(parent: Path, folder: Path) -> Path:
    """``parent`` spelt as the user spelt ``folder`` (relative when they gave it so)."""
    if folder.is_absolute():
        return parent
    for candidate in folder.parents:
        if candidate.absolute() == parent:
            return candidate
    return parent


def _is_plan_folder(folder: Path) -> bool:
    """Whether ``folder`` holds only what :func:`write_folder` writes (a manifest and CSV
    tables), so that replacing it as a whole loses nothing else."""
    entries = list(folder.iterdir())
    return (folder / MANIFEST).is_file() and all(
        e.is_file() and (e.name == MANIFEST or e.suffix == ".csv") for e in entries)


def write_folder(folder: str | Path, family: str, tables: Mapping[str, pd.DataFrame],
                 meta: Mapping[str, Any]) -> Path:
    """Write ``tables`` as ``<name>.csv`` files and a manifest into ``folder`` atomically.

    Parameters
    ----------
    folder
        Target folder; replaced as a whole if it is an earlier plan folder (or empty).
    family
        Problem family of the plan (``"datacenter"``, ``"network"``...).
    tables
        Name → DataFrame; each becomes ``name.csv``.
    meta
        JSON-serialisable extra content of the manifest (method, solve info, ...).

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    OutputPathError
        When ``folder`` is a file or lies under one, or is a folder holding anything but
        a plan: nothing is written and nothing there is moved.
    """
    folder = check_output(folder)
    if folder.is_dir() and any(folder.iterdir()) and not _is_plan_folder(folder):
        raise OutputPathError(f"--out {folder}: is a folder holding other files than a plan; "
                              "a plan replaces its folder as a whole, so choose a new or "
                              "empty folder (nothing was written)")
    with staging(folder, replace=True) as tmp:
        files = {}
        for name, frame in tables.items():
            file = f"{name}.csv"
            frame.to_csv(tmp / file, index=False)
            files[name] = file
        manifest = {"format_version": FORMAT_VERSION, "family": family, "tables": files,
                    **dict(meta)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


_TMP = "partial"
"""Marker in the names of the hidden folders a write uses: ``.<name>.partial-<pid>-<n>``."""


@contextmanager
def staging(folder: str | Path, *, option: str = "--out",
            replace: bool = False) -> Iterator[Path]:
    """The one way qdcopt writes an output folder: into a fresh hidden sibling, put in
    place only when the block ends without an error.

    The block writes into the folder it is given.  On success, when ``folder`` does not
    exist the sibling is renamed to it (one atomic step); when it exists, every entry of
    the sibling replaces the entry of the same name in it (a file by one rename, a plan
    folder as a whole), and whatever else the folder holds is kept.  On an error or
    Ctrl-C the sibling is removed and ``folder`` is left as it was.

    Parameters
    ----------
    folder
        The output folder.
    option
        The option that named it, for messages.
    replace
        Replace an existing ``folder`` as a whole instead of merging into it (for plan
        folders, whose every file the new plan rewrites).

    Yields
    ------
    Path
        The hidden sibling to write into.

    Raises
    ------
    OutputPathError
        Before the block runs, when ``folder`` is a file or lies under one; after it,
        when an entry written would replace a file by a folder, a folder by a file, or a
        folder that holds more than a plan (nothing is moved then).
    """
    given = check_output(folder, option)
    # siblings are named after the folder's own name, so "." and "a/.." are spelt out
    folder = Path(os.path.normpath(given.absolute()))
    if replace and folder.is_symlink():  # the folder it points to is replaced, not the link
        folder = folder.resolve()
    if not folder.name:
        raise OutputPathError(f"{option} {given}: cannot write into the root folder")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder)
        tmp = _new_temporary(folder)
    except OSError as exc:
        raise OutputPathError(f"{option} {given}: cannot be written "
                              f"({exc.strerror or exc}), nothing was written") from None
    try:
        yield tmp
        if folder.is_dir() and replace and any(folder.iterdir()):
            _swap(tmp, folder)
        elif folder.is_dir():
            _check_merge(tmp, folder, option)
            _merge(tmp, folder)
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_merge(src: Path, dst: Path, option: str) -> None:
    """Refuse a merge that would replace something of another kind, before any move."""
    for entry in src.iterdir():
        target = dst / entry.name
        if not target.exists() and not target.is_symlink():
            continue
        if entry.is_dir() != target.is_dir():
            kind = "a folder" if target.is_dir() else "a file"
            raise OutputPathError(f"{option} {dst}: {target} is {kind} of the same name as "
                                  f"what would be written there; nothing was written")
        if entry.is_dir():
            if (entry / MANIFEST).is_file():
                if any(target.iterdir()) and not _is_plan_folder(target):
                    raise OutputPathError(
                        f"{option} {dst}: {target} holds other files than a plan and "
                        "would be replaced by one; nothing was written")
            else:
                _check_merge(entry, target, option)


def _merge(src: Path, dst: Path) -> None:
    """Move every entry of ``src`` into ``dst``: files and plan folders replace their
    namesakes, other folders are merged entry by entry."""
    for entry in src.iterdir():
        target = dst / entry.name
        if not target.exists():
            os.replace(entry, target)
        elif entry.is_dir() and (entry / MANIFEST).is_file():
            _swap(entry, target)
        elif entry.is_dir():
            _merge(entry, target)
        else:
            os.replace(entry, target)


def _swap(new: Path, folder: Path) -> None:
    """Put folder ``new`` in the place of folder ``folder``, then remove the old one."""
    old = folder.with_name(f".{folder.name}.{_TMP}-{os.getpid()}-old")
    if old.exists():
        shutil.rmtree(old)
    os.replace(folder, old)
    try:
        os.replace(new, folder)
    except BaseException:
        os.replace(old, folder)
        raise
    shutil.rmtree(old)


def written(paths: Iterable[str | Path], tmp: Path, folder: Path) -> list[Path]:
    """The paths under ``folder`` of files a block of :func:`staging` wrote under ``tmp``.

    Parameters
    ----------
    paths
        Files as the writer returned them (under ``tmp``).
    tmp
        The hidden sibling the block wrote into.
    folder
        The output folder, as the user named it.

    Returns
    -------
    list of Path
        Each file where it is once the block has ended (paths not under ``tmp`` are kept).
    """
    out = []
    for p in paths:
        p = Path(p)
        try:
            out.append(folder / p.relative_to(tmp))
        except ValueError:
            out.append(p)
    return out


def _new_temporary(folder: Path) -> Path:
    """A new hidden sibling of ``folder``, made with the mode any new folder gets (the
    umask applies), not the owner-only mode of :func:`tempfile.mkdtemp`."""
    for n in range(10_000):
        tmp = folder.with_name(f".{folder.name}.{_TMP}-{os.getpid()}-{n}")
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {folder}")


def _remove_stale(folder: Path) -> None:
    """Remove the hidden folders left beside ``folder`` by a write whose process was
    killed (its process no longer exists); only folders are removed, never a file."""
    for path in folder.parent.glob(f".{glob.escape(folder.name)}.{_TMP}-*"):
        try:
            pid = int(path.name[len(folder.name) + len(_TMP) + 3:].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid) and path.is_dir() \
                and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def read_folder(folder: str | Path) -> tuple[str, dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a plan folder written by :func:`write_folder`.

    Returns
    -------
    (family, tables, manifest)
        Every table's columns are strings (empty cells are ``""``).

    Raises
    ------
    InstanceError
        When the folder, the manifest or one of its tables is missing or unreadable, the
        manifest has another format version, or a table lies outside the folder.
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if folder.is_file():
        raise InstanceError(folder, "", "is a file, expected a plan folder")
    if not folder.is_dir():
        raise InstanceError(folder, "", "plan folder does not exist")
    if not manifest_path.is_file():
        raise InstanceError(manifest_path, "", "plan manifest is missing")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceError(manifest_path, "", f"is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise InstanceError(manifest_path, "", "must hold a JSON object")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise InstanceError(manifest_path, "format_version",
                            f"must be {FORMAT_VERSION} (the plan format this qdcopt reads), "
                            f"got {version!r}")
    family = manifest.get("family")
    if not isinstance(family, str):
        raise InstanceError(manifest_path, "family", "must be a string naming the problem family")
    files = manifest.get("tables")
    if not isinstance(files, dict):
        raise InstanceError(manifest_path, "tables", "must map table names to CSV files")
    tables: dict[str, pd.DataFrame] = {}
    inside = folder.resolve()
    for name, file in files.items():
        if not isinstance(file, str) or not file:
            raise InstanceError(manifest_path, f"tables.{name}",
                                f"must name a CSV file in the plan folder, got {file!r}")
        path = folder / file
        # a manifest names files of its own folder; following "../x" or "/etc/x" would
        # read (and report on) files the plan does not own
        if not path.resolve().is_relative_to(inside):
            raise InstanceError(manifest_path, f"tables.{name}",
                                f"must name a file inside the plan folder, got {file!r}")
        if not path.is_file():
            raise InstanceError(path, "", f"table {name!r} named in the manifest is missing")
        tables[name] = _read_table(path)
    return family, tables, manifest


def _read_table(path: Path) -> pd.DataFrame:
    """One plan table as text columns, every row as long as the header.

    The csv module reads it rather than pandas, which would take a row with one cell too
    many as an index column without a word.
    """
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = [row for row in csv.reader(f) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstanceError(path, "", f"is not a readable CSV table ({exc})") from None
    if not rows:
        if path.stat().st_size == 0:
            # a written table holds at least its header line (or a blank line when it has
            # no columns), so an empty file was truncated or replaced
            raise InstanceError(path, "", "is empty: a plan table holds at least its header "
                                          "line")
        return pd.DataFrame()
    header = rows[0]
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise InstanceError(path, dup, "column appears twice in the header")
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InstanceError(path, f"row {i}",
                                f"has {len(row)} cells, the header has {len(header)}")
    return pd.DataFrame(rows[1:], columns=header, dtype=str)


def require_columns(frame: pd.DataFrame, columns: list[str], file: str | Path) -> None:
    """Raise :class:`InstanceError` unless ``frame`` has every column in ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame.columns) > 0:
        raise InstanceError(file, missing[0], "required column is missing")


def int_column(frame: pd.DataFrame, column: str, file: str | Path) -> np.ndarray:
    """Column ``column`` of a text table as exact int64 values.

    Parsing the text directly (not through float) keeps tick counts above 2**53 exact.

    Raises
    ------
    InstanceError
        Naming the first cell that is not an integer.
    """


    series = frame[column].astype(str).str.strip()
    try:
        return series.astype(np.int64).to_numpy()
    except (ValueError, OverflowError, TypeError):
        pass
    for i, text in enumerate(series.tolist()):
        try:
            int(text)
        except ValueError:
            raise InstanceError(file, f"row {i + 2}.{column}",
                                f"must be an integer, got {text!r}") from None
    raise InstanceError(file, column, "holds an integer too large for 64 bits")


_NOT_IDENTITY = ("file", "description", "name")
"""Fields of an instance that do not change what a plan must satisfy (where it was read
from, its prose, its label): left out of its fingerprint."""


def fingerprint(instance: Any) -> str:
    """A short digest of everything in ``instance`` a plan depends on.

    Two loads of the same content give the same digest, in any process and from any path
    (the file name, the description and the instance's name are left out); a change to any
    node, link, request, rate or setting changes it.  Plan folders record it, so that a
    plan is not executed against another instance.

    Parameters
    ----------
    instance
        A loaded instance of any family (a frozen dataclass).

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    import dataclasses
    import hashlib

    digest = hashlib.sha256()

    def feed(obj: Any, depth: int) -> None:
        digest.update(f"<{type(obj).__name__}>".encode())
        if depth > 40:  # an object that refers back to itself: its type is enough
            return
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                if depth == 0 and f.name in _NOT_IDENTITY:
                    continue
                digest.update(f.name.encode())
                feed(getattr(obj, f.name), depth + 1)
        elif isinstance(obj, Mapping):
            items = sorted(obj.items(), key=lambda kv: repr(kv[0]))
            for key, value in items:
                feed(key, depth + 1)
                feed(value, depth + 1)
        elif isinstance(obj, (list, tuple)):
            digest.update(str(len(obj)).encode())
            for item in obj:
                feed(item, depth + 1)
        elif isinstance(obj, (set, frozenset)):  # their order changes between processes
            for text in sorted(repr(item) for item in obj):
                digest.update(text.encode())
        elif isinstance(obj, np.ndarray):
            digest.update(f"{obj.dtype}{obj.shape}".encode())
            digest.update(np.ascontiguousarray(obj).tobytes() if obj.dtype != object
                          else repr(obj.tolist()).encode())
        elif isinstance(obj, (pd.DataFrame, pd.Series)):
            digest.update(repr(list(getattr(obj, "columns", [obj.name]))).encode())
            digest.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())
        elif obj is None or isinstance(obj, (str, int, float, bool, complex, Path,
                                             np.generic)):
            digest.update(repr(obj).encode())
        elif hasattr(obj, "__dict__"):
            feed(vars(obj), depth + 1)
        else:  # no content to read: the type alone (never an address, which changes)
            text = repr(obj)
            if " at 0x" not in text:
                digest.update(text.encode())

    feed(instance, 0)
    return digest.hexdigest()[:16]
