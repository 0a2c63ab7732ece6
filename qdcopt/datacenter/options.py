"""The options of every family-A method: one frozen parameter class per method.

The defaults live here: each method receives its parameter object.  The heuristics'
functions keep keyword defaults of their own for the switch MILP's warm start, and the job
pipeline's engine for ``select-milp``'s; a test keeps those equal to these.  See
:mod:`qdcopt.params` for how options are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qdcopt.params import MethodParams, option

SCHEDULER_NAMES = ("greedy", "greedy-retry", "edf", "scoring", "milp", "milp-lp", "cpsat")
"""Request-level methods a job-level method may schedule with."""

_COMPILED = "run the compiled loop (null: from the size where it pays off); same plan"
_SOLVER = ("time_limit", "threads", "seed", "mip_gap", "verbose")


@dataclass(frozen=True)
class GreedyRetryParams(MethodParams):
    """Options of ``greedy-retry`` (the greedy with Phase E retries)."""

    delta: str | float = option("1 ns", "delay per retry of a rejected request", duration=True)
    max_attempts: int = option(10, "retries per request", ge=0)
    compiled: bool | None = option(None, _COMPILED)


@dataclass(frozen=True)
class GreedyParams(GreedyRetryParams):
    """Options of ``greedy``."""

    retries: bool = option(False, "apply Phase E: delay a rejected request and the rest of "
                           "its job and retry")


@dataclass(frozen=True)
class EdfParams(MethodParams):
    """Options of ``edf``."""

    compiled: bool | None = option(None, _COMPILED)


@dataclass(frozen=True)
class ScoringParams(MethodParams):
    """Options of ``scoring`` (score weights, see :mod:`~qdcopt.datacenter.heuristics.scoring`)."""

    alpha: float = option(1.0, "weight of urgency", ge=0)
    beta: float = option(0.05, "weight of EPR events lost to a reconfiguration", ge=0)
    gamma: float = option(1.0, "weight of requests stranded by a reconfiguration", ge=0)
    delta: float = option(0.5, "weight of memory relief", ge=0)
    breadth: int = option(8, "most urgent pairs scored besides the current one", ge=1)
    compiled: bool | None = option(None, _COMPILED)


@dataclass(frozen=True)
class SwitchMilpParams(MethodParams):
    """Options of ``milp`` (the slot MILP of switch assignment)."""

    penalty: float | None = option(
        None, "null: most requests, then fewest changes; a number: accepted - penalty x "
        "changes in one solve", ge=0)
    builder: str = option("auto", "model builder (auto: pyomo for small models)",
                          choices=("auto", "pyomo", "arrays"))
    formulation: str = option("slot", "model formulation", choices=("slot",))
    warm_start: bool = option(True, "start from the best heuristic plan")
    lexicographic: bool = option(False, "after the most requests, also find the fewest switch "
                                 "changes (a second solve)")
    split_blocks: bool = option(True, "solve independent time blocks as separate models")
    anneal: bool = option(True, "anneal a one-source block's run sequence before its model")

    USES: ClassVar[tuple[str, ...]] = _SOLVER


@dataclass(frozen=True)
class MilpLpParams(MethodParams):
    """Options of ``milp-lp`` (best heuristic plan with the LP-relaxation bound)."""

    USES: ClassVar[tuple[str, ...]] = ("time_limit", "threads", "seed", "verbose")


@dataclass(frozen=True)
class SwitchCpsatParams(MethodParams):
    """Options of ``cpsat`` (the CP-SAT model of switch assignment)."""

    workers: int = option(2, "CP-SAT search workers (one worker: same seed, same search)",
                          ge=1)
    warm_start: bool = option(True, "hint the model with the best heuristic plan")
    anneal: bool = option(True, "improve the hint by the run-sequence search first (one "
                          "source, memory not binding)")
    split_blocks: bool = option(True, "solve independent time blocks as separate models")

    USES: ClassVar[tuple[str, ...]] = ("time_limit", "seed", "verbose")


@dataclass(frozen=True)
class JobParams(MethodParams):
    """Options shared by the job-level methods: the scheduler of the accepted jobs' requests
    (options not listed here go to it, and so do the common options the method does not
    use itself, those not in ``USES``)."""

    scheduler: str = option("greedy", "request-level method scheduling the accepted jobs",
                            choices=SCHEDULER_NAMES)

    FORWARD: ClassVar[str | None] = "scheduler"


@dataclass(frozen=True)
class PipelineParams(JobParams):
    """Options of ``pipeline-sequential`` and ``pipeline-parallel``."""

    retries: bool = option(False, "Phase E: delay a failed request and the rest of its job "
                           "and retry")
    delta: str | float = option("1 ns", "delay per retry (with retries)", duration=True)
    max_attempts: int = option(10, "retries per request (with retries)", ge=0)
    max_rounds: int | None = option(
        None, "allocate-schedule-eject rounds (null: number of jobs + 1)", ge=1)
    eject: str = option("first", "eject the first failed job per round, or all at once",
                        choices=("first", "all"))


@dataclass(frozen=True)
class PipelineRetryParams(JobParams):
    """Options of ``pipeline-retry``."""

    mode: str = option("parallel", "job allocation", choices=("sequential", "parallel"))
    delta: str | float = option("1 ns", "delay per retry of a failed request", duration=True)
    max_attempts: int = option(10, "retries per request", ge=0)
    max_rounds: int | None = option(
        None, "allocate-schedule-eject rounds (null: number of jobs + 1)", ge=1)
    eject: str = option("first", "eject the first failed job per round, or all at once",
                        choices=("first", "all"))

    NOT_FORWARDED: ClassVar[tuple[str, ...]] = ("retries",)


@dataclass(frozen=True)
class SelectMilpParams(JobParams):
    """Options of ``select-milp`` (the job-selection MILP)."""

    objective: str = option("requests", "what to maximise",
                            choices=("requests", "jobs", "qubits"))
    max_qpu_sets: int = option(4, "QPU sets per job in the candidate grid", ge=1)
    max_delays: int = option(3, "start delays per job in the candidate grid", ge=0)
    delay_step: str | float | None = option(
        None, "step between start delays (null: the job's runtime)", duration=True)
    buckets: int = option(50, "time buckets of the entanglement-capacity constraint", ge=1)
    max_rounds: int = option(5, "solve-schedule-cut rounds", ge=1)
    warm_start: bool = option(True, "offer the pipelines' selections as candidates")

    USES: ClassVar[tuple[str, ...]] = _SOLVER


@dataclass(frozen=True)
class AdmitUtilisationParams(JobParams):
    """Options of ``admit-utilisation``."""

    limit: float = option(1.0, "largest utilisation of the entanglement supply per bucket",
                          gt=0)
    bucket: str | float = option("1 us", "bucket length", duration=True)


@dataclass(frozen=True)
class AdmitLpParams(JobParams):
    """Options of ``admit-lp``."""

    max_qpu_sets: int = option(4, "QPU sets per job in the candidate grid", ge=1)
    max_delays: int = option(3, "start delays per job in the candidate grid", ge=0)
    delay_step: str | float | None = option(
        None, "step between start delays (null: the job's runtime)", duration=True)
    buckets: int = option(50, "time buckets of the entanglement-capacity constraint", ge=1)

    USES: ClassVar[tuple[str, ...]] = ("time_limit", "threads")
