"""Paper 003 Fig. 7: latency of one-pair requests with one-time (batch) pre-distribution.

See :mod:`qdcopt.studies.paper003.predist_latency` for the workload, settings and outputs.
"""

from __future__ import annotations

from qdcopt.studies.paper003.predist_latency import run_task, write_batch
from qdcopt.sweeps import Sweep

NAME = "fig7"
write = write_batch


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """The study's tasks for the sweep runner: one per point, policy and repetition."""
    from qdcopt.studies.paper003.predist_latency import make_sweep

    return make_sweep(NAME, "batch", seed=seed, quick=quick, repetitions=repetitions)


__all__ = ["NAME", "run_task", "sweep", "write"]
