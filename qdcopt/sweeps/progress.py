"""Progress of long runs, always on stderr: a rich bar on a terminal, plain lines otherwise.

Standard output stays free for results and for ``--json`` summaries.  :func:`make_progress`
chooses: ``"auto"`` gives a :class:`BarProgress` when stderr is a terminal and a
:class:`LineProgress` (one line every ``interval`` seconds) when it is a file or a pipe;
``"none"`` gives :class:`NoProgress`.  Benchmarks use :func:`track` over their loops.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Protocol, TypeVar

T = TypeVar("T")


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress(Protocol):
    """What a runner reports: a start, counts as tasks finish, an end."""

    def start(self, label: str, total: int, done: int = 0) -> None:
        """``total`` tasks, ``done`` of them already finished before this run."""

    def update(self, done: int, failed: int = 0) -> None:
        """``done`` tasks finished so far (this run's and earlier), ``failed`` among them."""

    def close(self) -> None:
        """The run ended (or stopped)."""


class NoProgress:
    """Reports nothing."""

    def start(self, label: str, total: int, done: int = 0) -> None:
        pass

    def update(self, done: int, failed: int = 0) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress:
    """One plain line on ``stream`` at the start, every ``interval`` seconds, and at the end.

    The estimate of the remaining time uses only the tasks finished in this run.
    """

    def __init__(self, stream: IO[str] | None = None, interval: float = 30.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self.label, self.total, self.first, self.done, self.failed = "", 0, 0, 0, 0
        self.t0 = self.last = 0.0

    def start(self, label: str, total: int, done: int = 0) -> None:
        self.label, self.total, self.first, self.done = label, total, done, done
        self.t0 = self.last = time.monotonic()
        self._line()

    def update(self, done: int, failed: int = 0) -> None:
        self.done, self.failed = done, failed
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._line()

    def close(self) -> None:
        self._line()

    def _line(self) -> None:
        elapsed = time.monotonic() - self.t0
        share = 100.0 * self.done / self.total if self.total else 100.0
        text = (f"{self.label}: {self.done}/{self.total} tasks ({share:.0f} %)"
                + (f", {self.failed} failed" if self.failed else "")
                + f", elapsed {_clock(elapsed)}")
        ran = self.done - self.first
        if ran > 0 and self.done < self.total:
            text += f", remaining ~{_clock(elapsed / ran * (self.total - self.done))}"
        print(text, file=self.stream, flush=True)


class BarProgress:
    """A rich progress bar on stderr: tasks done / total, elapsed and remaining time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TextColumn("{task.fields[failed]}"),
                             TimeElapsedColumn(), TextColumn("remaining"),
                             TimeRemainingColumn(), console=Console(stderr=True),
                             transient=False)
        self._task = None

    def start(self, label: str, total: int, done: int = 0) -> None:
        self._bar.start()
        self._task = self._bar.add_task(label, total=total, completed=done, failed="")

    def update(self, done: int, failed: int = 0) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=done,
                             failed=f"[red]{failed} failed[/]" if failed else "")

    def close(self) -> None:
        self._bar.stop()


def make_progress(mode: str = "auto", *, interval: float = 30.0) -> Progress:
    """``"auto"`` (bar on a terminal, lines otherwise), ``"bar"``, ``"lines"`` or ``"none"``."""
    if mode == "none":
        return NoProgress()
    if mode == "bar" or (mode == "auto" and sys.stderr.isatty()):
        return BarProgress()
    if mode in ("auto", "lines"):
        return LineProgress(interval=interval)
    raise ValueError(f"progress must be auto, bar, lines or none, got {mode!r}")


def track(items: Iterable[T], label: str, total: int | None = None, *,
          mode: str = "auto", interval: float = 30.0) -> Iterator[T]:
    """Iterate over ``items`` with progress on stderr (for benchmark loops)."""
    items = list(items) if total is None else items
    count = len(items) if total is None else total  # type: ignore[arg-type]
    bar = make_progress(mode, interval=interval)
    bar.start(label, count)
    try:
        for k, item in enumerate(items, 1):
            yield item
            bar.update(k)
    finally:
        bar.close()
