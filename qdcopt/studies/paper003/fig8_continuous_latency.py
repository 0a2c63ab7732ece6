"""Paper 003 Fig. 8: latency of one-pair requests with continuous pre-distribution.

See :mod:`qdcopt.studies.paper003.predist_latency` for the workload, settings and outputs.
"""

from __future__ import annotations

from qdcopt.studies.paper003.predist_latency import run_task, write_continuous
from qdcopt.sweeps import Sweep

NAME = "fig8"
write = write_continuous


def sweep(*, seed: int = 0, quick: bool = False, repetitions: int | None = None) -> Sweep:
    """The study's tasks for the sweep runner: one per point, policy and repetition."""
    from qdcopt.studies.paper003.predist_latency import make_sweep

    return make_sweep(NAME, "continuous", seed=seed, quick=quick, repetitions=repetitions)


__all__ = ["NAME", "run_task", "sweep", "write"]
