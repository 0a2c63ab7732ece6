"""The ``compare`` command: several methods on one instance, validated and cross-checked,
in one table (and, for network plans, executed)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from qdcopt.cli.console import INTERRUPTED, CommandExit, err, fmt, guard, out, print_error, say
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
from qdcopt.compare import add_simulation, run_comparison
from qdcopt.families import family_of
from qdcopt.runs import interrupt
from qdcopt.runs.progress import make_progress
from qdcopt.tables import check_output, staging


@guard
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
    opts = parse_options(option, time_limit, threads, seed)
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
        print_error(str(p), "cross-check failed:")
    if result.interrupted:
        say(err, ("interrupted:", "bold yellow"), f" stopped after {len(result.table)} "
            "method(s); the table holds them")
        raise CommandExit(INTERRUPTED)
    if result.problems:
        raise CommandExit(1)


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
        t.add_row(*[fmt(row[c]) for c in shown + extra])
    out.print(t)
