"""The commands that run through the sweep runner: ``bench`` (a benchmark suite of the
project's ``benchmarks/``) and ``study`` (a paper figure or table)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from qdcopt.cli.console import CommandExit, err, guard, out, print_error
from qdcopt.cli.options import JsonOpt, SeedOpt, parse_options
from qdcopt.runs.progress import make_progress
from qdcopt.solvers.highs import solver_output
from qdcopt.tables import check_output


def benchmarks_folder() -> Path | None:
    """The project's ``benchmarks/`` folder: beside the package in a source tree, else
    in the current folder; ``None`` when neither exists."""
    for folder in (Path(__file__).resolve().parents[2] / "benchmarks",
                   Path.cwd() / "benchmarks"):
        if folder.is_dir():
            return folder
    return None


@guard
def bench_cmd(
    suite: Annotated[str, typer.Argument(help="Suite: the script benchmarks/bench_SUITE.py.")],
    args: Annotated[list[str] | None, typer.Argument(
        help="Arguments passed to the script (after --json, if given).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a benchmark suite from the project's benchmarks/ and print its figures.

    A suite runs case by case through the sweep runner, as studies do: each case is kept
    under --out (default results/bench) as it finishes, a stopped run continues where it
    stopped, progress goes to stderr; one worker by default, so that no two timed cases
    share the machine (--workers N, --scheduler ADDRESS, --again, --retry-failed,
    --status: see `qdcopt bench SUITE --help`).  With --json, the printed figures come back
    as the lines of one JSON object with the suite, its arguments, its exit code, its time
    and its table.
    """
    import runpy

    from qdcopt.sweeps.bench import load_suite, run_suite

    if args and args[0] == "--":  # `qdcopt bench SUITE -- OPTIONS` is allowed too
        args = args[1:]
    if args and "--json" in args:  # the scripts take no --json: it is this command's
        args = [a for a in args if a != "--json"]
        as_json = True
    folder = benchmarks_folder()
    script = folder / f"bench_{suite}.py" if folder is not None else None
    if script is None or not script.is_file():
        known = sorted(p.stem.removeprefix("bench_") for p in folder.glob("bench_*.py")) \
            if folder is not None else []
        where = f"in {folder}/" if folder is not None else "(no benchmarks/ folder found)"
        raise ValueError(f"no benchmark suite {suite!r} {where} (known: "
                         f"{', '.join(known) or 'none'})")
    module = load_suite(script)
    old = sys.argv
    sys.argv = [f"qdcopt bench {suite}", *(args or [])]
    code = 0
    table: list[dict[str, Any]] | None = None
    printed = io.StringIO()
    t0 = time.perf_counter()

    def run() -> int:
        nonlocal table
        if hasattr(module, "cases"):
            code, table = run_suite(module, list(args or []))
            return code
        try:  # a plain script that prints its own figures
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        return 0

    try:
        if as_json:
            with solver_output(False), contextlib.redirect_stdout(printed):
                try:
                    code = run()
                except SystemExit as exc:  # argparse's exit 2 on bad options
                    code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        else:
            code = run()
    finally:
        sys.argv = old
    if as_json:
        print(json.dumps({"suite": suite, "script": str(script), "args": list(args or []),
                          "exit_code": int(code), "time_s": round(time.perf_counter() - t0, 3),
                          "lines": printed.getvalue().splitlines(),
                          "table": table}, indent=2))
    if code:
        raise CommandExit(int(code))


@guard
def study_cmd(
    name: Annotated[str, typer.Argument(help="Study name (see `qdcopt study list`).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for CSV and PNG files.")] = Path(
        "results"),
    seed: SeedOpt = None,
    quick: Annotated[bool, typer.Option(help="A small, fast version of the study.")] = False,
    repetitions: Annotated[int | None, typer.Option(
        help="Seeded repetitions per point (studies that repeat, e.g. fig5); raising it "
        "later runs only the new ones.")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes of the local cluster (default: one per core; 0: run in "
        "this process).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of an existing Dask scheduler, e.g. tcp://host:8786.")] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Rerun the tasks that failed.")] = False,
    status: Annotated[bool, typer.Option(
        "--status", help="Only say how many tasks are done.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Regenerate the CSV and PNG files of one paper figure or table.

    Tasks run on a local Dask cluster; each row is kept in a store under the output
    folder as it comes back, so a run stopped (Ctrl-C, kill) continues where it stopped
    when run again.  Progress goes to stderr.
    """
    from qdcopt.studies import STUDIES, run_study, study_status

    if name == "list":
        if as_json:
            print(json.dumps({"studies": {k: text for k, (_, text) in STUDIES.items()}},
                             indent=2))
            return
        for key, (_, text) in STUDIES.items():
            out.print(f"{key:10s} {text}")
        return
    parse_options(None, None, None, seed)  # --seed: the rule every command states
    if repetitions is not None and repetitions < 1:
        raise ValueError(f"--repetitions must be at least 1, got {repetitions}")
    if workers is not None and workers < 0:
        raise ValueError(f"--workers must be 0 or more, got {workers}")
    check_output(out_dir)
    kw = {"seed": 0 if seed is None else seed, "quick": quick, "repetitions": repetitions}
    if workers is not None and scheduler is not None:
        raise ValueError("--workers and --scheduler exclude each other")
    if status:
        st = study_status(name, out_dir, **kw)
        if as_json:
            print(json.dumps(st.to_dict(), indent=2))
        else:
            out.print(f"{name}: {st.done} of {st.total} tasks done, {len(st.failed)} failed, "
                      f"{st.pending} pending (version {st.version}, store {st.store})")
            for version, n in st.other_versions.items():
                out.print(f"  another version {version}: {n} tasks done (not used)")
        return
    try:
        result = run_study(name, out_dir, workers=workers, scheduler=scheduler,
                           retry_failed=retry_failed, progress=make_progress(), **kw)
    except KeyboardInterrupt:
        st = study_status(name, out_dir, **kw)
        err.print(f"interrupted: {st.done} of {st.total} tasks of {name} are kept in "
                  f"{st.store}; the same command continues from there", soft_wrap=True)
        raise CommandExit(130) from None
    st = result.status
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        out.print(f"{name}: {result.executed} tasks run, {st.done} of {st.total} done "
                  f"in {result.seconds:.1f} s")
        for f in result.files:
            out.print(f"wrote {f}")
    for key, error in st.failed[:20]:
        print_error(f"{key}: {error}", "failed:")
    if st.failed:
        more = f" (and {len(st.failed) - 20} more)" if len(st.failed) > 20 else ""
        err.print(f"{len(st.failed)} tasks failed{more}; no files written; "
                  f"--retry-failed reruns them")
        raise CommandExit(1)
