"""Rate against a fidelity target, with and without purification (paper 003 §II, §IV).

Paper 003 plans purification-augmented swapping trees (PASTs) for requests that carry a
fidelity target (its ref. [20]); it gives no figure for them.  This study shows what the
target costs.  Every request of a network asks for the same ``min_fidelity``; the
``iterative`` planner plans each in turn (``models/purification.md``), once with
purification and once with plain swapping trees only (``purification=false``), and the
plan's rate and fidelity are read from the validated plan:

* ``chain`` — a 4-link chain of 10-km links, link pairs of fidelity 0.95, q = 0.5, 8
  memories per node, one request end to end; both memory models: ``attempts`` (the
  published LP's, eq.-1 latency) and ``memories`` (reserved memories per link end, the
  runtime's);
* ``waxman`` — Waxman networks of 30 nodes (density 0.2, q = 0.4, 5 requests, link
  pairs of fidelity 0.95), 5 seeded networks per target, ``attempts``.

Targets run from 0.70 to 0.95.  A plain chain of ``h`` links of fidelity 0.95 gives
``F = (1 + 3·(14/15)^h·n^(h−1))/4``, ``n = 0.9736`` the dephasing of a swap's two measured
qubits (1000/s over its 10 µs, the instance's defaults): 0.775 over 4 links, so every
target above it needs a purification there, and a request whose target its trees cannot
reach gets rate 0.
Output: ``purification.csv`` (one row per network, target, memory model and mode),
``purification.png`` (aggregate rate against target; served requests below).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.sweeps import Sweep, derive_seed, dict_sweep

NAME = "purification"
TARGETS = (0.70, 0.75, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.95)
QUICK_TARGETS = (0.75, 0.85)
LINK_FIDELITY = 0.95
NETWORKS = 5
"""Seeded Waxman networks per target."""


def chain(hops: int = 4, *, fidelity: float = LINK_FIDELITY, target: float | None = None,
          memories: int = 8, q: float = 0.5) -> Any:
    """A chain of ``hops`` 10-km links, one request from end to end."""
    from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request

    nodes = tuple(Node(id=f"v{i}", x=10.0 * i, y=0.0, memories=memories,
                       generation_time=1e-3, generation_success=1.0, swap_success=q)
                  for i in range(hops + 1))
    links = tuple(Link(u=i, v=i + 1, length=10.0) for i in range(hops))
    return NetworkInstance(name=f"chain{hops}", nodes=nodes, links=links,
                           requests=(Request(id="r", source=0, destination=hops,
                                             min_fidelity=target),),
                           physics=Physics(link_fidelity=fidelity))


def _network(task: dict[str, Any]) -> Any:
    if task["network"] == "chain":
        return chain(target=task["target"])
    from qdcopt.network.topology.waxman import waxman_instance

    inst = waxman_instance(30, density=0.2, requests=5, seed=task["seed"], swap_success=0.4)
    return dataclasses.replace(
        inst, physics=dataclasses.replace(inst.physics, link_fidelity=LINK_FIDELITY),
        requests=tuple(dataclasses.replace(r, min_fidelity=task["target"])
                       for r in inst.requests))


def tasks(*, seed: int = 0, quick: bool = False) -> list[dict[str, Any]]:
    """One task per network, target, memory model and purification mode."""
    targets = QUICK_TARGETS if quick else TARGETS
    out = []
    for target in targets:
        for purify in (True, False):
            for resources in ("attempts", "memories"):
                out.append({"network": "chain", "replica": 0, "seed": 0, "target": target,
                            "resources": resources, "purification": purify})
            for k in range(1 if quick else NETWORKS):
                out.append({"network": "waxman", "replica": k,
                            "seed": derive_seed(seed, NAME, "waxman", k), "target": target,
                            "resources": "attempts", "purification": purify})
    return out


def row(task: dict[str, Any]) -> dict[str, Any]:
    """Plan one network for one target; the validated plan's rate and fidelity."""
    import time

    from qdcopt.network.methods import METHODS
    from qdcopt.network.validate import tree_fidelities, validate

    inst = _network(task)
    start = time.process_time()
    plan, _ = METHODS["iterative"](inst, resources=task["resources"],
                                   purification=task["purification"])
    cpu = time.process_time() - start
    report = validate(inst, plan)
    fidelities = list(tree_fidelities(inst, plan).values())
    rates = dict(plan.requests)
    return {**task, "valid": report.ok, "aggregate_rate": float(sum(rates.values())),
            "served": int(sum(r > 0 for r in rates.values())),
            "requests": len(inst.requests),
            "fidelity_min": min(fidelities) if fidelities else math.nan,
            "fidelity_mean": float(np.mean(fidelities)) if fidelities else math.nan,
            "purified_trees": sum(any(nd.is_purification for nd in t.nodes)
                                  for t in plan.trees),
            "purification_rounds": float(sum(x for *_, x in plan.purifications)),
            "trees": len(plan.trees), "cpu_s": cpu}


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The study's tasks for the sweep runner."""
    return dict_sweep(NAME, tasks(seed=seed, quick=quick), row, write,
                      {"seed": seed, "quick": quick})


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSV (every plan) and the figure: mean aggregate rate against the target per
    network and memory model, with and without purification; served share below."""
    from qdcopt.plotting import subplots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, png = out_dir / f"{NAME}.csv", out_dir / f"{NAME}.png"
    rows = rows.sort_values(["network", "resources", "purification", "target", "replica"])
    rows.to_csv(csv, index=False, float_format="%.6g")
    panels = [("chain", "attempts"), ("chain", "memories"), ("waxman", "attempts")]
    fig, axes = subplots(2, len(panels), figsize=(4.6 * len(panels), 6.4), sharex=True)
    for col, (network, resources) in enumerate(panels):
        data = rows[(rows["network"] == network) & (rows["resources"] == resources)]
        for purify, style in ((True, "-o"), (False, "--s")):
            g = data[data["purification"] == purify].groupby("target")
            label = "with purification" if purify else "swapping only"
            mean = g["aggregate_rate"].mean()
            axes[0][col].plot(mean.index, mean.values, style, label=label)
            served = g["served"].sum() / g["requests"].sum()
            axes[1][col].plot(served.index, served.values, style, label=label)
        axes[0][col].set_title(f"{network}, {resources}")
        axes[0][col].set_yscale("symlog", linthresh=1.0)
        axes[0][col].grid(alpha=0.3)
        axes[1][col].set_xlabel("min_fidelity of every request")
        axes[1][col].set_ylim(-0.05, 1.05)
        axes[1][col].grid(alpha=0.3)
    axes[0][0].set_ylabel("planned aggregate rate, pairs/s")
    axes[1][0].set_ylabel("share of requests served")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"rate against a fidelity target (link pairs of fidelity {LINK_FIDELITY})")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    return [csv, png]


__all__ = ["NAME", "chain", "row", "sweep", "tasks", "write"]
