"""Run several methods on one instance, validate each plan, and build one table.

The table's objective is the validator's.  These cross-checks are built in and reported
as problems (the command line exits 1 on any):

* a method's claimed objective must equal the validator's;
* a method whose status says optimal must have a validated objective equal to its own
  bound (the table's ``flag`` column then reads ``objective ≠ bound``);
* no valid plan may beat a proven bound, and an exact method that reports optimality
  must be at least as good as every other valid plan of the same demand — both within
  one resource model (a plan's ``bound_scope``: family-B plans under reserved memories
  answer to other rules than attempt-only plans).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.api import claim_mismatch, save_plan, solve, validate
from qdcopt.families import family_of
from qdcopt.params import shared_options
from qdcopt.report import Report
from qdcopt.runs import interrupt
from qdcopt.runs.progress import NoProgress, Progress
from qdcopt.solvers.highs import SolveInfo, relative_gap
from qdcopt.status import Status, false_optimum, optimum_flag


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    table
        One row per method.
    plans, infos, reports
        Method → plan, solve information and validation report.
    problems
        Cross-check failures (empty when all is well).
    interrupted
        Whether a Ctrl-C (:mod:`qdcopt.runs.interrupt`) stopped the comparison: the table
        holds the methods run until then, the last one with status ``interrupted``.
    """

    table: pd.DataFrame
    plans: dict[str, Any] = field(default_factory=dict)
    infos: dict[str, SolveInfo] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    interrupted: bool = False


def run_comparison(instance: Any, methods: Iterable[str] | None = None,
                   options: dict[str, dict[str, Any]] | None = None,
                   plans_dir: str | Path | None = None,
                   progress: Progress | None = None) -> Comparison:
    """Solve ``instance`` with each method, validate, cross-check and tabulate.

    Parameters
    ----------
    instance
        A loaded instance.
    methods
        Method names; the family's compare methods by default.
    options
        Method → options for it (a key ``"*"`` applies to every method).
    plans_dir
        When given, each plan is saved to ``plans_dir/<method>/``.
    progress
        Told of each method as it starts and of each that ends (see
        :func:`qdcopt.sweeps.make_progress`); nothing by default.
    """
    fam = family_of(instance)
    if methods is not None:
        names = [fam.method_name(m) for m in methods]
    else:
        names = list(fam.compare_for(instance) if fam.compare_for is not None
                     else fam.compare_methods)
        if fam.more_methods is not None:
            names += [m for m in fam.more_methods(instance) if m not in names]
    options = options or {}
    if fam.specs and all(n in fam.specs for n in names):
        # every option is checked before the first solve; an option for all methods goes
        # to those that take it
        options = shared_options({n: fam.specs[n] for n in names}, options.get("*", {}),
                                 options)
    plans: dict[str, Any] = {}
    infos: dict[str, SolveInfo] = {}
    reports: dict[str, Report] = {}
    problems: list[str] = []
    progress = progress or NoProgress()
    progress.start(f"compare {getattr(instance, 'name', '')}".rstrip(), len(names))
    try:
        _solve_each(instance, names, options, plans_dir, progress,
                    plans, infos, reports, problems)
    finally:
        progress.close()
    problems.extend(_bound_checks(fam.sense, fam.exact_methods, plans, infos, reports))
    table = _table(fam.sense, [m for m in names if m in infos], plans, infos, reports)
    return Comparison(table=table, plans=plans, infos=infos, reports=reports,
                      problems=tuple(problems), interrupted=interrupt.requested())


def _solve_each(instance: Any, names: list[str], options: dict[str, dict[str, Any]],
                plans_dir: str | Path | None, progress: Progress, plans: dict[str, Any],
                infos: dict[str, SolveInfo], reports: dict[str, Report],
                problems: list[str]) -> None:
    """Solve, validate, cross-check and save with each method in turn (fills the dicts)."""
    for k, name in enumerate(names):
        progress.note(name)
        opts = {**options.get("*", {}), **options.get(name, {})}
        start = time.perf_counter()
        plan, info = solve(instance, name, **opts)
        elapsed = time.perf_counter() - start
        report = validate(instance, plan)
        info = info.with_(time_s=info.time_s or elapsed)
        plans[name], infos[name], reports[name] = plan, info, report
        if not report.ok:
            codes = ", ".join(sorted(report.codes()))
            problems.append(f"{name}: plan fails validation ({codes})")
        mismatch = claim_mismatch(report, info)
        if mismatch:
            problems.append(mismatch)
        overclaim = false_optimum(info, report.objective) if report.ok else None
        if overclaim:
            problems.append(overclaim)
        if plans_dir is not None:
            save_plan(plan, Path(plans_dir) / name, info, report, instance=instance)
        progress.update(k + 1)
        if interrupt.requested():
            break


def compare(instance: Any, methods: Iterable[str] | None = None, **options: Any) -> pd.DataFrame:
    """Run methods on ``instance`` and return the comparison table (see :func:`run_comparison`).

    ``options`` apply to every method.
    """
    return run_comparison(instance, methods, {"*": options}).table


def _comparable(plan: Any, report: Report) -> bool:
    return report.ok and not getattr(plan, "changes_demand", False)


def _scope(plan: Any) -> str:
    """The resource model a plan answers to: bounds and optima hold within one model only
    (family B plans under reserved memories or attempts alone, for instance)."""
    return str(getattr(plan, "bound_scope", ""))


def _better(a: float, b: float, sense: str) -> bool:
    return a > b + 1e-9 * max(1.0, abs(b)) if sense == "max" else a < b - 1e-9 * max(1.0, abs(b))


def _bound_checks(sense: str, exact: tuple[str, ...], plans: dict[str, Any],
                  infos: dict[str, SolveInfo], reports: dict[str, Report]) -> list[str]:
    problems = []
    bounds = [(m, i.bound) for m, i in infos.items() if not math.isnan(i.bound)
              and not getattr(plans[m], "changes_demand", False)]
    for m, report in reports.items():
        if not _comparable(plans[m], report):
            continue
        for bm, bound in bounds:
            if _scope(plans[bm]) != _scope(plans[m]):
                continue
            if _better(report.objective, bound, sense):
                problems.append(f"{m}'s validated objective {report.objective:g} beats the bound "
                                f"{bound:g} that {bm} claims to have proven")
    for em in exact:
        if em not in reports or infos[em].status != Status.OPTIMAL or not reports[em].ok:
            continue
        for m, report in reports.items():
            if m != em and _comparable(plans[m], report) and _scope(plans[m]) == _scope(
                    plans[em]) and _better(report.objective, reports[em].objective, sense):
                problems.append(f"{m} ({report.objective:g}) beats the optimum of {em} "
                                f"({reports[em].objective:g})")
    return problems


def _table(sense: str, names: list[str], plans: dict[str, Any], infos: dict[str, SolveInfo],
           reports: dict[str, Report]) -> pd.DataFrame:
    bounds: dict[str, list[float]] = {}
    for m, i in infos.items():
        if not math.isnan(i.bound) and not getattr(plans[m], "changes_demand", False):
            bounds.setdefault(_scope(plans[m]), []).append(i.bound)
    rows = []
    for m in names:
        info, report = infos[m], reports[m]
        scoped = bounds.get(_scope(plans[m]), [])
        best_bound = (min(scoped) if sense == "max" else max(scoped)) if scoped else math.nan
        row = {
            "method": m,
            "valid": report.ok,
            "objective": report.objective,
            "claimed": info.objective,
            "status": info.status,
            "flag": optimum_flag(info.status, report.objective, info.bound)
            if report.ok else "",
            "bound": info.bound,
            "gap_to_best_bound": (relative_gap(report.objective, best_bound, sense)
                                  if _comparable(plans[m], report) else math.nan),
            "time_s": round(info.time_s, 4),
            "changes_demand": bool(getattr(plans[m], "changes_demand", False)),
        }
        if "bound_over_candidates" in info.extra:
            # a bound over a restricted set of decisions, not one of the problem: shown
            # apart from ``bound`` and never used for gaps or cross-checks
            row["bound_over_candidates"] = info.extra["bound_over_candidates"]
        for key, value in report.metrics.items():
            if isinstance(value, (int, float)) and key not in row:
                row[key] = value
        rows.append(row)
    return pd.DataFrame(rows)


def add_simulation(result: Comparison, instance: Any, progress: Progress | None = None,
                   **options: Any) -> Comparison:
    """Execute each method's valid plan in the family's simulation and add its promised
    and delivered total rate (mean and 95 % interval over seeds) and their ratio.

    ``options`` go to the family's ``simulate`` hook (``policy``, ``duration``, ``seeds``,
    ``seed``, …); ``progress`` is told of each plan as it runs.

    Raises
    ------
    ValueError
        When the family has no simulation.
    """
    fam = family_of(instance)
    if fam.simulate is None:
        raise ValueError(f"{fam.name} instances have no simulation")
    extra: dict[str, list[float]] = {"promised_rate": [], "delivered_rate": [],
                                     "delivered_low": [], "delivered_high": [],
                                     "delivered_over_promised": [],
                                     "delivered_fidelity": []}
    progress = progress or NoProgress()
    methods = list(result.table["method"])
    progress.start(f"simulate {getattr(instance, 'name', '')}".rstrip(), len(methods))
    try:
        for k, method in enumerate(methods):
            progress.note(method)
            _simulate_one(fam, instance, result, method, options, extra)
            progress.update(k + 1)
    finally:
        progress.close()
    table = result.table.assign(**extra)
    return Comparison(table=table, plans=result.plans, infos=result.infos,
                      reports=result.reports, problems=result.problems)


def _simulate_one(fam: Any, instance: Any, result: Comparison, method: str,
                  options: dict[str, Any], extra: dict[str, list[float]]) -> None:
    """Append one method's promised and delivered rate (interval, ratio) and fidelity to
    ``extra``'s columns."""
    if not result.reports[method].ok:
        for col in extra.values():
            col.append(math.nan)
        return
    frame = fam.simulate(instance, plan=result.plans[method], **options).to_frame()
    total = frame[frame["request"] == "total"].iloc[0]
    extra["promised_rate"].append(float(total["promised_rate"]))
    extra["delivered_over_promised"].append(float(total["delivered_over_promised"]))
    extra["delivered_rate"].append(float(total["delivered_rate"]))
    extra["delivered_low"].append(float(total["delivered_rate_low"]))
    extra["delivered_high"].append(float(total["delivered_rate_high"]))
    extra["delivered_fidelity"].append(float(total["fidelity_mean"]))
