"""Beyond paper 001: what a decaying cache and the choice of K do to ModEn-Hub.

(a) Cached pairs in a memory with coherence time ``T_mem``: a spare older than ``t_cut``
is discarded.  For N = 2, 4, 8, 16 QPUs and cut-offs of 1 … 1 000 request intervals (and
none), the exact success rate and cache hit rate of the orchestrated strategy
(:mod:`qdcopt.service.hub.exact`), and the mean fidelity of the pairs it uses
(``T_mem`` = 100 request intervals, fresh pairs of fidelity 1); one seeded Monte Carlo
run of 2 500 requests per point beside them.

(b) The smallest K(N) whose success rate reaches 0.9 with R = 3: closed form without
cache, exact chain with one cached spare per pair, against the paper's
``max(2, ⌈0.9 log2 N⌉)``.

Tasks are plain dictionaries (:func:`tasks`), rows come from :func:`row`;
:func:`run` writes ``modenhub_memory.csv``, ``modenhub_k.csv`` and ``modenhub_memory.png``.
Run ``qdcopt study modenhub_memory``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.service.hub.budget import smallest_k
from qdcopt.service.hub.exact import exact_hub
from qdcopt.service.hub.montecarlo import HubModel, k_orchestrated, simulate_hub
from qdcopt.sweeps import Sweep, derive_seed, dict_sweep

SIZES = (2, 4, 8, 16)
CUTS: tuple[int | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)
"""Cut-offs in request intervals (``None``: no cut-off)."""
K_SIZES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
T_MEM = 100
"""Memory coherence time in request intervals."""


NAME = "modenhub_memory"

def tasks(*, seed: int = 0, quick: bool = False) -> list[dict[str, Any]]:
    """Memory tasks (one per N and cut-off) and K tasks (one per N)."""
    sizes = (2, 8) if quick else SIZES
    cuts = (1, 10, None) if quick else CUTS
    out: list[dict[str, Any]] = []
    for n in sizes:
        for cut in cuts:
            s = derive_seed(seed, "modenhub_memory", n, cut or 0)
            out.append({"study": "modenhub_memory", "part": "memory", "n_qpus": n,
                        "t_cut_intervals": cut, "t_mem_intervals": T_MEM, "seed": s})
    for n in ((2, 16, 128) if quick else K_SIZES):
        out.append({"study": "modenhub_memory", "part": "k", "n_qpus": n, "target": 0.9})
    return out


def row(task: dict[str, Any]) -> dict[str, Any]:
    """The row of one task."""
    n = task["n_qpus"]
    if task["part"] == "k":
        model = HubModel(n)
        return {"n_qpus": n, "p_eff": model.p_eff, "k_paper": k_orchestrated(n),
                "k_min_no_cache": smallest_k(model, task["target"], cached=False),
                "k_min_cache": smallest_k(model, task["target"]), "target": task["target"]}
    cut = task["t_cut_intervals"]
    model = HubModel(n, request_interval=1.0, t_cut=None if cut is None else float(cut),
                     t_mem=None if cut is None else float(task["t_mem_intervals"]))
    ex = exact_hub(model, "orchestrated")
    mc = simulate_hub(model, "orchestrated", task["seed"]).summary()
    return {"n_qpus": n, "t_cut_intervals": cut if cut is not None else np.inf,
            "success_exact": ex.success_rate, "success_mc": mc["success_rate"],
            "hit_rate_exact": ex.hit_rate, "hit_rate_mc": mc["hit_rate"],
            "mean_fidelity_exact": ex.mean_fidelity, "mean_fidelity_mc": mc["mean_fidelity"],
            "attempts_exact": ex.attempts_per_request}


def plot(memory: pd.DataFrame, ks: pd.DataFrame, path: Path) -> None:
    """(a) success and hit rate vs cut-off, (b) fidelity, (c) smallest K vs N."""
    from qdcopt.plotting import subplots

    fig, axes = subplots(1, 3, figsize=(15, 4.2))
    finite = memory[np.isfinite(memory["t_cut_intervals"])]
    for n, part in finite.groupby("n_qpus"):
        part = part.sort_values("t_cut_intervals")
        line, = axes[0].plot(part["t_cut_intervals"], part["hit_rate_exact"], "-",
                             label=f"N = {n}")
        axes[0].plot(part["t_cut_intervals"], part["hit_rate_mc"], "o", ms=3,
                     color=line.get_color())
        no_cut = memory[(memory["n_qpus"] == n) & ~np.isfinite(memory["t_cut_intervals"])]
        if len(no_cut):
            axes[0].axhline(float(no_cut["hit_rate_exact"].iloc[0]), ls=":", lw=0.8,
                            color=line.get_color())
        axes[1].plot(part["t_cut_intervals"], part["mean_fidelity_exact"], "-",
                     color=line.get_color(), label=f"N = {n}")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("cut-off t_cut (request intervals)")
    axes[0].set_ylabel("cache hit rate (exact lines, Monte Carlo dots)")
    axes[0].set_title("(a) hits lost to the cut-off (dotted: no cut-off)")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("cut-off t_cut (request intervals)")
    axes[1].set_ylabel(f"mean fidelity of used pairs (T_mem = {T_MEM})")
    axes[1].set_title("(b) fidelity bought by discarding")
    axes[2].plot(ks["n_qpus"], ks["k_paper"], "k-", label="paper: max(2, ⌈0.9 log2 N⌉)")
    axes[2].plot(ks["n_qpus"], ks["k_min_no_cache"], "s--", label="smallest K, no cache")
    axes[2].plot(ks["n_qpus"], ks["k_min_cache"], "o:", label="smallest K, cache of 1")
    axes[2].set_xscale("log", base=2)
    axes[2].set_xlabel("number of QPUs N")
    axes[2].set_ylabel("attempts per round K")
    axes[2].set_title("(c) smallest K for 90 % success, R = 3")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The study's tasks for the sweep runner (:mod:`qdcopt.sweeps`)."""
    return dict_sweep(NAME, tasks(seed=seed, quick=quick), tagged_row, write,
                      {"seed": seed, "quick": quick})


def tagged_row(task: dict[str, Any]) -> dict[str, Any]:
    """:func:`row` with the task's part, so that :func:`write` can split the rows."""
    return {"part": task["part"], **row(task)}


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The two CSV files and the figure from the rows of every task."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    memory = frame[frame["part"] == "memory"].drop(columns="part").dropna(axis=1, how="all")
    ks = frame[frame["part"] == "k"].drop(columns="part").dropna(axis=1, how="all")
    files = [out_dir / "modenhub_memory.csv", out_dir / "modenhub_k.csv",
             out_dir / "modenhub_memory.png"]
    memory.to_csv(files[0], index=False, float_format="%.6g")
    ks.to_csv(files[1], index=False)
    plot(memory, ks, files[2])
    return files
