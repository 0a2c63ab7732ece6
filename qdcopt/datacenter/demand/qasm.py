"""OpenQASM 2 and 3 files as qiskit circuits, with errors that name the file and the line.

The OpenQASM 2 parser puts the line in its exception; the native OpenQASM 3 importer prints
its diagnostics straight to the process's output instead, so they are captured
(:func:`~qdcopt.runs.output.capture_native_output`) and read back for the message.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from qiskit import QuantumCircuit

from qdcopt.errors import InstanceError
from qdcopt.fields import check_file
from qdcopt.runs.output import capture_native_output

_QASM_LINE = re.compile(r":(\d+),(\d+):\s*(.*)", re.DOTALL)
_QASM3_REPORT = re.compile(r"Error:\s*(.*?)\n.*?\[[^\]]*?:(\d+):(\d+)\]", re.DOTALL)


def load_qasm(path: str | Path) -> QuantumCircuit:
    """Read an OpenQASM 2 or 3 file (the ``OPENQASM`` header says which).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    QuantumCircuit

    Raises
    ------
    InstanceError
        When the file is missing or does not parse; the field names the line
        (``bad.qasm: line 5: …``) whenever the parser reports one.
    """
    path = Path(path)
    check_file(path, "QASM file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(path, "", f"cannot be read as UTF-8 text ({exc.__class__.__name__})"
                            ) from None
    qc = _load_qasm3(path, text) if _qasm_version(text) >= 3 else _load_qasm2(path, text)
    qc.name = path.stem
    return qc


def _qasm_version(text: str) -> int:
    """Major version from the ``OPENQASM x;`` header (2 when absent)."""
    m = re.search(r"^\s*OPENQASM\s+(\d+)", _strip_comments(text), re.MULTILINE)
    return int(m.group(1)) if m else 2


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


def _load_qasm2(path: Path, text: str) -> QuantumCircuit:
    from qiskit import qasm2

    try:
        return qasm2.loads(text, include_path=(str(path.parent),),
                           custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except qasm2.QASM2ParseError as exc:
        msg = str(exc).strip().strip("'\"")
        m = _QASM_LINE.search(msg)
        if m:
            raise InstanceError(path, f"line {m.group(1)}",
                                f"OpenQASM 2 error at column {int(m.group(2)) + 1}: "
                                f"{m.group(3).strip()}") from None
        raise InstanceError(path, "", f"OpenQASM 2 error: {msg}") from None


def _load_qasm3(path: Path, text: str) -> QuantumCircuit:
    from qiskit import qasm3

    def parse() -> QuantumCircuit:
        with warnings.catch_warnings():
            # The native importer warns that it is experimental on every call.
            warnings.simplefilter("ignore")
            return qasm3.loads_experimental(text, include_path=(str(path.parent),))

    # The native OpenQASM 3 parser prints its diagnostics (with the line) straight to the
    # process's output instead of putting them in the exception; capture them to report
    # the line in the error message.
    result, exc, printed = capture_native_output(parse)
    if exc is None:
        return result
    m = _QASM3_REPORT.search(printed)
    if m:
        raise InstanceError(path, f"line {m.group(2)}",
                            f"OpenQASM 3 error at column {m.group(3)}: {m.group(1).strip()}")
    raise InstanceError(path, "", f"OpenQASM 3 error: {exc}")
