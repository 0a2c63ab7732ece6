"""GHZ rate against the number of parties, planned beside simulated (paper 003 §V-A).

Paper 003 names GHZ requests and fusion trees (§II, §V-A, its ref. [24]) but gives no
figure for them.  This study plans one GHZ request among ``k = 3 … 8`` parties with the
``iterative`` planner (fusion structures within the reserved memories,
``models/ghz.md``), once restricted to stars, once to trees of fusions along a Steiner
tree, and once with both (the planner's choice), and executes the chosen plan under the
fixed policy (paper 003's noise: depolarising 0.01/s, dephasing 1000/s during
operations):

* ``star`` — a physical star: a hub with 8 memories and 8 leaves of 2 memories on 10-km
  links, paper-003 physics (q = 0.4, so fusions succeed with 0.4 as well); the parties
  are the first ``k`` leaves;
* ``waxman`` — one seeded Waxman network of 50 nodes (density 0.1, 5 memories per node);
  the parties are the first ``k`` nodes of one seeded permutation, so each set holds the
  one before it.

Output: ``ghz.csv`` (one row per network, ``k`` and shape), ``ghz.png`` (planned rate
against ``k`` per shape, the simulated rate of the planner's choice with its interval;
planned fidelity — fresh pairs, swaps' and fusions' dephasing, no storage decay — beside
the delivered one without storage decay and with paper 003's noise, below).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.sweeps import Sweep, derive_seed, dict_sweep

NAME = "ghz"
PARTIES = (3, 4, 5, 6, 7, 8)
QUICK_PARTIES = (3, 5)
SHAPES = ("star", "tree", "both")
DURATION = 30.0
SEEDS = 4
LINK_FIDELITY = 0.99
"""Fresh link pairs' fidelity (the runtime's default), stated in the instance so that the
plan's fidelity is the runtime's at zero noise."""


def hub_star(leaves: int = 8) -> Any:
    """A hub with 8 memories and ``leaves`` leaves of 2 memories on 10-km links."""
    from qdcopt.network.instance import Link, NetworkInstance, Node, Physics

    def node(name: str, x: float, y: float, m: int) -> Node:
        return Node(id=name, x=x, y=y, memories=m, generation_time=50e-6,
                    generation_success=0.33, swap_success=0.4)

    angles = [2 * math.pi * i / leaves for i in range(leaves)]
    nodes = (node("hub", 0.0, 0.0, 8),
             *(node(f"L{i}", 10 * math.cos(a), 10 * math.sin(a), 2)
               for i, a in enumerate(angles)))
    links = tuple(Link(u=0, v=i + 1, length=10.0) for i in range(leaves))
    return NetworkInstance(name="hub-star", nodes=nodes, links=links, requests=(),
                           physics=Physics(link_fidelity=LINK_FIDELITY))


def network(name: str, k: int, seed: int) -> Any:
    """The task's network with one GHZ request among ``k`` parties."""
    from qdcopt.network.instance import GhzRequest
    from qdcopt.network.topology.waxman import waxman_instance

    if name == "star":
        inst = hub_star()
        parties = tuple(range(1, k + 1))
    else:
        inst = waxman_instance(50, density=0.1, requests=1, seed=seed)
        inst = dataclasses.replace(inst, requests=(), physics=dataclasses.replace(
            inst.physics, link_fidelity=LINK_FIDELITY))
        order = np.random.default_rng(seed).permutation(inst.n)
        parties = tuple(int(x) for x in order[:k])
    return dataclasses.replace(inst, ghz=(GhzRequest("G", parties),))


def tasks(*, seed: int = 0, quick: bool = False) -> list[dict[str, Any]]:
    """One task per network, number of parties and shape."""
    out = []
    for name in ("star", "waxman"):
        net_seed = derive_seed(seed, NAME, name)
        for k in QUICK_PARTIES if quick else PARTIES:
            for shape in SHAPES:
                out.append({"network": name, "parties": k, "shape": shape,
                            "seed": net_seed, "duration": 2.0 if quick else DURATION,
                            "seeds": 1 if quick else SEEDS})
    return out


def row(task: dict[str, Any]) -> dict[str, Any]:
    """Plan one GHZ request; execute the planner's choice (shape ``both``)."""
    import time

    from qdcopt.network.ghz.model import structure_fidelity
    from qdcopt.network.ghz.planner import SHAPES as PLANNER_SHAPES
    from qdcopt.network.ghz.planner import ghz_reason, plan_copies, plan_with_fusions
    from qdcopt.network.physics import link_model
    from qdcopt.network.runtime import RuntimeConfig, simulate_plan
    from qdcopt.network.validate import validate

    inst = network(task["network"], task["parties"], task["seed"])
    model = link_model(inst)
    shapes = PLANNER_SHAPES if task["shape"] == "both" else (task["shape"],)
    start = time.process_time()
    trees, structures = plan_copies(inst, model, shapes=shapes)
    reasons = {} if structures else {"G": ghz_reason(inst, 0)}
    plan = plan_with_fusions(inst, trees, structures, method="iterative", model=model,
                             reasons=reasons)
    cpu = time.process_time() - start
    report = validate(inst, plan)
    planned = dict(plan.requests)["G"]
    fid = (sum(s.rate * structure_fidelity(inst, s) for s in structures) / planned
           if planned > 0 else math.nan)
    out = {**task, "valid": report.ok, "planned_rate": planned, "copies": len(structures),
           "fusions_per_copy": (len(plan.fusions) / len(structures)) if structures
           else 0.0,
           "star_copies": sum(len(s.fusions) == 1 for s in structures),
           "planned_fidelity": fid, "plan_cpu_s": cpu,
           "delivered_rate": math.nan, "delivered_low": math.nan, "delivered_high": math.nan,
           "delivered_fidelity": math.nan, "delivered_fidelity_no_decay": math.nan}
    if task["shape"] != "both" or planned <= 0:
        return out
    cfg = RuntimeConfig.from_options(policy="fixed", duration=task["duration"])
    res = simulate_plan(inst, plan, cfg, seeds=task["seeds"], seed=task["seed"])
    frame = res.to_frame().set_index("request")
    # storage decay off, operations' dephasing as planned: the plan's fidelity exactly
    quiet = RuntimeConfig.from_options(policy="fixed", duration=task["duration"],
                                       depolarizing_rate=0.0)
    still = simulate_plan(inst, plan, quiet, seeds=1, seed=task["seed"])
    out.update(delivered_rate=float(frame.loc["G", "delivered_rate"]),
               delivered_low=float(frame.loc["G", "delivered_rate_low"]),
               delivered_high=float(frame.loc["G", "delivered_rate_high"]),
               delivered_fidelity=float(frame.loc["G", "fidelity_mean"]),
               delivered_fidelity_no_decay=float(
                   still.to_frame().set_index("request").loc["G", "fidelity_mean"]))
    return out


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The study's tasks for the sweep runner."""
    return dict_sweep(NAME, tasks(seed=seed, quick=quick), row, write,
                      {"seed": seed, "quick": quick})


def write(rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The CSV (every plan) and the figure (rates above, fidelities below, per network)."""
    from qdcopt.plotting import subplots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, png = out_dir / f"{NAME}.csv", out_dir / f"{NAME}.png"
    rows = rows.sort_values(["network", "shape", "parties"])
    rows.to_csv(csv, index=False, float_format="%.6g")
    networks = ["star", "waxman"]
    fig, axes = subplots(2, 2, figsize=(10, 7), sharex=True)
    styles = {"star": ":s", "tree": ":^", "both": "-o"}
    for col, name in enumerate(networks):
        data = rows[rows["network"] == name]
        for shape in SHAPES:
            d = data[data["shape"] == shape]
            label = {"star": "planned, stars only", "tree": "planned, trees of fusions",
                     "both": "planned (faster of the two)"}[shape]
            axes[0][col].plot(d["parties"], d["planned_rate"], styles[shape], label=label)
        d = data[data["shape"] == "both"]
        err = np.vstack([d["delivered_rate"] - d["delivered_low"],
                         d["delivered_high"] - d["delivered_rate"]])
        axes[0][col].errorbar(d["parties"], d["delivered_rate"], yerr=err, fmt="x",
                              color="black", capsize=3, label="simulated (fixed policy)")
        axes[0][col].set_yscale("log")
        axes[0][col].set_title(f"{name}")
        axes[0][col].grid(alpha=0.3)
        axes[1][col].plot(d["parties"], d["planned_fidelity"], "-o",
                          label="planned (operations' dephasing, no storage)")
        axes[1][col].plot(d["parties"], d["delivered_fidelity_no_decay"], "x",
                          label="simulated, no storage decay")
        axes[1][col].plot(d["parties"], d["delivered_fidelity"], "--s",
                          label="simulated, paper 003's noise")
        axes[1][col].set_xlabel("parties of the GHZ request")
        axes[1][col].grid(alpha=0.3)
    axes[0][0].set_ylabel("GHZ states/s")
    axes[1][0].set_ylabel("GHZ fidelity")
    axes[0][0].legend(fontsize=8)
    axes[1][0].legend(fontsize=8)
    fig.suptitle("GHZ requests as fusion structures (link pairs of fidelity "
                 f"{LINK_FIDELITY})")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    return [csv, png]


__all__ = ["NAME", "hub_star", "network", "row", "sweep", "tasks", "write"]
