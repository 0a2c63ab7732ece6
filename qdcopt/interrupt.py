"""One process-wide "stop requested" flag, so that Ctrl-C keeps the work done so far.

The command line installs :func:`catch_sigint` around a solve: the first SIGINT only sets
the flag; methods check :func:`requested` between phases (blocks, rounds, heuristics) and
return their best plan so far, and the HiGHS layer interrupts a running solve when the
flag is set.  A second SIGINT raises :class:`KeyboardInterrupt` as usual, for a user who
does not want to wait.  Without :func:`catch_sigint` (plain API use) nothing changes:
SIGINT raises :class:`KeyboardInterrupt`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
