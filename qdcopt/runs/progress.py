"""Progress of long runs, always on stderr: a rich bar on a terminal, plain lines otherwise.

Standard output stays free for results and for ``--json`` summaries.  :func:`make_progress`
chooses: ``"auto"`` gives a :class:`BarProgress` when stderr is a terminal and a
:class:`LineProgress` (one line every ``interval`` seconds) when it is a file or a pipe;
``"none"`` gives :class:`NoProgress`.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Protocol


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress(Protocol):
    """What a runner reports: a start, counts as tasks finish, an end."""

    def start(self, label: str, total: int, done: int = 0) -> None:
        """``total`` tasks, ``done`` of them already finished before this run."""

    def update(self, done: int, failed: int = 0) -> None:
        """``done`` tasks finished so far (this run's and earlier), ``failed`` among them."""

    def note(self, text: str) -> None:
        """What runs now (e.g. the method a comparison solves with)."""

    def close(self) -> None:
        """The run ended (or stopped)."""


class NoProgress:
    """Reports nothing."""

    def start(self, label: str, total: int, done: int = 0) -> None:
        pass

    def update(self, done: int, failed: int = 0) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress:
    """Plain lines on ``stream``: at the start, every ``interval`` seconds while the run
    lasts (a background timer, so a long step still shows the run is alive), and at the end.

    With ``after`` > 0 the first line waits until the run has lasted that long, and a run
    shorter than that prints nothing (a quick comparison stays quiet).  The estimate of the
    remaining time uses only the work finished in this run.
    """

    def __init__(self, stream: IO[str] | None = None, interval: float = 30.0, *,
                 unit: str = "tasks", after: float = 0.0) -> None:
        if interval <= 0:
            raise ValueError(f"the progress interval must be positive, got {interval}")
        self.stream = stream or sys.stderr
        self.interval, self.unit, self.after = interval, unit, after
        self.label, self.total, self.first, self.done, self.failed = "", 0, 0, 0, 0
        self.current = ""
        self.t0 = 0.0
        self.printed = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def start(self, label: str, total: int, done: int = 0) -> None:
        self.label, self.total, self.first, self.done = label, total, done, done
        self.t0 = time.monotonic()
        self._stop.clear()
        if self.after <= 0:
            self._line()
        self._timer = threading.Thread(target=self._tick, daemon=True, name="qdcopt-progress")
        self._timer.start()

    def update(self, done: int, failed: int = 0) -> None:
        with self._lock:
            self.done, self.failed = done, failed

    def note(self, text: str) -> None:
        with self._lock:
            self.current = text

    def close(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join()
            self._timer = None
        self.current = ""
        if self.printed or time.monotonic() - self.t0 >= self.after:
            self._line()

    def _tick(self) -> None:
        first = self.after if self.after > 0 else self.interval
        if self._stop.wait(first):
            return
        self._line()
        while not self._stop.wait(self.interval):
            self._line()

    def _line(self) -> None:
        with self._lock:
            elapsed = time.monotonic() - self.t0
            share = 100.0 * self.done / self.total if self.total else 100.0
            text = (f"{self.label}: {self.done}/{self.total} {self.unit} ({share:.0f} %)"
                    + (f", {self.failed} failed" if self.failed else "")
                    + f", elapsed {_clock(elapsed)}")
            ran = self.done - self.first
            if ran > 0 and self.done < self.total:
                text += f", remaining ~{_clock(elapsed / ran * (self.total - self.done))}"
            if self.current:
                text += f"; now {self.current}"
            self.printed = True
        print(text, file=self.stream, flush=True)


class BarProgress:
    """A rich progress bar on stderr: tasks done / total, elapsed and remaining time.

    ``transient`` removes the bar when the run ends (for runs whose result is printed
    right after, such as a comparison's table).
    """

    def __init__(self, *, transient: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        # the label holds names the user chose (studies, methods, instances): shown as
        # written, never read as markup
        self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                             MofNCompleteColumn(), TextColumn("{task.fields[failed]}"),
                             TimeElapsedColumn(), TextColumn("remaining"),
                             TimeRemainingColumn(), console=Console(stderr=True),
                             transient=transient)
        self._task = None
        self._label = ""

    def start(self, label: str, total: int, done: int = 0) -> None:
        self._label = label
        self._bar.start()
        self._task = self._bar.add_task(label, total=total, completed=done, failed="")

    def update(self, done: int, failed: int = 0) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=done,
                             failed=f"[red]{failed} failed[/]" if failed else "")

    def note(self, text: str) -> None:
        if self._task is not None:
            self._bar.update(self._task, description=f"{self._label}: {text}")

    def close(self) -> None:
        self._bar.stop()


def make_progress(mode: str = "auto", *, interval: float = 30.0, unit: str = "tasks",
                  after: float = 0.0) -> Progress:
    """Progress on stderr for a long run.

    Parameters
    ----------
    mode
        ``"auto"`` (a bar when stderr is a terminal, plain lines otherwise), ``"bar"``,
        ``"lines"`` or ``"none"``.
    interval
        Seconds between plain lines.
    unit
        What is counted, as the lines name it (``tasks``, ``methods``, ``cases``).
    after
        Runs shorter than this many seconds leave no lines, and their bar vanishes at the
        end (for commands whose output follows at once).
    """
    if mode == "none":
        return NoProgress()
    if mode == "bar" or (mode == "auto" and sys.stderr.isatty()):
        return BarProgress(transient=after > 0)
    if mode in ("auto", "lines"):
        return LineProgress(interval=interval, unit=unit, after=after)
    raise ValueError(f"progress must be auto, bar, lines or none, got {mode!r}")
