"""The process's output descriptors, pointed elsewhere while native code runs.

Native libraries write to file descriptors 1 and 2, below Python's ``sys.stdout``.  Two
things redirect them: solver blocks (:func:`solver_output`: HiGHS's log goes to stderr or
nowhere; nested and concurrent blocks share one redirection) and captures
(:func:`capture_native_output`: the OpenQASM 3 importer's diagnostics are read back).  A
redirection restores the descriptor it found, so two that overlap without nesting would
leave the process's stdout pointing at the wrong place; one condition variable therefore
keeps them apart: a capture waits until no solver block is open, and a solver block waits
while a capture runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

_state = threading.Condition()
_solver_blocks = 0
_capturing = False
_saved_fd: int | None = None


def _flush_c_stdout() -> None:
    """Flush C stdio buffers, so that text written before a redirection lands before it."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


def _flush_all() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    _flush_c_stdout()


@contextlib.contextmanager
def solver_output(verbose: bool = False) -> Iterator[None]:
    """Within the block, what the solver libraries print on stdout goes to stderr
    (``verbose``) or nowhere.

    The descriptor itself is pointed elsewhere for the block (nested and concurrent blocks
    share one redirection) and Python-level prints go to stderr.
    """
    global _solver_blocks, _saved_fd
    with _state:
        _state.wait_for(lambda: not _capturing)
        if _solver_blocks == 0:
            _flush_all()
            saved = None
            try:
                target = os.dup(2) if verbose else os.open(os.devnull, os.O_WRONLY)
            except OSError:  # no stderr: nowhere to send the log
                target = os.open(os.devnull, os.O_WRONLY)
            try:
                saved = os.dup(1)
                os.dup2(target, 1)
            except OSError:  # no stdout to protect
                saved = None
            finally:
                os.close(target)
            _saved_fd = saved
        _solver_blocks += 1
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        with _state:
            _solver_blocks -= 1
            if _solver_blocks == 0:
                if _saved_fd is not None:
                    _flush_c_stdout()
                    os.dup2(_saved_fd, 1)
                    os.close(_saved_fd)
                    _saved_fd = None
                _state.notify_all()


def capture_native_output(fn: Callable[[], Any]) -> tuple[Any, Exception | None, str]:
    """Run ``fn`` with file descriptors 1 and 2 redirected to a temporary file.

    Returns
    -------
    (result, exception, printed)
        What ``fn`` returned (``None`` if it raised), the exception it raised (``None``
        if none) and what was written to either descriptor meanwhile.
    """
    global _capturing
    result: Any = None
    error: Exception | None = None
    with _state:
        _state.wait_for(lambda: not _capturing and _solver_blocks == 0)
        _capturing = True
    try:
        with tempfile.TemporaryFile(mode="w+b") as tmp:
            _flush_all()
            saved = [os.dup(1), os.dup(2)]
            try:
                os.dup2(tmp.fileno(), 1)
                os.dup2(tmp.fileno(), 2)
                try:
                    result = fn()
                except Exception as exc:  # a native importer raises several types
                    error = exc
            finally:
                _flush_c_stdout()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                for fd in saved:
                    os.close(fd)
            tmp.seek(0)
            printed = tmp.read().decode("utf-8", "replace")
    finally:
        with _state:
            _capturing = False
            _state.notify_all()
    return result, error, printed
