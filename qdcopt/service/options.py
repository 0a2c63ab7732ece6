"""The options of every family-D method: one frozen parameter class per method.

The defaults live here alone: each method receives its parameter object.  See
:mod:`qdcopt.params` for how options are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qdcopt.params import MethodParams, option


@dataclass(frozen=True)
class EdfParams(MethodParams):
    """Options of ``edf``."""

    compiled: bool | None = option(None, "run the compiled loop (null: from 5 000 PGAs); "
                                   "same schedule")


@dataclass(frozen=True)
class PgaMilpParams(MethodParams):
    """Options of ``milp`` (the time-indexed interval MILP)."""

    warm_start: bool = option(True, "start HiGHS from the EDF schedule")

    USES: ClassVar[tuple[str, ...]] = ("time_limit", "threads", "seed", "mip_gap", "verbose")
