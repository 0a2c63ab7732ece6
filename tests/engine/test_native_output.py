"""The two redirections of the process's output descriptors never overlap.

A capture that began inside a solver block and ended after it would restore the solver's
redirection as the process's stdout for good; the capture therefore waits for the block.
"""

from __future__ import annotations

import os
import threading

from qdcopt.runs.output import capture_native_output, solver_output


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _write_native(text: str) -> str:
    os.write(1, text.encode())
    return text


def test_capture_reads_what_native_code_writes_and_restores_the_descriptors():
    before = (_identity(1), _identity(2))
    result, error, printed = capture_native_output(lambda: _write_native("hello"))
    assert (result, error) == ("hello", None)
    assert "hello" in printed
    assert (_identity(1), _identity(2)) == before


def test_capture_reports_the_exception_and_still_restores():
    before = _identity(1)

    def fail() -> None:
        os.write(2, b"diagnostic on stderr")
        raise RuntimeError("parse failed")

    result, error, printed = capture_native_output(fail)
    assert result is None and isinstance(error, RuntimeError)
    assert "diagnostic on stderr" in printed
    assert _identity(1) == before


def test_a_capture_waits_for_an_open_solver_block():
    before = _identity(1)
    started = threading.Event()
    out: list[tuple] = []

    def capture() -> None:
        out.append(capture_native_output(lambda: (started.set(), _write_native("inside"))))

    with solver_output(False):
        silenced = _identity(1)
        assert silenced != before  # stdout points at the null device inside the block
        worker = threading.Thread(target=capture)
        worker.start()
        # the capture cannot begin while the block is open
        assert not started.wait(0.3)
    worker.join(timeout=30)
    assert started.is_set() and "inside" in out[0][2]
    assert _identity(1) == before  # neither redirection left stdout behind
