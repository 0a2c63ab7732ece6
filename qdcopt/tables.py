"""Plans as folders of CSV files plus a ``plan.json`` manifest.

A family's plan turns itself into named DataFrames (``to_tables``) and back
(``from_tables``); this module writes and reads such a folder.  Writing goes to a
temporary sibling folder first and is moved into place at the end, so an interrupted
or failed write never leaves a half-written plan behind (and the next write to the same
place removes what a killed one left).
"""

from __future__ import annotations

import csv
import glob
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.errors import InstanceError

MANIFEST = "plan.json"
FORMAT_VERSION = 1


def write_folder(folder: str | Path, family: str, tables: Mapping[str, pd.DataFrame],
                 meta: Mapping[str, Any]) -> Path:
    """Write ``tables`` as ``<name>.csv`` files and a manifest into ``folder`` atomically.

    Parameters
    ----------
    folder
        Target folder; replaced as a whole if it exists.
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
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    tmp = _new_temporary(folder)
    try:
        files = {}
        for name, frame in tables.items():
            file = f"{name}.csv"
            frame.to_csv(tmp / file, index=False)
            files[name] = file
        manifest = {"format_version": FORMAT_VERSION, "family": family, "tables": files,
                    **dict(meta)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if folder.exists():
            old = folder.with_name(f".{folder.name}.{_TMP}-{os.getpid()}-old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


_TMP = "partial"
"""Marker in the names of the hidden folders a write uses: ``.<name>.partial-<pid>-<n>``."""


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
    killed (its process no longer exists)."""
    for path in folder.parent.glob(f".{glob.escape(folder.name)}.{_TMP}-*"):
        try:
            pid = int(path.name[len(folder.name) + len(_TMP) + 3:].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
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
