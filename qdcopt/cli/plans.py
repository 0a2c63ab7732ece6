"""The plan commands: ``solve`` (and ``methods``, what it can run), ``validate``, ``export``
and ``eds`` (the demand schedule a datacenter plan starts from)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from qdcopt.api import check_plan_for, claim_mismatch, load_plan, save_plan, solve, validate
from qdcopt.cli.console import (
    INTERRUPTED,
    CommandExit,
    err,
    guard,
    out,
    print_error,
    print_report,
    say,
)
from qdcopt.cli.options import (
    JsonOpt,
    OptionOpt,
    RandomRequestsOpt,
    RequestsOpt,
    SeedOpt,
    SpacingOpt,
    ThreadsOpt,
    TimeOpt,
    VerboseOpt,
    load_with_options,
    parse_options,
)
from qdcopt.families import family_of
from qdcopt.runs import interrupt
from qdcopt.status import false_optimum, shown_status
from qdcopt.tables import check_output, staging, written


@guard
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
    opts = parse_options(option, time_limit, threads, seed)
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
        print_report(report, f"plan for {inst.name}")
        if out_dir is not None:
            out.print(f"plan written to {out_dir}")
    if mismatch:
        print_error(mismatch, "cross-check failed:")
    if stopped:
        raise CommandExit(INTERRUPTED)
    if not report.ok or mismatch:
        raise CommandExit(1)


@guard
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


@guard
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
        print_report(report, f"plan {plan_dir}")
    if mismatch:
        print_error(f"the plan's recorded objective differs from the validated one: {mismatch}",
               "cross-check failed:")
    if not report.ok or mismatch:
        raise CommandExit(1)


@guard
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
    opts = parse_options(option, None, None, seed)
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
            print_report(report, "plan")
        say(err, ("refusing to export an invalid plan", "bold red"))
        raise CommandExit(1)
    with staging(out_dir) as tmp:
        files = written(fam.export(inst, plan, tmp), tmp, out_dir)
        save_plan(plan, tmp / "plan", None, report, instance=inst)
    if as_json:
        print(json.dumps({"files": [str(f) for f in files], "plan_dir": str(out_dir / "plan")},
                         indent=2))
    else:
        for f in files:
            out.print(f"wrote {f}")


@guard
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
