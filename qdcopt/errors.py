"""Errors that qdcopt reports to its users.

Bad input is reported as one :class:`InstanceError` naming the file, the field and the
rule that was broken; the command line turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path


class QdcoptError(Exception):
    """Base class of every error qdcopt raises on purpose."""


class InstanceError(QdcoptError):
    """A file (instance or plan) breaks a rule.

    Parameters
    ----------
    file
        The file the problem is in (shown as given, relative paths stay relative).
    field
        A dotted path to the offending field, e.g. ``qpus[2].comm_qubits``; empty for the
        whole file.
    rule
        What the field must satisfy, and what it was.
    """

    def __init__(self, file: str | Path | None, field: str, rule: str) -> None:
        self.file = str(file) if file is not None else "<input>"
        self.field = field
        self.rule = rule
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message: ``file: field: rule``."""
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.rule}"


class CrossCheckError(QdcoptError):
    """A method's claim disagrees with the validator, or an optimum is beaten by a heuristic."""
