"""Scale figures of the family-B hyperflow LP and swapping-tree methods.

For seeded Waxman networks (paper 003 setting) of 50, 100 and 200 nodes with 10 requests
(``--sizes``, ``--density``, ``--requests``) and for the shipped backbones with repeaters
(``--backbones abilene nsfnet --spacing 50``) it prints: the default planner (``lp``,
reserved memories: its time, rounds, columns, plan and Lagrangian bound), the full
hypergraph (states, swaps), the active hypergraph the exact attempt-only LP
(``lp -o resources=attempts``) ended with, its pricing rounds, build / solve / pricing
time, the certified optimum, the optimum of the pruned hypergraph alone (k shortest
paths, no pricing) beside it, and the time and value of the iterative DP trees and of
the greedy (both in reserved-memory copies).  ``--hyperflow`` also runs
the state/swap hyperflow LP priced on highspy, ``--full`` the full hypergraph at 50 nodes.
One case per network and method (the network's generation, the exact LP, the pruned LP,
the priced and the full hyperflow LP when asked, the DP trees, the greedy), run by the
sweep runner (see :mod:`qdcopt.sweeps.bench`).

Usage: ``qdcopt bench hyperflow [--sizes 50 100 200] [--seed 1] [--backbones abilene]`` or
``python benchmarks/bench_hyperflow.py …``
"""

from __future__ import annotations

import argparse
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from qdcopt import load_instance, validate
from qdcopt.network.methods import METHODS, hyperflow_plan, solver_options
from qdcopt.network.options import HyperflowParams
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.sweeps.bench import bench_main

OPTIONS = {"time_limit": 600.0, "threads": 1, "seed": 0}
REGISTERED = {"exact": "lp", "reserved": "lp"}
"""Case names that differ from the method's registered name."""
EXTRA = {"exact": {"resources": "attempts"}}
"""Options that make a case what its name says."""
BACKBONES = {"abilene": "New York-Los Angeles,Seattle-Atlanta",
             "nsfnet": "Seattle-Princeton,San Diego-Ithaca"}
"""Shipped backbones (``instances/network/NAME.gml``) and the requests planned on them."""
INSTANCES = Path(__file__).resolve().parents[1] / "instances" / "network"
FULL_UP_TO = 50
"""Largest network whose full hypergraph ``--full`` solves (nodes)."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--sizes", type=int, nargs="*", default=[50, 100, 200])
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--backbones", nargs="*", default=[], choices=sorted(BACKBONES))
    parser.add_argument("--spacing", type=float, default=50.0,
                        help="repeater spacing on the backbones, km")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k-paths", type=int, default=10)
    parser.add_argument("--hyperflow", action="store_true",
                        help="also run the priced state/swap hyperflow LP")
    parser.add_argument("--full", action="store_true",
                        help="also solve the full hypergraph (IPM) at 50 nodes")


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per size: the generation, the exact LP, the pruned LP, the optional LPs, the DP
    trees and the greedy."""
    if len(set(args.sizes)) != len(args.sizes):
        raise ValueError(f"--sizes: each size once, got {' '.join(map(str, args.sizes))}")
    out = []
    networks = [{"network": f"waxman{n}", "nodes": n, "density": args.density}
                for n in args.sizes]
    networks += [{"network": b, "nodes": 0, "density": 0.0} for b in args.backbones]
    for net in networks:
        # the pruned hypergraph holds every swap of every tree over k routes: O(H³) per
        # route, too many for backbones whose repeater chains run to 80 hops
        methods = ["(generate)", "reserved", "exact"]
        if net["nodes"]:
            methods.append("pruned")
        if args.hyperflow:
            methods.append("hyperflow")
        if args.full and 0 < net["nodes"] <= FULL_UP_TO:
            methods.append("full")
        methods += ["iterative", "greedy"]
        out += [{**net, "requests": args.requests, "instance_seed": args.seed,
                 "spacing": args.spacing, "k_paths": args.k_paths, "method": m}
                for m in methods]
    return out


@lru_cache(maxsize=1)
def _network(network: str, nodes: int, density: float, requests: int, seed: int,
             spacing: float) -> tuple[Any, float]:
    # the methods of one network share it within a worker process
    t = time.perf_counter()
    if network in BACKBONES:
        inst = load_instance(INSTANCES / f"{network}.gml", requests=BACKBONES[network],
                             repeater_spacing=spacing)
    else:
        inst = waxman_instance(nodes, density=density, requests=requests, seed=seed)
    return inst, time.perf_counter() - t


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """The figures of one method on one network: its time (solve and plan), then the
    validator's objective of its plan."""
    inst, gen_s = _network(str(case["network"]), int(case["nodes"]), float(case["density"]),
                           int(case["requests"]), int(case["instance_seed"]),
                           float(case["spacing"]))
    method, k_paths = str(case["method"]), int(case["k_paths"])
    if method == "(generate)":
        return {"n": inst.n, "links": len(inst.links), "n_requests": len(inst.requests),
                "repeaters": len(inst.repeaters), "time_s": gen_s}
    t = time.perf_counter()
    if method == "full":
        plan, info = hyperflow_plan("lp-full", inst, "published", "sum", False, k_paths,
                                    solver_options(HyperflowParams(**OPTIONS)), full=True)
    elif method in ("pruned", "hyperflow"):
        plan, info = METHODS[f"lp-{method}"](inst, k_paths=k_paths, **OPTIONS)
    else:
        plan, info = METHODS[REGISTERED.get(method, method)](inst, **OPTIONS,
                                                             **EXTRA.get(method, {}))
    run_s = time.perf_counter() - t
    report = validate(inst, plan)
    st = info.extra
    row = {"objective": float(report.objective), "valid": report.ok,
           "status": str(info.status), "time_s": run_s,
           "rounds": int(st.get("rounds") or 0),
           "active_swaps": int(st.get("active_swaps") or 0), "trees": int(st.get("trees") or 0)}
    if method == "reserved":
        row.update({"columns": int(st["columns"]), "copies": int(st["copies"]),
                    "bound": float(info.bound), "lp_over_columns": st["lp_over_columns"]})
    if method == "exact":
        row.update({"full_states": int(st["full_states"]), "full_swaps": int(st["full_swaps"]),
                    "active_states": int(st["active_states"]), "columns": int(st["columns"]),
                    "trees": len(plan.trees), "solve_s": st["solve_s"],
                    "pricing_s": st["pricing_s"],
                    "build_s": st["total_s"] - st["solve_s"] - st["pricing_s"]})
    return row


def show(frame: Any, args: argparse.Namespace) -> None:
    """One block per network."""
    for _, block in frame.groupby("network", sort=False):
        r = {row.method: row for row in block.itertuples()}
        g, ex, rs = r["(generate)"], r["exact"], r["reserved"]
        where = (f"{g.network} with repeaters every {g.spacing:g} km ({int(g.repeaters)} "
                 "repeaters)" if g.network in BACKBONES else
                 f"Waxman density={g.density:g} seed={g.instance_seed}")
        print(f"== {where}: n={int(g.n)} links={int(g.links)} requests={int(g.n_requests)} "
              f"(made in {g.time_s:.2f} s)")
        gap = 1 - rs.objective / rs.bound if rs.bound > 0 else 0.0
        print(f"  lp (reserved)        {rs.objective:12.4f} pairs/s  status {rs.status}  "
              f"bound {rs.bound:.4f} (gap {100 * gap:.1f} %)  rounds {int(rs.rounds)}  "
              f"columns {int(rs.columns)}  copies {int(rs.copies)}  {rs.time_s:.2f} s  "
              f"valid {bool(rs.valid)}")
        print(f"  full hypergraph      states {int(ex.full_states):>9,}  swaps "
              f"{int(ex.full_swaps):>11,}")
        print(f"  active hypergraph    states {int(ex.active_states):>9,}  swaps "
              f"{int(ex.active_swaps):>11,}  tree columns {int(ex.columns):,}")
        print(f"  exact LP (trees)     {ex.objective:12.4f} pairs/s  status {ex.status}"
              f"  rounds {int(ex.rounds)}  valid {bool(ex.valid)}")
        print(f"                       build {ex.build_s:.2f} s  solve {ex.solve_s:.2f} s  "
              f"pricing {ex.pricing_s:.2f} s  total {ex.time_s:.2f} s")
        if "pruned" in r:
            pr = r["pruned"]
            share = pr.objective / ex.objective if ex.objective > 0 else float("nan")
            print(f"  pruned only (k={pr.k_paths})  {pr.objective:12.4f} pairs/s  "
                  f"({100 * share:.2f} % of exact)  swaps {int(pr.active_swaps):,}  "
                  f"{pr.time_s:.2f} s  valid {bool(pr.valid)}")
        if "hyperflow" in r:
            hf = r["hyperflow"]
            print(f"  priced hyperflow LP  {hf.objective:12.4f} pairs/s  status {hf.status}  "
                  f"rounds {int(hf.rounds)}  active swaps {int(hf.active_swaps):,}  "
                  f"{hf.time_s:.2f} s  valid {bool(hf.valid)}")
        if "full" in r:
            fu = r["full"]
            print(f"  full hypergraph LP   {fu.objective:12.4f} pairs/s  status {fu.status}"
                  f"  {fu.time_s:.2f} s  valid {bool(fu.valid)}")
        it, gr = r["iterative"], r["greedy"]
        print(f"  iterative DP trees   {it.objective:12.4f} pairs/s  ({int(it.trees)} trees)  "
              f"DP time {it.time_s:.2f} s  valid {bool(it.valid)}")
        print(f"  greedy balanced      {gr.objective:12.4f} pairs/s  ({int(gr.trees)} trees)  "
              f"{gr.time_s:.2f} s  valid {bool(gr.valid)}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
