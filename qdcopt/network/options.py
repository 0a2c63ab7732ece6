"""The options of every family-B method: one frozen parameter class per method.

Defaults are those of the method functions (a test keeps them equal); see
:mod:`qdcopt.params` for how options are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qdcopt.network.physics import VARIANTS
from qdcopt.params import MethodParams, option

_LP_USES = ("time_limit", "threads", "seed", "verbose")


@dataclass(frozen=True)
class TreeParams(MethodParams):
    """The hyperflow variant (every family-B method)."""

    variant: str = option("published", "hyperflow model variant", choices=VARIANTS)


_PURIFICATION = option(True, "meet a request's min_fidelity by purifying where swapping "
                       "alone falls short (false: plain trees only)")
_RESOURCES = option("memories", "memory model: reserved memories per link end (attempts "
                    "and storage), or attempts only (the published LP)",
                    choices=("memories", "attempts"))


@dataclass(frozen=True)
class MemoryTreeParams(TreeParams):
    """Options of ``iterative`` and ``greedy``."""

    resources: str = _RESOURCES
    purification: bool = _PURIFICATION


@dataclass(frozen=True)
class PyomoLpParams(TreeParams):
    """Options of ``lp_pyomo``."""

    lp_method: str = option("choose", "HiGHS LP algorithm", choices=("choose", "simplex", "ipm"))

    USES: ClassVar[tuple[str, ...]] = _LP_USES


@dataclass(frozen=True)
class LpParams(PyomoLpParams):
    """Options of ``lp`` (column generation over swapping trees)."""

    objective: str = option("sum", "sum of weighted rates, or the smallest rate",
                            choices=("sum", "maxmin"))
    per_request: int = option(8, "trees priced in per request and round", ge=1)
    resources: str = _RESOURCES
    k_paths: int = option(10, "fastest routes per request priced per round (memories)", ge=1)
    smoothing: float = option(0.5, "weight of the stability centre in the duals that price "
                              "trees (attempts)", ge=0.0, le=0.99)
    purification: bool = _PURIFICATION

    # the reserved-memory master is a MILP: its gap applies (the LPs' USES omit it)
    USES: ClassVar[tuple[str, ...]] = (*_LP_USES, "mip_gap")


@dataclass(frozen=True)
class HyperflowParams(PyomoLpParams):
    """Options of ``lp_hyperflow`` and ``lp_pruned``."""

    objective: str = option("sum", "sum of weighted rates, or the smallest rate",
                            choices=("sum", "maxmin"))
    k_paths: int = option(10, "shortest paths per request in the pruned hypergraph", ge=1)


@dataclass(frozen=True)
class PrunedParams(HyperflowParams):
    """Options of ``lp-pruned``: with a request's ``min_fidelity``, the class LP's grid and
    its purification hyperedges (``models/hyperflow.md``, "Fidelity classes")."""

    purification: bool = _PURIFICATION
    fidelity_classes: int | None = option(
        None, "uniform points of the Werner-parameter class grid (requests with "
        "min_fidelity); null: the finest of 16, 32, 64, 128, 256 whose LP has at most "
        "150 000 columns", ge=1, le=512)


@dataclass(frozen=True)
class CalibratedParams(MethodParams):
    """Options of ``lp-calibrated``."""

    rounds: int = option(3, "re-plans after the first plan", ge=0)
    target: float = option(0.9, "stop when delivered ≥ target × promised", gt=0, le=1)
    duration: float = option(20.0, "simulated seconds per calibration run", gt=0, le=1000)
    seeds: int = option(2, "calibration runs per round", ge=1)
    k_paths: int = option(10, "fastest routes per request priced per round", ge=1)
    per_request: int = option(4, "trees priced in per request and round", ge=1)

    USES: ClassVar[tuple[str, ...]] = _LP_USES
