"""What the ``qdcopt`` commands print and how they end: the consoles, one-line errors,
exit codes, and the guard that turns qdcopt's errors into a message and an exit code."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand

from qdcopt.errors import CrossCheckError, InstanceError
from qdcopt.report import Report

INTERRUPTED = 130
"""Exit code after a Ctrl-C (128 + SIGINT), as shells use."""


class _Console(Console):
    """A rich console that leaves a closed pipe to the command (rich itself would exit 1)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def _console(stderr: bool) -> Console:
    """A console for stdout or stderr; off a terminal, lines are never wrapped (a file or
    a pipe gets each line whole, however long).

    Markup and emoji codes are off: what is printed holds ids, paths and messages the user
    wrote (``[/b]A``, ``:x:``), which must come out as written; styled words are
    :class:`~rich.text.Text` pieces (see :func:`say`).
    """
    stream = sys.stderr if stderr else sys.stdout
    if stream is not None and stream.isatty():
        return _Console(stderr=stderr, highlight=False, markup=False, emoji=False)
    return _Console(stderr=stderr, highlight=False, markup=False, emoji=False,
                   soft_wrap=True, width=100_000)


out = _console(stderr=False)
err = _console(stderr=True)


def say(console: Console, *parts: str | tuple[str, str]) -> None:
    """Print one line made of plain text and ``(text, style)`` pieces.

    Every piece is printed exactly as given (never read as markup), so user text such as
    ``[/x]-Brussels`` or ``a [graph] table`` comes out whole; only the style of a
    ``(text, style)`` piece is applied.

    Parameters
    ----------
    console
        :data:`out` or :data:`err`.
    *parts
        Text, or ``(text, style)`` pairs such as ``("error:", "bold red")``.
    """
    line = Text()
    for part in parts:
        if isinstance(part, tuple):
            line.append(part[0], style=part[1])
        else:
            line.append(str(part))
    console.print(line, soft_wrap=True)


def print_error(text: str, label: str = "error:") -> None:
    """One line on stderr: ``label`` in bold red, then ``text`` as written."""
    say(err, (label, "bold red"), " ", text)


class CommandExit(Exception):
    """Ends a command with exit code ``code`` once its output is printed (see :func:`guard`)."""

    def __init__(self, code: int) -> None:
        self.code = code


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn qdcopt's errors into one message and an exit code, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InstanceError as exc:
            print_error(exc.message)
            raise typer.Exit(2) from None
        except CrossCheckError as exc:
            print_error(str(exc), "cross-check failed:")
            raise typer.Exit(1) from None
        except ValueError as exc:
            print_error(str(exc))
            raise typer.Exit(2) from None
        except CommandExit as exc:
            raise typer.Exit(exc.code) from None
        except BrokenPipeError:
            # the reader stopped reading (`qdcopt validate … | head -1`): what it wanted
            # it has; quit quietly, as a tool in a pipe does
            quiet_stdout()
            raise typer.Exit(0) from None

    return wrapper


def quiet_stdout() -> None:
    """Point stdout at the null device, so that the final flush of a closed pipe neither
    fails nor prints an error."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _method_names() -> str:
    from qdcopt.families import family, known_kinds

    names = "; ".join(f"{kind}: {', '.join(family(kind).methods)}" for kind in known_kinds())
    return f"Methods ({names}). `qdcopt methods` lists their options and defaults."


class MethodsHelp(TyperCommand):
    """A command whose help ends with the method names, looked up only when the help is
    shown (loading the families takes most of a second)."""

    @property  # type: ignore[override]
    def help(self) -> str | None:
        return f"{self._help}\n\n{_method_names()}" if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value


def fmt(x: Any) -> str:
    """A table cell: a float to 4 significant digits, NaN as a dash."""
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        return f"{x:.4g}"
    return str(x)


def print_report(report: Report, title: str) -> None:
    """A validation report on stdout: verdict and objective, metrics, the first 20 violations."""
    status = ("valid", "green") if report.ok else (
        f"INVALID ({len(report.violations)})", "red")
    say(out, f"{title}: ", status, f", objective {report.objective:g}")
    for key, value in report.metrics.items():
        if isinstance(value, dict):
            if 0 < len(value) <= 8:
                say(out, f"  {key}: " + ", ".join(f"{k}={fmt(v)}" for k, v in value.items()))
        else:
            say(out, f"  {key}: {fmt(value)}")
    for v in report.violations[:20]:
        say(out, "  ", (str(v.code), "red"), " ", str(v.message))
    if len(report.violations) > 20:
        say(out, f"  … {len(report.violations) - 20} more violations")
