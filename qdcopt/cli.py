"""The ``qdcopt`` command.

Exit codes: 0 ok · 1 a plan failed validation or a cross-check failed · 2 bad input.
``--json`` on each command prints a machine-readable summary on stdout.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from qdcopt.api import claim_mismatch, load_instance, load_plan, save_plan, solve, validate
from qdcopt.compare import add_simulation, run_comparison
from qdcopt.errors import CrossCheckError, InstanceError
from qdcopt.families import family_of
from qdcopt.report import Report

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Plan entanglement distribution in quantum datacenters and networks.")
# wide enough for the comparison table when stdout is a file or a pipe
out = Console(highlight=False, width=max(160, shutil.get_terminal_size((160, 24)).columns))
err = Console(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
OptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-o", help="Method option NAME=VALUE (repeatable); VALUE is read as JSON "
    "when it parses, else as text.")]
TimeOpt = Annotated[float | None, typer.Option(help="Time limit per solve, seconds.")]
ThreadsOpt = Annotated[int | None, typer.Option(help="Solver threads.")]
SeedOpt = Annotated[int | None, typer.Option(help="Random seed.")]


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
            err.print(f"[bold red]error:[/] {exc.message}", markup=True, soft_wrap=True)
            raise typer.Exit(2) from None
        except CrossCheckError as exc:
            err.print(f"[bold red]cross-check failed:[/] {exc}", soft_wrap=True)
            raise typer.Exit(1) from None
        except ValueError as exc:
            err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(2) from None
        except _Exit as exc:
            raise typer.Exit(exc.code) from None

    return wrapper


def _parse_options(items: list[str] | None, time_limit: float | None, threads: int | None,
                   seed: int | None) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--option must be NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            opts[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            opts[key.strip()] = value
    for key, value in (("time_limit", time_limit), ("threads", threads), ("seed", seed)):
        if value is not None:
            opts[key] = value
    return opts


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        return f"{x:.4g}"
    return str(x)


def _print_report(report: Report, title: str) -> None:
    status = "[green]valid[/]" if report.ok else f"[red]INVALID ({len(report.violations)})[/]"
    out.print(f"{title}: {status}, objective {report.objective:g}")
    for key, value in report.metrics.items():
        if isinstance(value, dict):
            if len(value) <= 8:
                out.print(f"  {key}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()))
        else:
            out.print(f"  {key}: {_fmt(value)}")
    for v in report.violations[:20]:
        out.print(f"  [red]{v.code}[/] {v.message}", soft_wrap=True)
    if len(report.violations) > 20:
        out.print(f"  … {len(report.violations) - 20} more violations")


@app.command("solve")
@_guard
def solve_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    method: Annotated[str | None, typer.Option("--method", "-m", help="Method name.")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write the plan folder here.")] = None,
    option: OptionOpt = None,
    time_limit: TimeOpt = None,
    threads: ThreadsOpt = None,
    seed: SeedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Solve INSTANCE with one method, validate the plan, optionally save it."""
    inst = load_instance(instance)
    opts = _parse_options(option, time_limit, threads, seed)
    plan, info = solve(inst, method, **opts)
    report = validate(inst, plan)
    mismatch = claim_mismatch(report, info)
    if out_dir is not None:
        save_plan(plan, out_dir, info, report)
    if as_json:
        print(json.dumps({"instance": str(instance), "solve_info": info.to_dict(),
                          "report": report.to_dict(), "cross_check": mismatch,
                          "plan_dir": str(out_dir) if out_dir else None}, indent=2))
    else:
        out.print(f"{info.method}: status {info.status}, {info.time_s:.3f} s"
                  + ("" if math.isnan(info.bound) else f", bound {info.bound:g}"))
        _print_report(report, f"plan for {inst.name}")
        if out_dir is not None:
            out.print(f"plan written to {out_dir}")
    if mismatch:
        err.print(f"[bold red]cross-check failed:[/] {mismatch}")
    if not report.ok or mismatch:
        raise _Exit(1)


@app.command("validate")
@_guard
def validate_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    plan_dir: Annotated[Path, typer.Argument(help="Plan folder (CSV files + plan.json).")],
    as_json: JsonOpt = False,
) -> None:
    """Replay the plan in PLAN_DIR against INSTANCE and report every broken rule."""
    inst = load_instance(instance)
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
    as_json: JsonOpt = False,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Also execute each plan and add its delivered rate.")] = False,
    policy: Annotated[str, typer.Option(help="Run-time policy for --simulate.")] = "scoring",
    duration: Annotated[float, typer.Option(help="Simulated seconds for --simulate.")] = 100.0,
    seeds: Annotated[int, typer.Option(help="Runs per plan for --simulate.")] = 10,
) -> None:
    """Run several methods on INSTANCE, validate each, print and write one table."""
    inst = load_instance(instance)
    opts = _parse_options(option, time_limit, threads, seed)
    names = [m.strip() for m in methods.split(",")] if methods else None
    fam = family_of(inst)
    for m in names or []:
        if m not in fam.methods:
            raise ValueError(f"unknown method {m!r} (known: {', '.join(fam.methods)})")
    folder = out_dir or Path("results") / "compare" / inst.name
    with err.status("solving…") as status:
        result = run_comparison(inst, names, {"*": opts}, plans_dir=folder / "plans",
                                progress=lambda m: status.update(f"solving with {m}…"))
        if simulate:
            status.update("simulating…")
            result = add_simulation(result, inst, policy=policy, duration=duration,
                                    seeds=seeds, seed=0 if seed is None else seed)
    folder.mkdir(parents=True, exist_ok=True)
    table_path = folder / "compare.csv"
    result.table.to_csv(table_path, index=False)
    if as_json:
        print(json.dumps({"instance": str(instance), "table": json.loads(
            result.table.to_json(orient="records")), "problems": list(result.problems),
            "table_csv": str(table_path)}, indent=2))
    else:
        _print_table(inst.name, result.table)
        out.print(f"table written to {table_path}; plans under {folder / 'plans'}")
    for p in result.problems:
        err.print(f"[bold red]cross-check failed:[/] {p}", soft_wrap=True)
    if result.problems:
        raise _Exit(1)


def _print_table(name: str, table: Any) -> None:
    shown = ["method", "valid", "objective", "bound", "gap_to_best_bound", "time_s", "status"]
    extra = [c for c in ("acceptance_ratio", "reconfigurations", "peak_stored_pairs_max",
                         "aggregate_rate", "min_rate", "delivered_rate", "delivered_low",
                         "delivered_high") if c in table.columns]
    short = {"gap_to_best_bound": "gap", "acceptance_ratio": "accepted/all",
             "reconfigurations": "reconf", "peak_stored_pairs_max": "peak mem"}
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
    method: Annotated[str, typer.Option("--method", "-m",
                                        help="Method whose plan is executed.")] = "lp",
    plan_dir: Annotated[Path | None, typer.Option(
        "--plan", help="Execute this plan folder instead of solving.")] = None,
    policy: Annotated[str, typer.Option(help="Run-time policy (family-specific).")] = "scoring",
    duration: Annotated[float, typer.Option(help="Simulated seconds per run.")] = 100.0,
    seeds: Annotated[int, typer.Option(help="Runs, with seeds SEED, SEED+1, ….")] = 10,
    seed: SeedOpt = None,
    option: OptionOpt = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write simulate.csv (and simulate.json) here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Execute a plan of INSTANCE in the seeded event engine: delivered vs promised."""
    inst = load_instance(instance)
    fam = family_of(inst)
    if fam.simulate is None:
        raise ValueError(f"{fam.name} instances have no simulation")
    if seeds < 1 or duration <= 0:
        raise ValueError("--seeds must be at least 1 and --duration positive")
    plan = None
    if plan_dir is not None:
        plan, _ = load_plan(plan_dir)
    with err.status("simulating…"):
        result = fam.simulate(inst, method=method, plan=plan, policy=policy,
                              duration=duration, seeds=seeds, seed=0 if seed is None else seed,
                              **_parse_options(option, None, None, None))
    frame = result.to_frame()
    files = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = [out_dir / "simulate.csv", out_dir / "simulate.json"]
        frame.to_csv(files[0], index=False)
        files[1].write_text(json.dumps(result.to_dict(), indent=2))
    if as_json:
        print(json.dumps({**result.to_dict(), "files": [str(f) for f in files]}, indent=2))
        return
    t = Table(title=f"simulate {inst.name}: {policy}, {seeds} × {duration:g} s")
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


@app.command("export")
@_guard
def export_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the operator files.")],
    plan_dir: Annotated[Path | None, typer.Option("--plan", help="Plan folder to export.")] = None,
    method: Annotated[str | None, typer.Option("--method", "-m",
                                               help="Solve with this method first.")] = None,
    option: OptionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the operator files of a validated plan (switch control, resource allocation)."""
    inst = load_instance(instance)
    if plan_dir is not None:
        plan, _ = load_plan(plan_dir)
    else:
        plan, _ = solve(inst, method, **_parse_options(option, None, None, None))
    report = validate(inst, plan)
    if not report.ok:
        _print_report(report, "plan")
        err.print("[bold red]refusing to export an invalid plan[/]")
        raise _Exit(1)
    fam = family_of(inst)
    if fam.export is None:
        raise ValueError(f"{fam.name} plans have no operator export")
    files = fam.export(inst, plan, out_dir)
    save_plan(plan, out_dir / "plan", None, report)
    if as_json:
        print(json.dumps({"files": [str(f) for f in files], "plan_dir": str(out_dir / "plan")},
                         indent=2))
    else:
        for f in files:
            out.print(f"wrote {f}")


@app.command("eds")
@_guard
def eds_cmd(
    instance: Annotated[Path, typer.Argument(help="Family-A instance with [[jobs]].")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write requests.csv and jobs.csv here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Extract the entanglement demand schedule of the circuits (jobs) of INSTANCE."""
    from qdcopt.datacenter.jobs import extract_eds

    result = extract_eds(instance)
    summary = result.summary_frame()
    requests = result.requests_frame()
    files = result.write_csv(out_dir) if out_dir is not None else []
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


@app.command("bench")
@_guard
def bench_cmd(
    suite: Annotated[str, typer.Argument(help="Suite: the script benchmarks/bench_SUITE.py.")],
    args: Annotated[list[str] | None, typer.Argument(
        help="Arguments passed to the script.")] = None,
) -> None:
    """Run a benchmark script from benchmarks/ (it prints its own figures)."""
    import runpy

    folder = Path("benchmarks")
    script = folder / f"bench_{suite}.py"
    if not script.is_file():
        known = sorted(p.stem.removeprefix("bench_") for p in folder.glob("bench_*.py"))
        raise ValueError(f"no benchmark suite {suite!r} in {folder}/ (known: "
                         f"{', '.join(known) or 'none; run from the project folder'})")
    old = sys.argv
    sys.argv = [str(script), *(args or [])]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = old


@app.command("study")
@_guard
def study_cmd(
    name: Annotated[str, typer.Argument(help="Study name (see `qdcopt study list`).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for CSV and PNG files.")] = Path(
        "results"),
    seed: SeedOpt = None,
    quick: Annotated[bool, typer.Option(help="A small, fast version of the study.")] = False,
    repetitions: Annotated[str | None, typer.Option(
        help="Only repetitions START:STOP (e.g. 0:10), to run parts side by side.")] = None,
    join: Annotated[str | None, typer.Option(
        help="Comma-separated CSV files of parts to join instead of running.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Regenerate the CSV and PNG files of one paper figure or table."""
    from qdcopt.studies import STUDIES, run_study

    if name == "list":
        for key, (_, text) in STUDIES.items():
            out.print(f"{key:10s} {text}")
        return
    reps = None
    if repetitions is not None:
        lo, sep, hi = repetitions.partition(":")
        if not (sep and lo.isdigit() and hi.isdigit() and int(lo) < int(hi)):
            raise ValueError(f"--repetitions must be START:STOP with START < STOP, "
                             f"got {repetitions!r}")
        reps = range(int(lo), int(hi))
    parts = [Path(f.strip()) for f in join.split(",") if f.strip()] if join else None
    files = run_study(name, out_dir, seed=0 if seed is None else seed, quick=quick,
                      progress=lambda msg: err.print(msg), repetitions=reps, join=parts)
    if as_json:
        print(json.dumps({"study": name, "files": [str(f) for f in files]}, indent=2))
    else:
        for f in files:
            out.print(f"wrote {f}")


def main() -> None:
    """Entry point of the ``qdcopt`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
