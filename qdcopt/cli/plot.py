"""The ``qdcopt plot`` and ``qdcopt report`` commands: pictures of plans, and one HTML page
for a comparison folder.

Both write one file, atomically: the picture or page goes to a hidden sibling first and
is renamed into place when complete, so a failure leaves nothing behind.  Bad input (an
instance or plan that does not load, a plan of another family or instance, an output
path that is a folder or lies under a file, an unknown suffix) is one line on stderr
naming the file, the field and the rule, and exit code 2.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.text import Text

from qdcopt.api import check_plan_for, load_instance, load_plan
from qdcopt.cli.options import (
    JsonOpt,
    RandomRequestsOpt,
    RequestsOpt,
    SeedOpt,
    SpacingOpt,
    load_with_options,
)
from qdcopt.errors import InstanceError
from qdcopt.families import family_of
from qdcopt.tables import fingerprint

PICTURE_SUFFIXES = (".png", ".svg", ".pdf", ".html")
_err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


def _fail(message: str) -> None:
    line = Text()
    line.append("error:", style="bold red")
    line.append(" " + message)
    _err.print(line, soft_wrap=True)


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input → one line on stderr and exit code 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InstanceError as exc:
            _fail(exc.message)
            raise typer.Exit(2) from None
        except ValueError as exc:
            _fail(str(exc))
            raise typer.Exit(2) from None

    return wrapper


def check_file_output(path: Path, suffixes: tuple[str, ...], option: str = "--out") -> Path:
    """Refuse an output file before any work: a suffix not in ``suffixes``, an existing
    folder, or a path under an existing file.

    Raises
    ------
    ValueError
        Naming the option, the path and the rule.
    """
    if path.is_dir():
        raise ValueError(f"{option} {path}: is an existing folder; {option} must name a "
                         "file, nothing was written")
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"{option} {path}: must end in {', '.join(suffixes)} (the format "
                         f"follows the suffix), got {path.suffix or 'no suffix'!r}")
    for parent in path.absolute().parents:
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"{option} {path}: lies under the file {parent.name!r}; "
                             f"{option} must name a file in a folder, nothing was written")
    return path


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` on a hidden sibling of ``path`` and rename it into place; on any
    error the sibling is removed and ``path`` left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise




def _plan_for(inst: Any, plan_dir: Path) -> Any:
    """The plan in ``plan_dir``, refused when it is of another family or instance."""
    if not (plan_dir / "plan.json").is_file():
        raise InstanceError(plan_dir, "plan.json", "no plan folder here (a plan folder holds "
                            "plan.json and its CSV tables)")
    plan, _ = load_plan(plan_dir)
    if plan.family != inst.family:
        raise InstanceError(plan_dir / "plan.json", "family", f"the plan is a {plan.family} "
                            f"plan, the instance a {inst.family} instance")
    check_plan_for(plan_dir, inst)
    return plan


OutOpt = Annotated[Path, typer.Option("--out", help="File to write; .png, .svg, .pdf or .html "
                                      "(a self-contained page with zoomable pictures).")]


@_guard
def plot_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    plan_dir: Annotated[Path, typer.Argument(help="Plan folder (CSV files + plan.json).")],
    out: OutOpt,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Network plans: run the plan and draw delivered beside "
        "promised rates.")] = False,
    policy: Annotated[str, typer.Option(help="Run-time policy for --simulate.")] = "scoring",
    duration: Annotated[float, typer.Option(help="Simulated seconds for --simulate.")] = 10.0,
    seeds: Annotated[int, typer.Option(help="Runs for --simulate.")] = 5,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    seed: SeedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw the plan in PLAN_DIR: a switch Gantt and memory per QPU (datacenter), the
    network and its trees (network), generation windows and latency (link layer), or the
    PGA schedule per resource (service)."""
    check_file_output(out, PICTURE_SUFFIXES)
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    plan = _plan_for(inst, plan_dir)
    fam = family_of(inst)
    result = None
    if simulate:
        if fam.name != "network":
            raise ValueError(f"--simulate: draws delivered beside promised rates of network "
                             f"plans; {instance} is a {fam.name} instance")
        result = fam.simulate(inst, plan=plan, policy=policy, duration=duration,
                              seeds=seeds, seed=0 if seed is None else seed)
    from qdcopt.plotting import plan_figure
    from qdcopt.plotting.report import plan_page

    fig = plan_figure(inst, plan, simulation=result)
    if out.suffix.lower() == ".html":
        text = plan_page(inst, plan, fig)
        write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        fmt = out.suffix.lower().lstrip(".")
        write_atomic(out, lambda tmp: fig.savefig(tmp, format=fmt, dpi=110))
    if as_json:
        print(json.dumps({"out": str(out), "family": fam.name,
                          "method": getattr(plan, "method", "")}, indent=2))
    else:
        print(f"wrote {out}")


def find_instance(name: str, wanted: str | None,
                  roots: tuple[Path, ...] = (Path("instances"),)) -> Path | None:
    """The instance file under ``roots`` called ``name`` (its file name without suffix)
    whose fingerprint is ``wanted`` (the one the comparison's plans record), or whose
    instance is named ``name`` when the plans record no fingerprint; None if none is."""
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in (".toml", ".json") or not _named(path, name):
                continue
            try:
                inst = load_instance(path)
            except (InstanceError, ValueError, OSError):
                continue
            if fingerprint(inst) == wanted or (wanted is None and inst.name == name):
                return path
    return None


def _named(path: Path, name: str) -> bool:
    """Whether the instance file ``path`` is called ``name`` (its stem or its ``name``
    field); read as plain TOML or JSON, which is cheap beside a full load."""
    if path.stem == name:
        return True
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and doc.get("name") == name


def _recorded_instance(plans_dir: Path) -> tuple[str, str | None] | None:
    """The instance name and fingerprint the saved plans record (the first that does)."""
    for manifest in sorted(plans_dir.glob("*/plan.json")):
        try:
            rec = json.loads(manifest.read_text()).get("instance")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(rec, dict) and "fingerprint" in rec:
            return str(rec.get("name", "")), str(rec["fingerprint"])
    return None


@_guard
def report_cmd(
    compare_dir: Annotated[Path, typer.Argument(help="A folder written by qdcopt compare "
                                                "(compare.csv and plans/), or a folder "
                                                "of study results (results/).")],
    out: Annotated[Path, typer.Option("--out", help="The HTML page to write.")],
    instance: Annotated[Path | None, typer.Option(
        "--instance", help="The compared instance (default: the file under instances/ "
        "whose name and content the plans record).")] = None,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    seed: SeedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write one self-contained HTML page for a comparison: the table with bounds and
    gaps, every plan drawn, and delivered beside promised rates when the comparison ran
    with --simulate.  Given a folder of study results (PNG and CSV files, e.g. results/),
    the page shows every figure with the command that made it."""
    from qdcopt.plotting.report import MethodPlan, compare_page

    check_file_output(out, (".html",))
    table_path = compare_dir / "compare.csv"
    if not table_path.is_file() and compare_dir.is_dir() and any(compare_dir.glob("*.png")):
        # a folder of study results (results/): its figures, commands and tables
        from qdcopt.plotting.report import results_page

        text = results_page(compare_dir)
        write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        if as_json:
            print(json.dumps({"out": str(out),
                              "figures": len(list(compare_dir.glob("*.png")))}, indent=2))
        else:
            print(f"wrote {out}")
        return
    if not table_path.is_file():
        raise InstanceError(table_path, "", "no comparison table here (qdcopt compare "
                            "INSTANCE --out DIR writes DIR/compare.csv and DIR/plans/)")
    try:
        table = pd.read_csv(table_path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InstanceError(table_path, "", f"is not a CSV table ({exc})") from None
    if "method" not in table.columns:
        raise InstanceError(table_path, "method", "required column is missing")
    plans_dir = compare_dir / "plans"
    note = ""
    inst = None
    if instance is not None:
        inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    else:
        # plans written before instances were recorded name none: the folder's name
        # (compare writes results/compare/<instance name>) is all there is to go on
        recorded = _recorded_instance(plans_dir) or (compare_dir.resolve().name, None)
        found = find_instance(*recorded)
        if found is not None:
            inst = load_instance(found)
        else:
            note = ("The plans are not drawn: no file under instances/ matches the instance "
                    "they were made for; give it with --instance")
            _err.print(f"warning: {note}")
    plans = []
    for method in table["method"].astype(str):
        folder = plans_dir / method
        if not (folder / "plan.json").is_file():
            plans.append(MethodPlan(method, why="no plan was saved for this method"))
            continue
        plans.append(MethodPlan(method, _plan_for(inst, folder) if inst is not None
                                else None))
    name = inst.name if inst is not None else compare_dir.name
    text = compare_page(name, table, inst, plans, source=str(compare_dir), note=note)
    write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if as_json:
        print(json.dumps({"out": str(out), "methods": len(table),
                          "plans_drawn": sum(p.plan is not None for p in plans)}, indent=2))
    else:
        print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``plot`` and ``report`` to the ``qdcopt`` command."""
    app.command("plot")(plot_cmd)
    app.command("report")(report_cmd)


__all__ = ["check_file_output", "find_instance", "plot_cmd", "register", "report_cmd",
           "write_atomic"]
