"""Studies: one module per paper figure or table, each regenerating its files in results/.

The modules sit in one sub-package per paper — ``paper000`` (the datacenter: Figs. 3-5),
``paper001`` (the ModEn-Hub), ``paper002`` (the demand service: Fig. 4.3), ``paper003``
(network swapping at run time: Figs. 6-9 and the studies beyond them) and ``paper004``
(the link layer: Table V) — and are named on the command line by their key in
:data:`STUDIES`.

Every study module declares its tasks as plain data and runs through the sweep runner
(:mod:`qdcopt.sweeps`, whose docstring says what a module provides): ``sweep(*, seed=0,
quick=False, ...) -> Sweep``, a pure ``run_task(task, settings) -> row`` and
``write(frame, out_dir) -> files``; ``quick`` gives a small version (for tests).
Studies sit above the families: they may import the API and any family; nothing but the
command line imports them.
"""

from __future__ import annotations

import inspect
from importlib import import_module
from pathlib import Path

from qdcopt.sweeps import Progress, Sweep, SweepResult, SweepStatus, run_sweep, sweep_status

STUDIES: dict[str, tuple[str, str]] = {
    "fig3": ("qdcopt.studies.paper000.fig3_eds",
             "paper 000 Fig. 3: runtime and distributed depth vs circuit depth"),
    "fig4": ("qdcopt.studies.paper000.fig4_acceptance",
             "paper 000 Fig. 4: acceptance ratio vs t_max, heuristics vs MILP plan and bound"),
    "fig5": ("qdcopt.studies.paper000.fig5_jobs",
             "paper 000 Fig. 5: execution and completion time vs number of jobs"),
    "fig6": ("qdcopt.studies.paper003.fig6_runtime",
             "paper 003 Figs. 6 and 9: delivered rate and fidelity of executed plans per policy"),
    "sensitivity": ("qdcopt.studies.paper003.sensitivity",
                    "paper 003's headlines against the lost score weights and discard factor"),
    "promise": ("qdcopt.studies.paper003.promise_delivery",
                "family B: promised against delivered rate per planner at the Fig. 6 points"),
    "repeaters": ("qdcopt.studies.paper003.repeater_spacing",
                  "family B: rate against repeater spacing on the Abilene backbone, delivered "
                  "beside promised"),
    "modenhub": ("qdcopt.studies.paper001.modenhub",
                 "paper 001 Fig. 3: teleportation success and attempts vs N, with exact values"),
    "modenhub_memory": ("qdcopt.studies.paper001.modenhub_memory",
                        "ModEn-Hub beyond paper 001: cache cut-off, fidelity, smallest K(N)"),
    "fig4_3": ("qdcopt.studies.paper002.fig4_3",
               "paper 002 Fig. 4.3: minimal-service share and queue time vs renewal rate"),
    "fig4_3_former": ("qdcopt.studies.paper002.fig4_3_former",
                      "paper 002 Fig. 4.3 under the former parameters (2-pair packets, 8 h)"),
    "table5": ("qdcopt.studies.paper004.table5",
               "paper 004 Table V, Figs. 8, 10, 11: DQP and ESP latency, the optimum beside"),
    "fig7": ("qdcopt.studies.paper003.fig7_batch_latency",
             "paper 003 Fig. 7: latency of one-pair requests, one-time pre-distribution"),
    "fig8": ("qdcopt.studies.paper003.fig8_continuous_latency",
             "paper 003 Fig. 8: latency of one-pair requests, continuous pre-distribution"),
    "stock": ("qdcopt.studies.paper003.stock_sensitivity",
              "paper 003 Fig. 8's latency against the lost stock size, threshold and count"),
    "purification": ("qdcopt.studies.paper003.purification",
                     "family B: planned rate against a fidelity target, with and without "
                     "purification"),
    "ghz": ("qdcopt.studies.paper003.ghz",
            "family B: GHZ rate against the number of parties, stars and trees of fusions, "
            "planned beside simulated"),
}


def study_sweep(name: str, *, seed: int = 0, quick: bool = False,
                repetitions: int | None = None) -> Sweep:
    """The tasks of study ``name``.

    Parameters
    ----------
    repetitions
        Seeded repetitions per point, for studies that repeat (e.g. ``fig5``); default
        the study's own.

    Raises
    ------
    ValueError
        For an unknown study name, or repetitions for a study without them.
    """
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r} (known: {', '.join(STUDIES)})")
    module = import_module(STUDIES[name][0])
    extra = {}
    if repetitions is not None:
        if "repetitions" not in inspect.signature(module.sweep).parameters:
            raise ValueError(f"study {name!r} has no repetitions")
        if repetitions < 1:
            raise ValueError(f"--repetitions must be a positive integer, got {repetitions}")
        extra["repetitions"] = repetitions
    return module.sweep(seed=seed, quick=quick, **extra)


def run_study(name: str, out_dir: str | Path, *, seed: int = 0, quick: bool = False,
              repetitions: int | None = None, workers: int | None = None,
              scheduler: str | None = None, retry_failed: bool = False,
              max_tasks: int | None = None, progress: Progress | None = None) -> SweepResult:
    """Run the pending tasks of study ``name``; its files are written once all are done.

    See :func:`qdcopt.sweeps.run_sweep` for ``workers`` (0: in this process),
    ``scheduler``, ``retry_failed``, ``max_tasks`` and ``progress``.
    """
    sweep = study_sweep(name, seed=seed, quick=quick, repetitions=repetitions)
    return run_sweep(sweep, Path(out_dir), workers=workers, scheduler=scheduler,
                     retry_failed=retry_failed, max_tasks=max_tasks, progress=progress)


def study_status(name: str, out_dir: str | Path, *, seed: int = 0, quick: bool = False,
                 repetitions: int | None = None) -> SweepStatus:
    """How many tasks of study ``name`` are done in the store under ``out_dir``."""
    sweep = study_sweep(name, seed=seed, quick=quick, repetitions=repetitions)
    return sweep_status(sweep, Path(out_dir))
