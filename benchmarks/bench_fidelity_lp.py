"""Size and time of the fidelity-class hyperflow LP (``lp-pruned`` with ``min_fidelity``).

The shipped ``instances/network/waxman100.toml`` (100 nodes, 495 links, 10 requests) with
link pairs of fidelity ``--link-fidelity`` (0.97) and every request asking for
``--target`` (0.9), planned by ``lp-pruned`` (``k_paths`` 10) at ``K`` = 4, 8, 16 grid
points (``--points``).  Per ``K`` it prints the (pair, class) states, the classes, the rows
and columns (swap, purification and downgrade columns among them), the build, solve and
decomposition seconds, the LP value and the plan's (validated) rate; and once the pruned
LP without targets for comparison.  One case per ``K``, run by the sweep runner (see
:mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench fidelity_lp [--points 4 8 16] [--target 0.9]`` or
``python benchmarks/bench_fidelity_lp.py …``
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from functools import cache
from pathlib import Path
from typing import Any

from qdcopt import load_instance, validate
from qdcopt.network.methods import METHODS
from qdcopt.sweeps.bench import bench_main

INSTANCE = Path(__file__).resolve().parents[1] / "instances" / "network" / "waxman100.toml"
PLAIN = 0
"""``points`` of the case that plans without targets (today's pruned LP)."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--points", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--link-fidelity", type=float, default=0.97)
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--k-paths", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=600.0)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The plain pruned LP, then one case per grid size."""
    if any(k < 1 for k in args.points) or not 0.5 < args.target <= 1.0:
        raise ValueError("--points ≥ 1 and --target in (0.5, 1] are required")
    common = {"link_fidelity": args.link_fidelity, "target": args.target,
              "k_paths": args.k_paths, "time_limit": args.time_limit}
    return [{"points": PLAIN, **common}, *({"points": k, **common} for k in args.points)]


@cache
def _instance(link_fidelity: float, target: float | None) -> Any:
    inst = load_instance(INSTANCE)
    return dataclasses.replace(
        inst, physics=dataclasses.replace(inst.physics, link_fidelity=link_fidelity),
        requests=tuple(dataclasses.replace(r, min_fidelity=target) for r in inst.requests))


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Plan once; report the LP's size, times, value and the plan's validated rate."""
    points = int(case["points"])
    target = None if points == PLAIN else float(case["target"])
    inst = _instance(float(case["link_fidelity"]), target)
    opts = {"k_paths": int(case["k_paths"]), "time_limit": float(case["time_limit"])}
    if points != PLAIN:
        opts["fidelity_classes"] = points
    start = time.perf_counter()
    plan, info = METHODS["lp-pruned"](inst, **opts)
    total = time.perf_counter() - start
    report = validate(inst, plan)
    x = info.extra
    row = {"status": info.status, "total_s": total, "plan": float(report.objective),
           "valid": report.ok, "trees": len(plan.trees),
           "purifications": len(plan.purifications),
           "served": sum(rate > 0 for _, rate in plan.requests)}
    if points == PLAIN:
        row.update(lp=float(info.objective), states=int(x.get("full_states", 0)),
                   columns=int(x.get("active_swaps", 0)))
        return row
    row.update(lp=float(x["lp_objective"]), states=int(x["states"]) * int(x["classes"]),
               pairs=int(x["states"]), classes=int(x["classes"]), rows=int(x["rows"]),
               columns=int(x["columns"]), swap_columns=int(x["swap_columns"]),
               purification_columns=int(x["purification_columns"]),
               downgrade_columns=int(x["downgrade_columns"]), nonzeros=int(x["nonzeros"]),
               build_s=float(x["build_s"]), solve_s=float(x["solve_s"]),
               decompose_s=float(x["decompose_s"]))
    return row


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per grid size, the plain pruned LP first."""
    for r in frame.sort_values("points").itertuples():
        if int(r.points) == PLAIN:
            print(f"waxman100, no targets: pruned LP {r.lp:.2f} pairs/s, {int(r.columns)} swap "
                  f"columns, {r.total_s:.2f} s (valid {bool(r.valid)})")
            print(f"link fidelity {r.link_fidelity}, every request min_fidelity {r.target}:")
            print(" K classes  pairs (pair,class)    rows  columns    swap  purify  down"
                  "   build_s solve_s decomp_s total_s   LP value   plan   served valid")
            continue
        print(f"{int(r.points):2d} {int(r.classes):7d} {int(r.pairs):6d} {int(r.states):12d} "
              f"{int(r.rows):7d} {int(r.columns):8d} {int(r.swap_columns):7d} "
              f"{int(r.purification_columns):7d} {int(r.downgrade_columns):5d} "
              f"{r.build_s:9.2f} {r.solve_s:7.2f} {r.decompose_s:8.2f} {r.total_s:7.2f} "
              f"{r.lp:10.3f} {r.plan:8.3f} {int(r.served):5d}/10 {bool(r.valid)}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
