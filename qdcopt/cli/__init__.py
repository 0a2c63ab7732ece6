"""The ``qdcopt`` command.

Exit codes: 0 ok · 1 a plan failed validation or a cross-check failed · 2 bad input ·
130 interrupted (Ctrl-C; ``solve`` and ``compare`` keep and report the work done).
``--json`` on each command prints a machine-readable summary on stdout, and nothing else.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

from qdcopt import __version__
from qdcopt.api import (
    check_plan_for,
    claim_mismatch,
    load_plan,
    save_plan,
    simulate,
    solve,
    validate,
)
from qdcopt.cli.options import (
    JsonOpt,
    RandomRequestsOpt,
    RequestsOpt,
    SeedOpt,
    SpacingOpt,
    load_with_options,
)
from qdcopt.cli.plot import register as register_plot_commands
from qdcopt.compare import add_simulation, run_comparison
from qdcopt.errors import CrossCheckError, InstanceError
from qdcopt.families import family_of
from qdcopt.report import Report
from qdcopt.runs import interrupt
from qdcopt.runs.progress import make_progress
from qdcopt.solvers.highs import DEFAULT_TIME_LIMIT, solver_output
from qdcopt.status import false_optimum, shown_status
from qdcopt.tables import check_output, staging, written

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Plan entanglement distribution in quantum datacenters and networks.")

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


def _error(text: str, label: str = "error:") -> None:
    say(err, (label, "bold red"), " ", text)

OptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-o", help="Method option NAME=VALUE (repeatable); VALUE is read as JSON "
    "when it parses, else as text.")]
TimeOpt = Annotated[float | None, typer.Option(
    help=f"Time limit per solve, seconds (default {DEFAULT_TIME_LIMIT:g}).")]
ThreadsOpt = Annotated[int | None, typer.Option(help="Solver threads.")]



VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", help="Show the solver's log (on stderr, never on stdout).")]


def _version(value: bool) -> None:
    if value:
        print(f"qdcopt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    pass


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn qdcopt's errors into one message and an exit code, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InstanceError as exc:
            _error(exc.message)
            raise typer.Exit(2) from None
        except CrossCheckError as exc:
            _error(str(exc), "cross-check failed:")
            raise typer.Exit(1) from None
        except ValueError as exc:
            _error(str(exc))
            raise typer.Exit(2) from None
        except _Exit as exc:
            raise typer.Exit(exc.code) from None
        except BrokenPipeError:
            # the reader stopped reading (`qdcopt validate … | head -1`): what it wanted
            # it has; quit quietly, as a tool in a pipe does
            _quiet_stdout()
            raise typer.Exit(0) from None

    return wrapper


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that the final flush of a closed pipe neither
    fails nor prints an error."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _parse_options(items: list[str] | None, time_limit: float | None, threads: int | None,
                   seed: int | None) -> dict[str, Any]:
    """Method options from ``-o NAME=VALUE`` and the common flags.

    The flags are checked here (the method's parameter class checks every option again,
    by name, type and range, when the method is known).
    """
    opts: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--option must be NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        if not key.strip():
            raise ValueError(f"--option must be NAME=VALUE, got {item!r}")
        try:
            opts[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            opts[key.strip()] = value
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"--time-limit must be a finite number of seconds > 0, got {time_limit:g}")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    if seed is not None and not 0 <= seed < 2**31:
        raise ValueError(f"--seed must be between 0 and {2**31 - 1}, got {seed}")
    for key, value in (("time_limit", time_limit), ("threads", threads), ("seed", seed)):
        if value is not None:
            opts[key] = value
    return opts


def _method_names() -> str:
    from qdcopt.families import family, known_kinds

    names = "; ".join(f"{kind}: {', '.join(family(kind).methods)}" for kind in known_kinds())
    return f"Methods ({names}). `qdcopt methods` lists their options and defaults."


class _MethodsHelp(TyperCommand):
    """A command whose help ends with the method names, looked up only when the help is
    shown (loading the families takes most of a second)."""

    @property  # type: ignore[override]
    def help(self) -> str | None:
        return f"{self._help}\n\n{_method_names()}" if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        return f"{x:.4g}"
    return str(x)


def _print_report(report: Report, title: str) -> None:
    status = ("valid", "green") if report.ok else (
        f"INVALID ({len(report.violations)})", "red")
    say(out, f"{title}: ", status, f", objective {report.objective:g}")
    for key, value in report.metrics.items():
        if isinstance(value, dict):
            if 0 < len(value) <= 8:
                say(out, f"  {key}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()))
        else:
            say(out, f"  {key}: {_fmt(value)}")
    for v in report.violations[:20]:
        say(out, "  ", (str(v.code), "red"), " ", str(v.message))
    if len(report.violations) > 20:
        say(out, f"  … {len(report.violations) - 20} more violations")


@app.command("solve", cls=_MethodsHelp)
@_guard
def solve_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    method: Annotated[str | None, typer.Option("--method", "-m", help=(
        "Method name; `qdcopt methods` lists each one's options."))] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write the plan folder here.")] = None,
    option: OptionOpt = None,
    time_limit: TimeOpt = None,
    threads: ThreadsOpt = None,
    seed: SeedOpt = None,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    verbose: VerboseOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Solve INSTANCE with one method, validate the plan, optionally save it.

    Ctrl-C stops the method: its best plan so far is validated, saved (with --out) and
    reported with status interrupted, and the exit code is 130.
    """
    if out_dir is not None:  # refused before any work, never found out after the solve
        check_output(out_dir)
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    opts = _parse_options(option, time_limit, threads, seed)
    if verbose:
        opts["verbose"] = True
    with interrupt.catch_sigint():
        plan, info = solve(inst, method, **opts)
        stopped = interrupt.requested()
        report = validate(inst, plan)
        mismatch = claim_mismatch(report, info) or (
            false_optimum(info, report.objective) if report.ok else None)
        if out_dir is not None:
            save_plan(plan, out_dir, info, report, instance=inst)
    if stopped:
        say(err, ("interrupted:", "bold yellow"), " kept the best plan found so far"
            + (f", written to {out_dir}" if out_dir is not None else ""))
    if as_json:
        print(json.dumps({"instance": str(instance), "solve_info": info.to_dict(),
                          "report": report.to_dict(), "cross_check": mismatch,
                          "plan_dir": str(out_dir) if out_dir else None,
                          "interrupted": stopped}, indent=2))
    else:
        out.print(f"{info.method}: status "
                  f"{shown_status(info.status, report.objective, info.bound)}, "
                  f"{info.time_s:.3f} s"
                  + ("" if math.isnan(info.bound) else f", bound {info.bound:g}"))
        _print_report(report, f"plan for {inst.name}")
        if out_dir is not None:
            out.print(f"plan written to {out_dir}")
    if mismatch:
        _error(mismatch, "cross-check failed:")
    if stopped:
        raise _Exit(INTERRUPTED)
    if not report.ok or mismatch:
        raise _Exit(1)


@app.command("methods")
@_guard
def methods_cmd(
    family_name: Annotated[str | None, typer.Argument(
        metavar="FAMILY", help="Only this family's methods: datacenter, network, linklayer "
        "or service.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List every method with its options: type and range, default, what each does."""
    from qdcopt.families import family, known_kinds
    from qdcopt.params import describe, render

    kinds = known_kinds()
    if family_name is not None and family_name not in kinds:
        raise ValueError(f"unknown family {family_name!r} (known: {', '.join(kinds)})")
    chosen = [family_name] if family_name else kinds
    if as_json:
        print(json.dumps({k: [describe(s) for s in family(k).specs.values()] for k in chosen},
                         indent=2))
        return
    for k in chosen:
        for line in render(family(k).specs, k):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
        out.print("")


@app.command("validate")
@_guard
def validate_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    plan_dir: Annotated[Path, typer.Argument(help="Plan folder (CSV files + plan.json).")],
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    seed: SeedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay the plan in PLAN_DIR against INSTANCE and report every broken rule."""
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    plan, info = load_plan(plan_dir)
    if plan.family != inst.family:
        raise ValueError(f"{plan_dir} holds a {plan.family} plan, {instance} is a "
                         f"{inst.family} instance")
    report = validate(inst, plan)
    mismatch = claim_mismatch(report, info) if info else None
    if as_json:
        print(json.dumps({"instance": str(instance), "plan_dir": str(plan_dir),
                          "report": report.to_dict(), "cross_check": mismatch}, indent=2))
    else:
        _print_report(report, f"plan {plan_dir}")
    if mismatch:
        _error(f"the plan's recorded objective differs from the validated one: {mismatch}",
               "cross-check failed:")
    if not report.ok or mismatch:
        raise _Exit(1)


@app.command("compare")
@_guard
def compare_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    methods: Annotated[str | None, typer.Option(
        help="Comma-separated method names (default: every method of the family).")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the table and plans (default results/compare/<name>).")] = None,
    option: OptionOpt = None,
    time_limit: TimeOpt = None,
    threads: ThreadsOpt = None,
    seed: SeedOpt = None,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    verbose: VerboseOpt = False,
    as_json: JsonOpt = False,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Also execute each plan and add its delivered rate.")] = False,
    policy: Annotated[str, typer.Option(help="Run-time policy for --simulate.")] = "scoring",
    duration: Annotated[float, typer.Option(help="Simulated seconds for --simulate.")] = 100.0,
    seeds: Annotated[int, typer.Option(help="Runs per plan for --simulate.")] = 10,
) -> None:
    """Run several methods on INSTANCE, validate each, print and write one table.

    Ctrl-C stops the method running and skips the rest: the table holds the methods run
    so far and the exit code is 130.
    """
    if out_dir is not None:
        check_output(out_dir)
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    opts = _parse_options(option, time_limit, threads, seed)
    if verbose:
        opts["verbose"] = True
    names = [m.strip() for m in methods.split(",")] if methods else None
    fam = family_of(inst)
    for m in names or []:
        if fam.method_name(m) not in fam.methods:
            raise ValueError(f"unknown method {m!r} (known: {', '.join(fam.methods)})")
    if simulate:  # every option is checked before the first solve
        _check_compare_simulation(fam.name, policy, duration, seeds)
    folder = check_output(out_dir or Path("results") / "compare" / _folder_name(inst.name))
    # the table and the plans go to a hidden sibling first, put in place at the end: a
    # failed run leaves the folder as it was
    with interrupt.catch_sigint(), staging(folder) as tmp:
        # a bar on a terminal; off one, a line every 30 s once the comparison has run for
        # 5 s, so that a long one shows it is alive and a quick one stays quiet
        result = run_comparison(inst, names, {"*": opts}, plans_dir=tmp / "plans",
                                progress=make_progress(unit="methods", after=5.0))
        if simulate:
            result = add_simulation(result, inst,
                                    progress=make_progress(unit="plans", after=5.0),
                                    policy=policy, duration=duration, seeds=seeds,
                                    seed=0 if seed is None else seed)
        result.table.to_csv(tmp / "compare.csv", index=False)
    table_path = folder / "compare.csv"
    if as_json:
        print(json.dumps({"instance": str(instance), "table": json.loads(
            result.table.to_json(orient="records")), "problems": list(result.problems),
            "table_csv": str(table_path), "interrupted": result.interrupted}, indent=2))
    else:
        _print_table(inst.name, result.table)
        out.print(f"table written to {table_path}; plans under {folder / 'plans'}")
    for p in result.problems:
        _error(str(p), "cross-check failed:")
    if result.interrupted:
        say(err, ("interrupted:", "bold yellow"), f" stopped after {len(result.table)} "
            "method(s); the table holds them")
        raise _Exit(INTERRUPTED)
    if result.problems:
        raise _Exit(1)


def _typed_simulate_options(inst: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The ``-o`` options of ``simulate`` checked against the types of the settings they
    set (``early_discard=maybe`` is refused, not passed on as a text); names a family does
    not know are left to it, which refuses them with its list of options."""
    import typing

    from qdcopt.params import check_typed

    types: dict[str, Any] = {}
    if inst.family == "network":
        from qdcopt.network.runtime import RuntimeConfig

        types = typing.get_type_hints(RuntimeConfig)
    elif inst.family == "service":
        from qdcopt.service.demand.config import ServiceConfig
        from qdcopt.service.instance import HubInstance
        from qdcopt.service.simulation.simulate import _SERVICE_OPTIONS

        if isinstance(inst, HubInstance):
            types = {"sizes": tuple[int, ...]}
        else:
            hints = typing.get_type_hints(ServiceConfig)
            types = {k: hints[f] for k, f in _SERVICE_OPTIONS.items() if f in hints}
    return {k: check_typed(k, v, types[k]) if k in types else v for k, v in options.items()}


def _folder_name(name: str) -> str:
    """An instance name as one folder name: separators and a leading dot would write
    elsewhere than under ``results/compare/``."""
    text = name.replace("/", "_").replace("\\", "_").lstrip(".")
    return text or "instance"


def _check_compare_simulation(family_name: str, policy: str, duration: float,
                              seeds: int) -> None:
    """Refuse ``compare --simulate`` options before anything is solved."""
    if family_name != "network":
        raise ValueError(f"--simulate executes each plan in the network runtime; {family_name} "
                         "instances have none (`qdcopt simulate` runs them)")
    if seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    if not (math.isfinite(duration) and duration > 0):
        raise ValueError(f"--duration must be a finite number of seconds > 0, got {duration:g}")
    from qdcopt.network.runtime import RuntimeConfig

    try:
        RuntimeConfig.from_options(policy=policy, duration=duration)
    except ValueError as exc:
        raise ValueError(f"--policy: {exc}") from None


def _print_table(name: str, table: Any) -> None:
    shown = ["method", "valid", "objective", "bound", "gap_to_best_bound", "time_s", "status"]
    extra = [c for c in ("flag", "bound_over_candidates", "acceptance_ratio", "reconfigurations",
                         "peak_stored_pairs_max", "aggregate_rate", "min_rate",
                         "promised_rate", "delivered_rate", "delivered_low", "delivered_high",
                         "delivered_over_promised")
             if c in table.columns and (c != "flag" or table[c].astype(bool).any())]
    short = {"gap_to_best_bound": "gap", "acceptance_ratio": "accepted/all",
             "promised_rate": "promised/s", "delivered_rate": "delivered/s",
             "delivered_over_promised": "deliv/prom",
             "reconfigurations": "reconf", "peak_stored_pairs_max": "peak mem",
             "bound_over_candidates": "bound (cand.)"}
    t = Table(title=f"compare {name}")
    for c in shown + extra:
        t.add_column(short.get(c, c), justify="left" if c in ("method", "status") else "right")
    for _, row in table.iterrows():
        t.add_row(*[_fmt(row[c]) for c in shown + extra])
    out.print(t)


@app.command("simulate")
@_guard
def simulate_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    method: Annotated[str | None, typer.Option(
        "--method", "-m", help="Family B: method whose plan is executed (default lp).")] = None,
    plan_dir: Annotated[Path | None, typer.Option(
        "--plan", help="Family B: execute this plan folder instead of solving.")] = None,
    policy: Annotated[str | None, typer.Option(help=(
        "Run-time policy: family B scoring (default), fixed, oldest, …; family D the "
        "interval scheduler, edf (default) or milp."))] = None,
    duration: Annotated[float | None, typer.Option(
        help="Family B: simulated seconds per run (default 100).")] = None,
    days: Annotated[float | None, typer.Option(
        help="Family D demand service: simulated days.")] = None,
    admission: Annotated[str | None, typer.Option(
        help="Family D demand service: admission rule (utilisation or schedule).")] = None,
    seeds: Annotated[int | None, typer.Option(
        help="Families B and C, and the ModEn-Hub: runs, with seeds SEED, SEED+1, … "
        "(default 10; the hub: its runs). The demand service is one run per --seed.")] = None,
    seed: SeedOpt = None,
    option: OptionOpt = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write simulate.csv (and simulate.json) here.")] = None,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run INSTANCE over time in the seeded event engine: delivered beside promised.

    Family B executes a plan (policies, GEM, pre-distribution), family C runs DQP or ESP,
    family D runs the ModEn-Hub beside its exact values or the demand service for days.
    """
    if out_dir is not None:
        check_output(out_dir)
    if plan_dir is not None and method is not None:
        raise ValueError(f"--plan {plan_dir} and -m {method} exclude each other: --plan "
                         "executes a saved plan, -m solves the instance anew")
    if seeds is not None and seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    for flag, value in (("--duration", duration), ("--days", days)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{flag} must be a finite number > 0, got {value:g}")
    _parse_options(None, None, None, seed)  # --seed: the rule every command states
    extra = _parse_options(option, None, None, None)
    given = {"method": method, "policy": policy, "duration": duration, "days": days,
             "admission": admission, "seeds": seeds}
    for key in extra:
        if key in (*given, "plan", "seed"):
            raise ValueError(f"-o {key}: give it as --{key}, not as an option")
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    if seeds is not None and type(inst).__name__ == "ServiceInstance":
        raise ValueError(f"--seeds: {instance} is a demand-service instance, simulated once "
                         "per --seed (run again with another --seed); --seeds is for network, "
                         "link-layer and ModEn-Hub instances")
    extra = _typed_simulate_options(inst, extra)
    # only what the user gave: each family has its own defaults and refuses the rest
    opts = {k: v for k, v in given.items() if v is not None}
    if plan_dir is not None:
        opts["plan"], _ = load_plan(plan_dir)
        check_plan_for(plan_dir, inst)
    # Ctrl-C: the runs (seeds) that ended are kept, reported and written, and the family
    # records the stop; one that comes before the first run ends leaves nothing to keep
    interrupt.clear()
    try:
        with err.status("simulating…"):
            result = simulate(inst, seed=0 if seed is None else seed, **opts, **extra)
    except KeyboardInterrupt:
        say(err, ("interrupted:", "bold yellow"), " stopped before the first run ended; "
            "nothing was " + ("written" if out_dir is not None else "printed"))
        raise _Exit(INTERRUPTED) from None
    stopped = interrupt.requested()
    interrupt.clear()
    frame = result.to_frame()
    files = []
    if out_dir is not None:
        with staging(out_dir) as tmp:
            frame.to_csv(tmp / "simulate.csv", index=False)
            (tmp / "simulate.json").write_text(json.dumps(result.to_dict(), indent=2))
        files = [out_dir / "simulate.csv", out_dir / "simulate.json"]
    if stopped:
        kept = getattr(result, "seeds", None) or getattr(result, "rows", None)
        runs = f"the {len(kept)} run(s)" if isinstance(kept, tuple) else "the runs"
        say(err, ("interrupted:", "bold yellow"), f" kept {runs} that ended"
            + (f", written to {out_dir}" if out_dir is not None else ""))
    if as_json:
        print(json.dumps({**result.to_dict(), "files": [str(f) for f in files],
                          "interrupted": stopped}, indent=2))
        if stopped:
            raise _Exit(INTERRUPTED)
        return
    t = Table(title=f"simulate {inst.name}: " + ", ".join(
        f"{k} {v}" for k, v in given.items() if v is not None))
    short = {"promised_rate": "promised/s", "delivered_rate": "delivered/s",
             "delivered_rate_low": "ci low", "delivered_rate_high": "ci high",
             "delivered_over_promised": "deliv/prom", "delivered_pairs": "pairs",
             "promised_latency_s": "eq.1 lat s", "latency_mean_s": "latency s",
             "latency_p95_s": "p95 s", "fidelity_mean": "fidelity",
             "discarded_pairs": "discarded", "memory_occupancy": "memory"}
    cols = [c for c in frame.columns if c not in {"policy", "method", "seeds"}]
    for c in cols:
        t.add_column(short.get(c, c), justify="left" if c == "request" else "right")
    for _, row in frame.iterrows():
        t.add_row(*[_fmt(row[c]) for c in cols])
    out.print(t)
    for f in files:
        out.print(f"wrote {f}")
    if stopped:
        raise _Exit(INTERRUPTED)


@app.command("export")
@_guard
def export_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the operator files.")],
    plan_dir: Annotated[Path | None, typer.Option("--plan", help="Plan folder to export.")] = None,
    method: Annotated[str | None, typer.Option("--method", "-m",
                                               help="Solve with this method first.")] = None,
    option: OptionOpt = None,
    seed: SeedOpt = None,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the operator files of a validated plan (switch control, resource allocation)."""
    if (plan_dir is None) == (method is None):
        raise ValueError("export needs exactly one of --plan DIR (a saved plan) or "
                         "-m METHOD (solve first)")
    check_output(out_dir)
    opts = _parse_options(option, None, None, seed)
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    fam = family_of(inst)
    if fam.export is None:
        raise ValueError(f"{fam.name} plans have no operator export")
    if plan_dir is not None:
        plan, _ = load_plan(plan_dir)
        check_plan_for(plan_dir, inst)
    else:
        plan, _ = solve(inst, method, **opts)
    report = validate(inst, plan)
    if not report.ok:
        if as_json:
            print(json.dumps({"files": [], "report": report.to_dict()}, indent=2))
        else:
            _print_report(report, "plan")
        say(err, ("refusing to export an invalid plan", "bold red"))
        raise _Exit(1)
    with staging(out_dir) as tmp:
        files = written(fam.export(inst, plan, tmp), tmp, out_dir)
        save_plan(plan, tmp / "plan", None, report, instance=inst)
    if as_json:
        print(json.dumps({"files": [str(f) for f in files], "plan_dir": str(out_dir / "plan")},
                         indent=2))
    else:
        for f in files:
            out.print(f"wrote {f}")


@app.command("eds")
@_guard
def eds_cmd(
    instance: Annotated[Path, typer.Argument(help="Family-A instance with \\[\\[jobs]].")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write requests.csv and jobs.csv here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Extract the entanglement demand schedule of the circuits (jobs) of INSTANCE."""
    from qdcopt.datacenter.load import extract_eds
    from qdcopt.fields import read_document

    if out_dir is not None:
        check_output(out_dir)
    if instance.suffix.lower() in (".gml", ".graphml"):
        raise ValueError(f"{instance}: eds extracts the demand schedule of circuits; it needs "
                         "a datacenter instance with [[jobs]], not a network graph file")
    kind = read_document(instance).get("kind", "datacenter")
    if kind != "datacenter":
        raise ValueError(f"{instance}: eds extracts the demand schedule of circuits; it needs "
                         f"a datacenter instance with [[jobs]], this is a {kind} instance")
    result = extract_eds(instance)
    summary = result.summary_frame()
    requests = result.requests_frame()
    files: list[Path] = []
    if out_dir is not None:
        with staging(out_dir) as tmp:
            files = written(result.write_csv(tmp), tmp, out_dir)
    if as_json:
        print(json.dumps({"instance": str(instance),
                          "jobs": json.loads(summary.to_json(orient="records")),
                          "requests": len(requests), "files": [str(f) for f in files]},
                         indent=2))
        return
    out.print(f"entanglement demand schedule of {instance}")
    out.print(summary.to_string(index=False))
    out.print(f"{len(requests)} requests" + (f"; written to {out_dir}" if files else ""))
    if len(requests):
        out.print(requests.head(10).to_string(index=False))


def benchmarks_folder() -> Path | None:
    """The project's ``benchmarks/`` folder: beside the package in a source tree, else
    in the current folder; ``None`` when neither exists."""
    for folder in (Path(__file__).resolve().parents[2] / "benchmarks",
                   Path.cwd() / "benchmarks"):
        if folder.is_dir():
            return folder
    return None


@app.command("bench", context_settings={"allow_interspersed_args": False})
@_guard
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
        raise _Exit(int(code))


@app.command("study")
@_guard
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
    _parse_options(None, None, None, seed)  # --seed: the rule every command states
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
        raise _Exit(130) from None
    st = result.status
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        out.print(f"{name}: {result.executed} tasks run, {st.done} of {st.total} done "
                  f"in {result.seconds:.1f} s")
        for f in result.files:
            out.print(f"wrote {f}")
    for key, error in st.failed[:20]:
        _error(f"{key}: {error}", "failed:")
    if st.failed:
        more = f" (and {len(st.failed) - 20} more)" if len(st.failed) > 20 else ""
        err.print(f"{len(st.failed)} tasks failed{more}; no files written; "
                  f"--retry-failed reruns them")
        raise _Exit(1)


register_plot_commands(app)  # qdcopt plot, qdcopt report


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
        _quiet_stdout()
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
