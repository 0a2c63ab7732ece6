"""The Python API: load an instance, solve it, validate a plan, save and load plans.

Every function dispatches on the problem family (the ``kind`` of the instance file, or
the ``family`` attribute of a loaded instance), so the flow is the same for each family.
"""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path
from typing import Any

from qdcopt.errors import InstanceError
from qdcopt.families import family, family_of, known_kinds
from qdcopt.fields import read_document
from qdcopt.report import Report
from qdcopt.runs import interrupt
from qdcopt.status import SolveInfo, Status
from qdcopt.tables import fingerprint, read_folder, write_folder

GRAPH_SUFFIXES = (".gml", ".graphml")


def load_instance(path: str | Path | Any, **graph_options: Any) -> Any:
    """Load and check an instance of any family.

    Parameters
    ----------
    path
        A TOML or JSON instance file (its ``kind`` names the family, ``"datacenter"`` by
        default), a GML/GraphML network graph file or a ``networkx`` graph (family
        ``network``), or an instance document (a ``dict`` laid out as the files are; it
        may hold what files cannot, such as a qiskit ``QuantumCircuit`` as a job's
        ``circuit``; relative file names in it are read from the working folder).
    graph_options
        For graphs only: ``requests`` (a text such as ``"A-B,C-D"`` or node-id pairs),
        ``random_requests`` (K) and ``seed``, and physical parameters (see
        :mod:`qdcopt.network.topology.graphs`).

    Raises
    ------
    InstanceError
        On the first broken rule, naming the file, the field and the rule.
    """
    if isinstance(path, dict):
        if graph_options:
            raise ValueError(f"options {', '.join(sorted(graph_options))} apply only to graphs")
        where = Path("<document>")
        kind = path.get("kind", "datacenter")
        if kind not in known_kinds():
            raise InstanceError(where, "kind", f"must be one of {', '.join(known_kinds())}, "
                                f"got {kind!r}")
        return family(kind).load(where, path)
    if not isinstance(path, (str, Path)):
        from qdcopt.network.topology.graphs import is_graph, network_instance_from_graph

        if is_graph(path):
            return network_instance_from_graph(path, **graph_options)
        raise TypeError("load_instance takes a file name, a networkx graph or a document "
                        f"(dict), got {type(path).__name__}")
    path = Path(path)
    if path.suffix.lower() in GRAPH_SUFFIXES:
        from qdcopt.network.topology.graphs import load_graph_file

        return load_graph_file(path, **graph_options)
    if graph_options:
        # --requests / --random-requests name the requests of a graph; an instance file
        # names its own, and silently ignoring the options would hide a mistake
        raise InstanceError(path, "", f"{', '.join(sorted(graph_options))}: apply only to "
                            f"graph files ({', '.join(GRAPH_SUFFIXES)}); this file names its "
                            "own requests")
    document = read_document(path)
    kind = document.get("kind", "datacenter")
    if kind not in known_kinds():
        kinds = ", ".join(known_kinds())
        raise InstanceError(path, "kind", f"must be one of {kinds}, got {kind!r}")
    return family(kind).load(path, document)


def methods(instance_or_kind: Any) -> list[str]:
    """Names of the methods available for an instance (or a family name)."""
    fam = family(instance_or_kind) if isinstance(instance_or_kind, str) else family_of(
        instance_or_kind)
    return list(fam.methods)


def solve(instance: Any, method: str | None = None, **options: Any) -> tuple[Any, SolveInfo]:
    """Turn an instance into a plan with one method.

    Parameters
    ----------
    instance
        A loaded instance.
    method
        Method name (see :func:`methods`); the family's first compare method by default.
    options
        Method options (``time_limit``, ``threads``, ``seed``, ...); ``qdcopt methods``
        lists each method's options, types and defaults.

    Returns
    -------
    (plan, SolveInfo)
        The plan and what the method believes about it; judge the plan with
        :func:`validate`.  Under :func:`qdcopt.runs.interrupt.catch_sigint`, a Ctrl-C stops the
        method early: the plan is its best so far and the status ``interrupted``.

    Raises
    ------
    qdcopt.params.OptionError
        (a ``ValueError``) for an option the method does not take, or a value of the wrong
        type or range.
    """
    fam = family_of(instance)
    name = fam.method_name(method or fam.compare_methods[0])
    if name not in fam.methods:
        raise ValueError(f"unknown method {name!r} for {fam.name} instances "
                         f"(known: {', '.join(fam.methods)})")
    fn = fam.methods[name]
    spec = fam.specs.get(name)
    if spec is not None:
        # unknown names, wrong types and values out of range are refused here, before any
        # work; only the options given are passed, so the method's defaults apply as before
        options = spec.check(options)
    else:
        _check_switches(name, fn, options)
    plan, info = fn(instance, **options)
    if interrupt.requested() and info.status != Status.INTERRUPTED:
        # a Ctrl-C caught by qdcopt.runs.interrupt.catch_sigint ended the run early (or came
        # while a method that does not check it finished): its plan is the best so far
        info = info.with_(status=Status.INTERRUPTED,
                          extra={**info.extra, "status_when_stopped": str(info.status)})
    return plan, info


def _check_switches(name: str, fn: Any, options: dict[str, Any]) -> None:
    """Refuse a non-boolean value for an on/off option of ``fn`` (its default is a bool
    or it is annotated ``bool``): a text such as ``"maybe"`` would otherwise count as on."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    for key, value in options.items():
        p = params.get(key)
        if p is None or isinstance(value, bool):
            continue
        kind = str(p.annotation)
        if isinstance(p.default, bool) or kind.startswith("bool"):
            if value is None and "None" in kind:
                continue
            raise ValueError(f"option {key} of {name}: must be true or false, got {value!r}")


def simulate(instance: Any, **options: Any) -> Any:
    """Run an instance over time in the seeded event engine (``qdcopt simulate``).

    Parameters
    ----------
    instance
        A loaded instance of a family with a simulation (network, link layer, service).
    options
        The family's options (e.g. ``method``, ``policy``, ``duration``, ``seeds``,
        ``seed`` for a network; ``days``, ``admission`` for the demand service).

    Returns
    -------
    result
        With ``to_frame()`` and ``to_dict()``: what was delivered, beside what was
        planned or is expected exactly.

    Raises
    ------
    ValueError
        For a family without a simulation, or an option it does not take.
    """
    fam = family_of(instance)
    if fam.simulate is None:
        raise ValueError(f"{fam.name} instances have no simulation")
    return fam.simulate(instance, **options)


def validate(instance: Any, plan: Any) -> Report:
    """Replay a plan against its instance; the report's objective is the one qdcopt prints."""
    if plan.family != instance.family:
        raise ValueError(f"a {plan.family} plan cannot be checked against a "
                         f"{instance.family} instance")
    return family_of(instance).validate(instance, plan)


def claim_mismatch(report: Report, info: SolveInfo, tol: float = 1e-6) -> str | None:
    """A message when a method's claimed objective differs from the validator's, else None."""
    if info is None or math.isnan(info.objective):
        return None
    if abs(info.objective - report.objective) > tol * max(1.0, abs(report.objective)):
        return (f"{info.method} claims objective {info.objective:g} but the validator "
                f"recomputes {report.objective:g}")
    return None


def save_plan(plan: Any, folder: str | Path, info: SolveInfo | None = None,
              report: Report | None = None, instance: Any = None) -> Path:
    """Write a plan as a folder of CSV files plus ``plan.json`` (atomically).

    With ``instance``, the manifest records its name and :func:`~qdcopt.tables.fingerprint`,
    so that the plan is not later run against another instance (:func:`check_plan_for`).
    """
    meta = dict(plan.meta())
    if instance is not None:
        meta["instance"] = {"name": getattr(instance, "name", ""),
                            "fingerprint": fingerprint(instance)}
    if info is not None:
        meta["solve_info"] = info.to_dict()
    if report is not None:
        meta["validation"] = {"valid": report.ok, "objective": report.objective,
                              "violations": len(report.violations)}
    return write_folder(folder, plan.family, plan.to_tables(), meta)


def check_plan_for(folder: str | Path, instance: Any) -> None:
    """Refuse a plan folder made for another instance than ``instance``.

    Plans whose manifest records no instance (written before it was recorded) pass.

    Parameters
    ----------
    folder
        A plan folder (already read by :func:`load_plan`).
    instance
        The loaded instance the plan is about to be run against.

    Raises
    ------
    InstanceError
        Naming the folder's manifest, the instance it was made for and the one given.
    """
    manifest = Path(folder) / "plan.json"
    try:
        recorded = json.loads(manifest.read_text()).get("instance")
    except (OSError, ValueError, AttributeError):
        return  # load_plan has read it already; what it accepted is not judged twice
    if not isinstance(recorded, dict) or "fingerprint" not in recorded:
        return
    mine = fingerprint(instance)
    if recorded["fingerprint"] != mine:
        raise InstanceError(manifest, "instance",
                            f"the plan was made for instance {recorded.get('name', '?')!r} "
                            f"(fingerprint {recorded['fingerprint']}), not for "
                            f"{getattr(instance, 'name', '?')!r} (fingerprint {mine}); "
                            "solve this instance or give its own plan")


def load_plan(folder: str | Path) -> tuple[Any, SolveInfo | None]:
    """Read a plan folder written by :func:`save_plan`."""
    folder = Path(folder)
    kind, tables, manifest = read_folder(folder)
    if kind not in known_kinds():
        raise InstanceError(folder / "plan.json", "family",
                            f"must be one of {', '.join(known_kinds())}, got {kind!r}")
    plan = family(kind).plan_from_tables(tables, manifest, folder)
    info = SolveInfo.from_dict(manifest["solve_info"]) if "solve_info" in manifest else None
    return plan, info
