"""One process-wide "stop requested" flag, so that Ctrl-C keeps the work done so far.

The command line installs :func:`catch_sigint` around a solve: the first SIGINT only sets
the flag; methods check :func:`requested` between phases (blocks, rounds, heuristics) and
return their best plan so far, and the HiGHS layer interrupts a running solve when the
flag is set.  A second SIGINT raises :class:`KeyboardInterrupt` as usual, for a user who
does not want to wait.  Without :func:`catch_sigint` (plain API use) nothing changes:
SIGINT raises :class:`KeyboardInterrupt`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

_requested = threading.Event()


def requested() -> bool:
    """Whether a stop has been requested since the last :func:`clear`."""
    return _requested.is_set()


def request() -> None:
    """Ask every running method to stop and return its best plan so far."""
    _requested.set()


def clear() -> None:
    """Forget an earlier request."""
    _requested.clear()


def _on_sigint(signum: int, frame: Any) -> None:
    if _requested.is_set():
        raise KeyboardInterrupt
    _requested.set()


@contextmanager
def catch_sigint() -> Iterator[None]:
    """Within the block, the first SIGINT sets the flag instead of raising.

    The flag is cleared on entry and on exit (read :func:`requested` inside the block);
    the previous handler is restored on exit.  Outside the main thread (where handlers
    cannot be installed) the block runs unchanged.
    """
    clear()
    if threading.current_thread() is not threading.main_thread():
        try:
            yield
        finally:
            clear()
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        clear()


INTERRUPTED = 130
"""Exit code after a Ctrl-C (128 + SIGINT)."""


def _descendants() -> list[int]:
    """Ids of this process's children, grandchildren, … (Linux; empty elsewhere)."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        # the name (field 2) may hold spaces and parentheses: the parent id follows the
        # last ")"
        fields = text[text.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1].isdigit():
            parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [os.getpid()]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@contextmanager
def second_sigint_quits(message: str) -> Iterator[None]:
    """Within the block, the first SIGINT raises :class:`KeyboardInterrupt` as usual (the
    caller stops cleanly: cancels tasks, closes workers, keeps what is done) and the next
    one quits at once: ``message`` goes to stderr, the processes this one started are
    killed, and the process exits with code 130 without waiting for the clean stop.

    Outside the main thread (where handlers cannot be installed) the block runs unchanged.

    Parameters
    ----------
    message
        What the user is told when the second SIGINT quits (what is kept, how to resume).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def second(signum: int, frame: Any) -> None:
        for pid in _descendants():
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            sys.stderr.write(f"{message}\n")
            sys.stderr.flush()
        finally:
            os._exit(INTERRUPTED)

    def first(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, second)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
