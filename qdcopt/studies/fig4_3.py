"""Paper 002 Fig. 4.3: minimal-service share and queue time vs the session renewal rate λ.

Setting (paper 002 §4.1): the six-node star of ``instances/service/star6_cka.toml`` —
five clients and a server around a junction, client↔server CKA demands of 10 packets
of 2 pairs within 8 h, PGAs of about 152 s (a packet with probability 0.9 from the link
model), one-hour scheduling intervals — for 360 simulated days per point.  Three rate
regimes (fixed 0.001 Hz, fixed 0.0005 Hz, adaptive), two admission rules (the paper's
utilisation rule with limit 0.75 and at most 1 500 PGAs per interval; the schedule-aware
rule) and two schedulers (EDF; the MILP, run on the intervals where EDF leaves a demand
off track).

The study is a list of tasks (plain dictionaries, :func:`tasks`) and a pure function
from a task to a row (:func:`row`); :func:`run` executes them in order and writes
``fig4_3.csv`` and ``fig4_3.png`` — (a) the share of sessions that obtain minimal
service, (b) the mean queue time with a ±1σ band and, dotted red, the expectation for a
lone pair.

Run ``qdcopt study fig4_3`` or ``python -m qdcopt.studies.fig4_3 [OUT_DIR] [--quick]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.service.controller import ServiceConfig, cka_classes, simulate_service
from qdcopt.service.network import star6
from qdcopt.sweeps import Sweep, dict_sweep, write_table

RATES: tuple[tuple[str, float | None], ...] = (("fixed 0.001 Hz", 0.001),
                                               ("fixed 0.0005 Hz", 0.0005),
                                               ("adaptive", None))
"""The paper's three rate regimes."""
LAMBDAS_PER_HOUR: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Session renewal rates λ (per hour)."""
ADMISSIONS = ("utilisation", "schedule")
SCHEDULERS = ("edf", "milp")


NAME = "fig4_3"

def tasks(*, seed: int = 0, quick: bool = False) -> list[dict[str, Any]]:
    """The study's tasks, one per (rate regime, λ, admission, scheduler)."""
    lambdas = (0.5, 8.0) if quick else LAMBDAS_PER_HOUR
    days = 10.0 if quick else 360.0
    out = []
    for r_index, (label, rate) in enumerate(RATES):
        for lam in lambdas:
            for admission in ADMISSIONS:
                for scheduler in SCHEDULERS:
                    # the seed depends on the regime and λ only: every admission rule and
                    # scheduler meets the same first arrivals (common random numbers)
                    task_seed = int(np.random.SeedSequence(
                        [seed, r_index, round(lam * 1000)]).generate_state(1)[0])
                    out.append({"study": "fig4_3", "regime": label, "rate": rate,
                                "lambda_per_hour": lam, "admission": admission,
                                "scheduler": scheduler, "days": days, "seed": task_seed})
    return out


def row(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point of the service and return its figures."""
    net = star6()
    cfg = ServiceConfig(network=net, classes=cka_classes(net, rate=task["rate"]),
                        renewal_rate=task["lambda_per_hour"] / 3600.0,
                        admission=task["admission"], scheduler=task["scheduler"],
                        days=task["days"], seed=task["seed"])
    m = simulate_service(cfg).metrics
    keep = ("sessions", "served", "min_service_share", "admitted", "served_share_of_admitted",
            "expired", "expired_in_queue", "rejected", "queue_time_mean", "queue_time_std",
            "queue_time_p95", "queue_time_single_pair", "utilisation_max", "milp_runs",
            "milp_gain", "pga_seconds", "interval_seconds")
    return {"regime": task["regime"], "lambda_per_hour": task["lambda_per_hour"],
            "admission": task["admission"], "scheduler": task["scheduler"],
            "days": task["days"], "seed": task["seed"], **{k: m[k] for k in keep}}


def plot(frame: pd.DataFrame, path: Path) -> None:
    """Draw panels (a) and (b) from the study's rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    colours = {"fixed 0.001 Hz": "tab:blue", "fixed 0.0005 Hz": "tab:orange",
               "adaptive": "tab:green"}
    styles = {("utilisation", "edf"): ("-", "o"), ("utilisation", "milp"): (":", "x"),
              ("schedule", "edf"): ("--", "s"), ("schedule", "milp"): ("-.", "+")}
    for (regime, admission, scheduler), part in frame.groupby(
            ["regime", "admission", "scheduler"]):
        part = part.sort_values("lambda_per_hour")
        ls, mk = styles[(admission, scheduler)]
        c = colours.get(str(regime), "k")
        label = f"{regime}, {admission}, {scheduler}"
        axes[0].plot(part["lambda_per_hour"], part["min_service_share"], ls, marker=mk,
                     color=c, ms=4, label=label)
        axes[1].plot(part["lambda_per_hour"], part["queue_time_mean"] / 3600, ls, marker=mk,
                     color=c, ms=4, label=label)
        if scheduler == "edf":
            lo = (part["queue_time_mean"] - part["queue_time_std"]) / 3600
            hi = (part["queue_time_mean"] + part["queue_time_std"]) / 3600
            axes[1].fill_between(part["lambda_per_hour"], lo, hi, color=c, alpha=0.08)
    single = frame["queue_time_single_pair"].iloc[0] / 3600
    axes[1].axhline(single, color="red", ls=":", lw=1.5, label="lone pair (expected)")
    axes[0].set_ylabel("share of sessions with minimal service")
    axes[1].set_ylabel("queue time (h)")
    for ax, tag in zip(axes, ("(a)", "(b)"), strict=True):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("session renewal rate λ (per hour)")
        ax.set_title(tag)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The study's tasks for the sweep runner (:mod:`qdcopt.sweeps`)."""
    return dict_sweep(NAME, tasks(seed=seed, quick=quick), row, write,
                      {"seed": seed, "quick": quick})


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``fig4_3.csv`` and ``fig4_3.png`` from the rows of every task."""
    return write_table(frame, out_dir, "fig4_3", plot)
