"""The problem families qdcopt knows, and how the shared flow reaches each.

Each family package exposes one :class:`Family` object.  The public API and the command
line look families up here by the ``kind`` field of an instance file (or the ``family``
attribute of a loaded instance), so the flow Instance → Method → Plan → Validator →
Report is the same code for every family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.params import MethodSpec
from qdcopt.report import Report
from qdcopt.solvers.highs import SolveInfo

Method = Callable[..., tuple[Any, SolveInfo]]


@dataclass(frozen=True)
class Family:
    """Everything the shared flow needs from one problem family.

    Attributes
    ----------
    name
        Family name; also the ``kind`` value of its instance files.
    load
        ``load(path, document) -> instance``: build a checked, immutable instance from a
        parsed document; raises :class:`~qdcopt.errors.InstanceError` on bad input.
    methods
        Method name → ``fn(instance, **options) -> (plan, SolveInfo)``.
    compare_methods
        Methods that ``compare`` runs by default, in order.  When ``compare_for`` is set,
        the methods it returns for the instance at hand instead.
    validate
        ``validate(instance, plan) -> Report``.
    plan_from_tables
        ``plan_from_tables(tables, manifest, folder) -> plan``: inverse of the plan's
        ``to_tables()`` / ``meta()``.
    exact_methods
        Methods whose validated objective must be at least every other method's (the
        cross-check ``compare`` asserts); empty if none is exact.
    sense
        ``"max"`` or ``"min"``.
    export
        Optional ``export(instance, plan, folder) -> list[Path]`` writing operator files.
    more_methods
        Optional ``more_methods(instance) -> tuple[str, ...]``: methods ``compare`` runs
        besides ``compare_methods`` when they apply to that instance (for example job
        selection when the instance holds circuits).
    simulate
        Optional ``simulate(instance, *, method, plan, policy, duration, seeds, seed,
        **options) -> result``: execute a plan (``plan``, or the one ``method`` makes) in
        the seeded event engine for ``seeds`` runs of ``duration`` seconds; the result
        has ``to_frame()`` (one row per request and a ``total`` row, delivered rate with
        its interval beside the promised one) and ``to_dict()`` (JSON-ready).
    compare_for
        Optional ``compare_for(instance) -> tuple[str, ...]``: the default methods of
        ``compare`` for that instance, where some of ``compare_methods`` cannot plan it
        (a network with GHZ requests, which only ``iterative`` plans).
    specs
        Method name → :class:`~qdcopt.params.MethodSpec` (function, parameter class,
        summary), through which :func:`qdcopt.api.solve` checks a method's options.
    aliases
        Former method name → current name; accepted wherever a method is named, for one
        release (method names are kebab-case: ``lp-hyperflow``, ``greedy-retry``).
    """

    name: str
    load: Callable[[Path, dict[str, Any]], Any]
    methods: Mapping[str, Method]
    compare_methods: tuple[str, ...]
    validate: Callable[[Any, Any], Report]
    plan_from_tables: Callable[[dict[str, pd.DataFrame], dict[str, Any], Path], Any]
    exact_methods: tuple[str, ...] = ()
    sense: str = "max"
    export: Callable[[Any, Any, Path], list[Path]] | None = None
    more_methods: Callable[[Any], tuple[str, ...]] | None = None
    simulate: Callable[..., Any] | None = None
    compare_for: Callable[[Any], tuple[str, ...]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    specs: Mapping[str, MethodSpec] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def method_name(self, name: str) -> str:
        """The current name of method ``name`` (a former name is replaced, others kept)."""
        return self.aliases.get(name, name)


_PACKAGES = {"datacenter": "qdcopt.datacenter", "network": "qdcopt.network",
             "linklayer": "qdcopt.linklayer", "service": "qdcopt.service"}


def family(name: str) -> Family:
    """The family called ``name`` (``KeyError`` if unknown)."""
    module = import_module(_PACKAGES[name])
    return module.FAMILY


def known_kinds() -> list[str]:
    """Names of every family."""
    return sorted(_PACKAGES)


def family_of(obj: Any) -> Family:
    """The family of a loaded instance or plan (its ``family`` attribute)."""
    return family(obj.family)
