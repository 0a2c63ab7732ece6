"""Paper 002 Fig. 4.3: minimal-service share and queue time vs the session renewal rate λ.

Setting (paper 002 §4.1): the six-node star of ``instances/service/star6_cka.toml`` —
five clients and a server around a junction, client↔server CKA demands for 10 packets
before an expiry, PGAs sized from the link model, one-hour scheduling intervals — for
360 simulated days per point.  Three rate regimes (fixed 0.001 Hz, fixed 0.0005 Hz,
adaptive), two admission rules (the paper's utilisation rule with limit 0.75 and at most
1 500 PGAs per interval; the schedule-aware rule) and two schedulers (EDF; the MILP, run
on the intervals where EDF leaves a demand off track).

The paper gives the rates but not the packet size, the packets per demand, the expiry or
λ; :data:`VARIANTS` holds our choices (``models/service.md``, "Fig. 4.3 parameters"):

* ``default`` — packets of 4 pairs made with probability 0.95 (PGAs of 303 s), 10 packets
  within 9 h, λ = 1/16 … 8 per hour: a lone demand obtains minimal service with
  probability ≥ 0.98 in every regime, and at the top of the λ range the utilisation rule
  refuses demands in every regime;
* ``former`` — packets of 2 pairs with probability 0.9 (PGAs of 152 s), 10 packets within
  8 h, λ = 0.25 … 8 per hour (``qdcopt study fig4_3_former``).

The study is a list of tasks (plain dictionaries, :func:`tasks`) and a pure function
from a task to a row (:func:`row`); the sweep runner executes them and writes
``fig4_3.csv`` and ``fig4_3.png`` — (a) the share of sessions that obtain minimal
service, with the lone-pair (λ → 0) value of each regime dotted, (b) the mean queue time
with a ±1σ band and, dotted red, the expectation for a lone pair.

Run ``qdcopt study fig4_3`` (or ``fig4_3_former``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qdcopt.service.demand.network import star6
from qdcopt.service.simulation.controller import ServiceConfig, cka_classes, simulate_service
from qdcopt.sweeps import Sweep, derive_seed, dict_sweep, write_table

RATES: tuple[tuple[str, float | None], ...] = (("fixed 0.001 Hz", 0.001),
                                               ("fixed 0.0005 Hz", 0.0005),
                                               ("adaptive", None))
"""The paper's three rate regimes."""
ADMISSIONS = ("utilisation", "schedule")
SCHEDULERS = ("edf", "milp")


@dataclass(frozen=True)
class Parameters:
    """What the paper leaves open in Fig. 4.3, as one named choice.

    Attributes
    ----------
    packet_size
        Entangled pairs per packet.
    p_packet
        Probability a PGA makes its packet (with ``packet_size``, sets the PGA duration).
    min_packets
        Packets a demand needs for minimal service.
    expiry_hours
        Hours from submission to expiry.
    lambdas_per_hour
        Session renewal rates λ (per hour).
    """

    packet_size: int
    p_packet: float
    min_packets: int
    expiry_hours: float
    lambdas_per_hour: tuple[float, ...]

    def settings(self) -> dict[str, Any]:
        """Plain-data form (the sweep's settings)."""
        return {"packet_size": self.packet_size, "p_packet": self.p_packet,
                "min_packets": self.min_packets, "expiry_hours": self.expiry_hours,
                "lambdas_per_hour": list(self.lambdas_per_hour)}


VARIANTS: dict[str, Parameters] = {
    "default": Parameters(packet_size=4, p_packet=0.95, min_packets=10, expiry_hours=9.0,
                          lambdas_per_hour=(0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)),
    "former": Parameters(packet_size=2, p_packet=0.9, min_packets=10, expiry_hours=8.0,
                         lambdas_per_hour=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0)),
}
"""Parameter sets of the study (see the module text and ``models/service.md``)."""
LAMBDAS_PER_HOUR: tuple[float, ...] = VARIANTS["default"].lambdas_per_hour
"""Session renewal rates λ (per hour) of the default set."""

NAME = "fig4_3"
STEMS = {"default": "fig4_3", "former": "fig4_3_former"}
"""Study name (and file stem) of each variant."""


def tasks(*, seed: int = 0, quick: bool = False, variant: str = "default"
          ) -> list[dict[str, Any]]:
    """The study's tasks, one per (rate regime, λ, admission, scheduler)."""
    par = VARIANTS[variant]
    lambdas = (0.5, 8.0) if quick else par.lambdas_per_hour
    days = 10.0 if quick else 360.0
    out = []
    for label, rate in RATES:
        for lam in lambdas:
            for admission in ADMISSIONS:
                for scheduler in SCHEDULERS:
                    # the seed depends on the regime and λ only: every admission rule and
                    # scheduler meets the same first arrivals (common random numbers)
                    task_seed = derive_seed(seed, "fig4_3", label, lam)
                    out.append({"study": STEMS[variant], "variant": variant,
                                "regime": label, "rate": rate, "lambda_per_hour": lam,
                                "admission": admission, "scheduler": scheduler,
                                "packet_size": par.packet_size, "p_packet": par.p_packet,
                                "min_packets": par.min_packets,
                                "expiry_hours": par.expiry_hours, "days": days,
                                "seed": task_seed})
    return out


def config(task: dict[str, Any]) -> ServiceConfig:
    """The service configuration of one task."""
    net = star6()
    classes = cka_classes(net, rate=task["rate"], min_packets=task["min_packets"],
                          packet_size=task["packet_size"],
                          expiry=task["expiry_hours"] * 3600.0)
    return ServiceConfig(network=net, classes=classes, p_packet=task["p_packet"],
                         renewal_rate=task["lambda_per_hour"] / 3600.0,
                         admission=task["admission"], scheduler=task["scheduler"],
                         days=task["days"], seed=task["seed"])


def row(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point of the service and return its figures."""
    m = simulate_service(config(task)).metrics
    keep = ("sessions", "served", "min_service_share", "min_service_share_single_pair",
            "admitted", "served_share_of_admitted", "expired", "expired_in_queue",
            "rejected", "queue_time_mean", "queue_time_std", "queue_time_p95",
            "queue_time_single_pair", "utilisation_max", "milp_runs", "milp_gain",
            "pga_seconds", "p_success", "interval_seconds")
    return {"variant": task["variant"], "regime": task["regime"],
            "lambda_per_hour": task["lambda_per_hour"], "admission": task["admission"],
            "scheduler": task["scheduler"], "packet_size": task["packet_size"],
            "min_packets": task["min_packets"], "expiry_hours": task["expiry_hours"],
            "days": task["days"], "seed": task["seed"], **{k: m[k] for k in keep}}


def plot(frame: pd.DataFrame, path: Path) -> None:
    """Draw panels (a) and (b) from the study's rows."""
    from qdcopt.plotting import subplots

    fig, axes = subplots(1, 2, figsize=(12, 4.6))
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
        if (admission, scheduler) == ("utilisation", "edf"):
            axes[0].plot(part["lambda_per_hour"], part["min_service_share_single_pair"],
                         ":", color=c, lw=1.2, label=f"{regime}, lone pair (λ → 0)")
        if scheduler == "edf":
            lo = (part["queue_time_mean"] - part["queue_time_std"]) / 3600
            hi = (part["queue_time_mean"] + part["queue_time_std"]) / 3600
            axes[1].fill_between(part["lambda_per_hour"], lo, hi, color=c, alpha=0.08)
    single = frame["queue_time_single_pair"].iloc[0] / 3600
    axes[1].axhline(single, color="red", ls=":", lw=1.5, label="lone pair (expected)")
    axes[0].axhline(0.98, color="grey", ls="--", lw=0.8, label="0.98 (paper: all above)")
    axes[0].set_ylabel("share of sessions with minimal service")
    axes[1].set_ylabel("queue time (h)")
    for ax, tag in zip(axes, ("(a)", "(b)"), strict=True):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("session renewal rate λ (per hour)")
        ax.set_title(tag)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=5, ncol=2)
    axes[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def sweep(*, seed: int = 0, quick: bool = False, variant: str = "default") -> Sweep:
    """The study's tasks for the sweep runner (:mod:`qdcopt.sweeps`)."""
    writer = write if variant == "default" else write_former
    return dict_sweep(STEMS[variant], tasks(seed=seed, quick=quick, variant=variant), row,
                      writer, {"seed": seed, "quick": quick, "variant": variant,
                               **VARIANTS[variant].settings()})


def write(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``fig4_3.csv`` and ``fig4_3.png`` from the rows of every task."""
    return write_table(frame, out_dir, "fig4_3", plot)


def write_former(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``fig4_3_former.csv`` and ``.png`` (the former parameter set)."""
    return write_table(frame, out_dir, "fig4_3_former", plot)
