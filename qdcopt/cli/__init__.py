"""The ``qdcopt`` command.

Exit codes: 0 ok · 1 a plan failed validation or a cross-check failed · 2 bad input ·
130 interrupted (Ctrl-C; ``solve`` and ``compare`` keep and report the work done).
``--json`` on each command prints a machine-readable summary on stdout, and nothing else.

The commands live by group: :mod:`~qdcopt.cli.plans` (``solve``, ``methods``,
``validate``, ``export``, ``eds``), :mod:`~qdcopt.cli.compare`, :mod:`~qdcopt.cli.simulate`,
:mod:`~qdcopt.cli.sweeps` (``bench``, ``study``) and :mod:`~qdcopt.cli.plot` (``plot``,
``report``); :mod:`~qdcopt.cli.console` holds what they print and how they exit,
:mod:`~qdcopt.cli.options` the options they share.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from qdcopt import __version__
from qdcopt.cli import compare, plans, plot, simulate, sweeps
from qdcopt.cli.console import MethodsHelp, err, quiet_stdout

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Plan entanglement distribution in quantum datacenters and networks.")


def _version(value: bool) -> None:
    if value:
        print(f"qdcopt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    pass


# in the order `qdcopt --help` lists them
app.command("solve", cls=MethodsHelp)(plans.solve_cmd)
app.command("methods")(plans.methods_cmd)
app.command("validate")(plans.validate_cmd)
app.command("compare")(compare.compare_cmd)
app.command("simulate")(simulate.simulate_cmd)
app.command("export")(plans.export_cmd)
app.command("eds")(plans.eds_cmd)
app.command("bench", context_settings={"allow_interspersed_args": False})(sweeps.bench_cmd)
app.command("study")(sweeps.study_cmd)
plot.register(app)  # qdcopt plot, qdcopt report


def _stdout_is_null() -> bool:
    """Whether file descriptor 1 is the null device."""
    try:
        return os.path.samestat(os.fstat(1), os.stat(os.devnull))
    except OSError:
        return False


def main() -> None:
    """Entry point of the ``qdcopt`` console script."""
    was_null = _stdout_is_null()
    try:
        app()
    except BrokenPipeError:  # raised outside a command
        quiet_stdout()
        sys.exit(0)
    except SystemExit as exc:
        from click.utils import PacifyFlushWrapper

        # click and rich answer a closed pipe while printing help with exit 1 (click marks
        # stdout, rich points it at the null device); a reader that stopped reading is no
        # failure
        if exc.code == 1 and (isinstance(sys.stdout, PacifyFlushWrapper)
                              or (not was_null and _stdout_is_null())):
            sys.exit(0)
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
