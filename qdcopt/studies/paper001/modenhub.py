"""Paper 001 Fig. 3: teleportation success rate and attempts per teleportation vs N.

Setting (paper 001 §VI): N QPUs around a hub, 2 500 uniform source–destination pairs
per run, round budget R = 3, ``p_eff(N) = 0.35 / (1 + 0.35 log2 N)``; the naive strategy
makes one attempt per round, the orchestrated one ``K(N) = max(2, ⌈0.9 log2 N⌉)`` with
a cache of one spare pair per node pair.  Each point runs ``runs`` seeded Monte Carlo
runs (:func:`qdcopt.service.hub.montecarlo.simulate_hub`) and puts the exact expected values of
:mod:`qdcopt.service.hub.exact` beside them.

The study is a list of tasks (plain dictionaries: point parameters and seed, see
:func:`tasks`) and a pure function from a task to a row (:func:`row`), so any runner can
execute it; :func:`run` executes them in order and writes ``modenhub.csv`` and
``modenhub.png`` (panel (a) success rate, (b) attempts per teleportation; Monte Carlo
means with 95 % intervals as points, exact values as lines).

Run ``qdcopt study modenhub`` or ``python -m qdcopt.studies.paper001.modenhub [OUT_DIR] [--quick]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.engine import mean_ci
from qdcopt.service.hub.budget import smallest_k
from qdcopt.service.hub.exact import exact_hub
from qdcopt.service.hub.montecarlo import STRATEGIES, HubModel, run_seeds, simulate_hub
from qdcopt.sweeps import Sweep, dict_sweep, write_table

SIZES: tuple[int, ...] = tuple(range(2, 129))
"""Network sizes N of the paper's figure."""
QUICK_SIZES: tuple[int, ...] = (2, 4, 16, 128)
RUNS = 10
"""Monte Carlo runs of 2 500 requests per point."""
TARGET = 0.9
"""Success rate for the column of the smallest K reaching it."""


NAME = "modenhub"

def tasks(*, seed: int = 0, quick: bool = False, sizes: tuple[int, ...] | None = None,
          runs: int | None = None) -> list[dict[str, Any]]:
    """The study's tasks: one per (N, strategy), each a plain dictionary.

    A task carries the study seed; its runs' seeds derive from it and the task's key
    (N, strategy) by :func:`~qdcopt.service.hub.montecarlo.run_seeds`, so rows do not
    depend on the order or place in which tasks run, and ``qdcopt simulate`` on a hub
    file with the same seed draws the same runs.
    """
    sizes = sizes or (QUICK_SIZES if quick else SIZES)
    runs = runs or (3 if quick else RUNS)
    out = []
    for n in sizes:
        for strategy in STRATEGIES:
            out.append({"study": "modenhub", "n_qpus": n, "strategy": strategy, "runs": runs,
                        "requests": 2500, "p0": 0.35, "beta": 0.35, "kappa": 0.9,
                        "rounds": 3, "cache": 1, "seed": seed})
    return out


def row(task: dict[str, Any]) -> dict[str, Any]:
    """The row of one task: Monte Carlo means with 95 % half-widths, and exact values."""
    model = HubModel(task["n_qpus"], p0=task["p0"], beta=task["beta"], kappa=task["kappa"],
                     rounds=task["rounds"], cache=task["cache"], requests=task["requests"])
    strategy = task["strategy"]
    runs = [simulate_hub(model, strategy, s).summary()
            for s in run_seeds(task["seed"], model.n_qpus, strategy, task["runs"])]
    exact = exact_hub(model, strategy)
    out: dict[str, Any] = {"n_qpus": model.n_qpus, "strategy": strategy,
                           "k": model.attempts(strategy), "p_eff": model.p_eff,
                           "runs": task["runs"], "requests": model.requests}
    for key, ex in (("success_rate", exact.success_rate),
                    ("attempts_per_request", exact.attempts_per_request),
                    ("hit_rate", exact.hit_rate)):
        ci = mean_ci(r[key] for r in runs)
        out[f"{key}_mc"] = ci.mean
        out[f"{key}_ci95"] = ci.half_width
        out[f"{key}_exact"] = float(ex)
    out["success_longrun"] = float(exact.success_longrun)
    out["attempts_longrun"] = float(exact.attempts_longrun)
    out["k_for_target_no_cache"] = smallest_k(model, TARGET, cached=False)
    return out


def plot(frame: pd.DataFrame, path: Path) -> None:
    """Draw Fig. 3 (a) and (b) from the study's rows."""
    from qdcopt.plotting import subplots

    fig, axes = subplots(1, 2, figsize=(11, 4.2))
    colours = {"naive": "tab:red", "orchestrated": "tab:blue"}
    panels = (("success_rate", "teleportation success rate", "(a)"),
              ("attempts_per_request", "entanglement attempts per teleportation", "(b)"))
    for ax, (key, label, tag) in zip(axes, panels, strict=True):
        for strategy, part in frame.groupby("strategy"):
            part = part.sort_values("n_qpus")
            c = colours.get(str(strategy), "k")
            ax.errorbar(part["n_qpus"], part[f"{key}_mc"], yerr=part[f"{key}_ci95"], fmt="o",
                        ms=2.5, color=c, alpha=0.6, label=f"{strategy}, Monte Carlo")
            ax.plot(part["n_qpus"], part[f"{key}_exact"], "-", color=c, lw=1.2,
                    label=f"{strategy}, exact")
        ax.set_xlabel("number of QPUs N")
        ax.set_ylabel(label)
        ax.set_title(f"{tag} {label}")
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The study's tasks for the sweep runner (:mod:`qdcopt.sweeps`)."""
    return dict_sweep(NAME, tasks(seed=seed, quick=quick), row, write,
                      {"seed": seed, "quick": quick})


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``modenhub.csv`` and ``modenhub.png`` from the rows of every task."""
    return write_table(frame, out_dir, "modenhub", plot)
