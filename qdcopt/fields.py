"""Reading instance documents field by field, with one clear message per broken rule.

:func:`read_document` reads a TOML or JSON file; :class:`Section` wraps one table of it
and offers typed getters that raise :class:`~qdcopt.errors.InstanceError` naming the
file, the dotted field path and the rule.  Both problem families read their files
through these getters, so every family reports bad input the same way.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from qdcopt.errors import InstanceError
from qdcopt.timebase import TimeValueError, parse_duration, parse_rate

_MISSING = object()

MAX_COUNT: int = 10**9
"""Largest count (qubits, memories, QPUs of a job) an instance may hold.  Counts are
int64 array entries and LP bounds; HiGHS reads bounds from 1e20 up as infinite, and no
device holds a billion of anything, so a larger count is a typo."""


def count_rule(value: object, *, minimum: int = 1, maximum: int | None = MAX_COUNT,
               ) -> str | None:
    """The broken rule of an integer count, or ``None`` when it is valid."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return f"must be an integer, got {value!r}"
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        return f"must be {kind}, got {value}"
    if maximum is not None and value > maximum:
        return f"must be at most {maximum}, got {value}"
    return None


def check_file(path: Path, what: str = "file") -> None:
    """Raise unless ``path`` is an existing file (a folder is named as such).

    Parameters
    ----------
    path
        The path given.
    what
        How to call the file in the message (``"file"``, ``"requests file"``, ...).
    """
    if path.is_dir():
        raise InstanceError(path, "", f"is a directory, expected a {what}")
    if not path.is_file():
        raise InstanceError(path, "", f"{what} does not exist")


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a TOML (``.toml``) or JSON (``.json``) document into a dictionary.

    Raises
    ------
    InstanceError
        When the file is missing, unreadable, malformed, or not a table/object at the top.
    """
    path = Path(path)
    check_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(path, "",
                            f"cannot be read as UTF-8 text ({exc.__class__.__name__})") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise InstanceError(path, "", "instance files must end in .toml or .json")
    except tomllib.TOMLDecodeError as exc:
        raise InstanceError(path, "", f"is not valid TOML ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InstanceError(path, "", f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InstanceError(path, "", "must hold a table (TOML) or an object (JSON) at the top")
    return data


class Section:
    """One table of an instance document, with typed getters.

    Parameters
    ----------
    file
        The file the table came from (for messages).
    path
        Dotted path of the table inside the file (``""`` for the top level).
    data
        The table's content.
    """

    def __init__(self, file: str | Path, path: str, data: Mapping[str, Any]) -> None:
        self.file = str(file)
        self.path = path
        self.data = data

    # -- helpers --------------------------------------------------------------------------
    def where(self, name: str) -> str:
        """Dotted path of field ``name``."""
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, rule: str) -> InstanceError:
        """An :class:`InstanceError` for field ``name``."""
        return InstanceError(self.file, self.where(name), rule)

    def has(self, name: str) -> bool:
        """Whether the field is present."""
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The field's value as read; required unless a default is given."""
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise self.error(name, "required field is missing")
        return default

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        """Raise on the first field not in ``allowed`` (catches typos such as ``t_mx``)."""
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.error(str(key), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    # -- typed getters --------------------------------------------------------------------
    def string(self, name: str, default: Any = _MISSING) -> str:
        """A non-empty string."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def integer(self, name: str, default: Any = _MISSING, *, minimum: int | None = None,
                maximum: int | None = MAX_COUNT) -> int:
        """An integer, optionally at least ``minimum``, at most ``maximum``."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"must be an integer, got {value!r}")
        if minimum is not None and value < minimum:
            kind = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
            raise self.error(name, f"must be {kind}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"must be at most {maximum}, got {value}")
        return value

    def number(self, name: str, default: Any = _MISSING, *, low: float | None = None,
               high: float | None = None, low_open: bool = False) -> float:
        """A finite real number within ``[low, high]`` (``(low, high]`` if ``low_open``)."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise self.error(name, f"must be a finite number, got {value!r}")
        if low is not None and (value < low or (low_open and value == low)):
            op = ">" if low_open else "≥"
            raise self.error(name, f"must be {op} {low:g}, got {value:g}")
        if high is not None and value > high:
            raise self.error(name, f"must be ≤ {high:g}, got {value:g}")
        return value

    def duration(self, name: str, default: Any = _MISSING, *, positive: bool = False) -> int:
        """A time (seconds or a string with a unit), in ticks."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            return parse_duration(value, allow_zero=not positive)
        except TimeValueError as exc:
            raise self.error(name, str(exc)) from None

    def rate(self, name: str, default: Any = _MISSING) -> int:
        """A rate (Hz or a string with a unit), returned as its period in ticks."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            return parse_rate(value)
        except TimeValueError as exc:
            raise self.error(name, str(exc)) from None

    def table(self, name: str, default: Any = _MISSING) -> Section:
        """A sub-table."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return Section(self.file, self.where(name), {})
        if not isinstance(value, Mapping):
            raise self.error(name, f"must be a table, got {type(value).__name__}")
        return Section(self.file, self.where(name), value)

    def tables(self, name: str, default: Any = _MISSING, *, nonempty: bool = False,
               ) -> list[Section]:
        """A list of tables (TOML ``[[name]]``), each as a :class:`Section`."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return []
        if not isinstance(value, list):
            raise self.error(name, f"must be a list of tables, got {type(value).__name__}")
        if nonempty and not value:
            raise self.error(name, "must hold at least one entry")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise InstanceError(self.file, f"{self.where(name)}[{i}]",
                                    f"must be a table, got {type(item).__name__}")
            out.append(Section(self.file, f"{self.where(name)}[{i}]", item))
        return out

    def strings(self, name: str, default: Any = _MISSING) -> list[str]:
        """A list of non-empty strings."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(name, f"must be a list of strings, got {value!r}")
        return list(value)


def open_document(path: str | Path, document: dict[str, Any] | None,
                  allowed: Iterable[str]) -> tuple[Path, Section]:
    """The top table of an instance file, its unknown fields rejected.

    Parameters
    ----------
    path
        The instance file.
    document
        Its parsed content, if already read (else the file is read).
    allowed
        The fields the top table may hold.

    Returns
    -------
    (Path, Section)
    """
    path = Path(path)
    doc = Section(path, "", document if document is not None else read_document(path))
    doc.reject_unknown(allowed)
    return path, doc


def build_at(section: Section, kind: type, **fields: Any) -> Any:
    """``kind(**fields)``, the rule errors of the data class placed in the file at ``section``.

    A data class checks its own rules and names the field; the loader knows where in the
    file the table stands, so the error names the file and the dotted path of the field.
    """
    try:
        return kind(**fields)
    except InstanceError as exc:
        where = section.where(exc.field) if exc.field else section.path
        raise InstanceError(section.file, where, exc.rule) from None


def check_unique(file: str | Path | None, field: str, ids: list[str]) -> None:
    """Raise on the first repeated id in ``ids`` (``field`` is the list's path)."""
    seen: dict[str, int] = {}
    for i, x in enumerate(ids):
        if x in seen:
            raise InstanceError(file, f"{field}[{i}].id",
                                f"duplicate id {x!r} (first at [{seen[x]}])")
        seen[x] = i
