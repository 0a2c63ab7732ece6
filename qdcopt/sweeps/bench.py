"""Benchmark suites as sweeps: one task per case, kept in a store, resumable, with progress.

A suite is a script ``benchmarks/bench_<name>.py`` that declares::

    def arguments(parser: argparse.ArgumentParser) -> None:   # its own options
    def cases(args: argparse.Namespace) -> list[dict]:         # one plain dict per case
    def run_case(case: dict) -> dict:                          # measures one case -> row
    def show(frame: pandas.DataFrame, args) -> None:           # prints the figures
    IN_PROCESS = False    # optional: True when a case starts processes of its own

and ends with ``if __name__ == "__main__": raise SystemExit(bench_main(__file__))``.

:func:`bench_main` runs the cases through :func:`qdcopt.sweeps.run_sweep`, as studies run:
each finished case is stored at once under ``--out`` (``results/bench`` by default), a run
stopped by Ctrl-C or kill continues where it stopped when the same command is given again,
progress goes to stderr, a case that raises is recorded and ``--retry-failed`` reruns it.
A suite measures time, so it runs on **one** worker by default (cases never share the
machine with each other); ``--workers N`` runs N at a time, ``--scheduler`` sends the cases
to an existing cluster (whose workers must see the ``benchmarks/`` folder).  Once every case
of a series is done, the same command shows the stored figures again; ``--again`` measures
a new series.  The table is also written to ``<out>/bench_<name>.csv``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from qdcopt.runs.progress import make_progress
from qdcopt.sweeps.runner import run_sweep, sweep_status
from qdcopt.sweeps.store import Store, store_path
from qdcopt.sweeps.tasks import Sweep, code_version, dict_sweep, write_table
from qdcopt.tables import check_output

RUNNER_OPTIONS = ("workers", "scheduler", "out", "again", "retry_failed", "status")
"""Options of the runner, not of the suite: they never change a case's row."""


def suite_name(module: ModuleType) -> str:
    """``heuristics`` for ``bench_heuristics.py``."""
    stem = Path(module.__file__ or "bench").stem
    return stem.removeprefix("bench_")


def load_suite(script: str | Path) -> ModuleType:
    """Import a suite's script as the module named by its file (``bench_<name>``).

    Its folder goes on ``sys.path`` first; local worker processes start with this process's
    path, so they import the same module and receive ``run_case`` by reference.
    """
    path = Path(script).resolve()
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(path.stem)


class _Parser(argparse.ArgumentParser):
    """Bad options give one line (and exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parser_for(module: ModuleType) -> argparse.ArgumentParser:
    """The suite's own options, then the runner's."""
    doc = (module.__doc__ or suite_name(module)).strip().splitlines()[0]
    parser = _Parser(prog=f"qdcopt bench {suite_name(module)}",
                                     description=doc)
    module.arguments(parser)
    run = parser.add_argument_group("runner")
    run.add_argument("--workers", type=int, default=None,
                     help="cases run at a time, each in a worker process (default 1, so "
                          "that no two cases share the machine; 0: in this process)")
    run.add_argument("--scheduler", default=None,
                     help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    run.add_argument("--out", type=Path, default=Path("results/bench"),
                     help="folder of the table and of the store (default results/bench)")
    run.add_argument("--again", action="store_true",
                     help="measure a new series even when the last one is complete")
    run.add_argument("--retry-failed", action="store_true", help="rerun the failed cases")
    run.add_argument("--status", action="store_true", help="only say how many cases are done")
    return parser


def suite_sweep(module: ModuleType, args: argparse.Namespace) -> Sweep:
    """The sweep of a suite's cases under the series the runner options choose.

    Series 0, 1, … of the same settings are kept apart in the store: the last one is
    resumed (or, complete, shown again); ``--again`` starts the next.
    """
    name = suite_name(module)
    settings: dict[str, Any] = {k: v for k, v in vars(args).items() if k not in RUNNER_OPTIONS}
    study = f"bench-{name}"
    versions = Store(store_path(args.out, study)).versions()
    series = 0
    while code_version({**settings, "series": series + 1}) in versions:
        series += 1
    if args.again and code_version({**settings, "series": series}) in versions:
        series += 1
    cases = list(module.cases(args))
    for case in cases:
        reserved = sorted(set(case) & {"seed", "study"})
        if reserved:
            raise TypeError(f"suite {name}: a case must not use the keys {reserved} "
                            f"(the runner's); e.g. name an instance's seed instance_seed")
    return dict_sweep(study, cases, partial(_case_row, module.run_case),
                      _Writer(name), {**settings, "series": series})


def _case_row(run_case: Any, case: dict[str, Any]) -> dict[str, Any]:
    """The case's parameters, then what ``run_case`` measured."""
    params = {k: v for k, v in case.items() if k not in ("seed", "study")}
    return {**params, **run_case(case)}


class _Writer:
    """Writes ``bench_<name>.csv`` (a class, so that the sweep can be sent to workers)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, frame: Any, out_dir: Path) -> list[Path]:
        return write_table(frame, out_dir, f"bench_{self.name}")


def bench_main(script: str | Path | ModuleType, argv: Sequence[str] | None = None) -> int:
    """Run a suite from its command line; print its figures; return the exit code.

    Parameters
    ----------
    script
        The suite's file (or its module).
    argv
        Its arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when every case is done, 1 when some failed, 130 when interrupted; bad options
        exit 2 through :mod:`argparse`.
    """
    return run_suite(script, argv)[0]


def run_suite(script: str | Path | ModuleType, argv: Sequence[str] | None = None,
              ) -> tuple[int, list[dict[str, Any]] | None]:
    """:func:`bench_main`, also returning the table's rows (``None`` unless complete)."""
    import pandas as pd

    module = script if isinstance(script, ModuleType) else load_suite(script)
    parser = parser_for(module)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.workers is not None and args.workers < 0:
        parser.error("--workers must be 0 or more")
    if args.workers is not None and args.scheduler is not None:
        parser.error("--workers and --scheduler exclude each other")
    try:
        check_output(args.out)  # before the store under it is read
        sweep = suite_sweep(module, args)
    except ValueError as exc:
        parser.error(str(exc))
    name = suite_name(module)
    if args.status:
        st = sweep_status(sweep, args.out)
        print(f"bench {name}: {st.done} of {st.total} cases done, {len(st.failed)} failed, "
              f"{st.pending} pending (series {sweep.settings['series']}, store {st.store})")
        return 0, None
    workers = 1 if args.workers is None and args.scheduler is None else args.workers
    if getattr(module, "IN_PROCESS", False):
        if args.scheduler is not None or args.workers not in (None, 0):
            parser.error("this suite's cases start processes of their own and run here, "
                         "one after another: it takes no --workers or --scheduler")
        workers = 0
    try:
        result = run_sweep(sweep, args.out, workers=workers, scheduler=args.scheduler,
                           retry_failed=args.retry_failed,
                           progress=make_progress(unit="cases"))
    except ValueError as exc:  # an --out that cannot hold the store, a busy store, …
        parser.error(str(exc))
    except KeyboardInterrupt:
        st = sweep_status(sweep, args.out)
        print(f"interrupted: {st.done} of {st.total} cases of bench {name} are kept in "
              f"{st.store}; the same command continues from there", file=sys.stderr)
        return 130, None
    st = result.status
    for key, error in st.failed:
        print(f"failed: {key}: {error}", file=sys.stderr)
    if st.failed:
        print(f"{len(st.failed)} cases failed; --retry-failed reruns them", file=sys.stderr)
        return 1, None
    rows = _rows(sweep, args.out)
    frame = pd.DataFrame(rows)
    if result.executed == 0:
        print(f"(the stored figures of series {sweep.settings['series']}; --again measures "
              f"anew)", file=sys.stderr)
    module.show(frame, args)
    return 0, rows


def _rows(sweep: Sweep, out: Path) -> list[dict[str, Any]]:
    """The stored rows of a complete series, in case order."""
    records = Store(store_path(out, sweep.study)).read(sweep.version)
    return [records[t.key].row for t in sweep.tasks]
