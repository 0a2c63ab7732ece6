"""Scale figures of the family-B hyperflow LP and swapping-tree methods.

For seeded Waxman networks (paper 003 setting) of 50, 100 and 200 nodes with 10 requests
it prints: the full hypergraph (states, swaps), the active hypergraph the exact LP ended
with, its pricing rounds, build / solve / pricing time, the certified optimum, the
optimum of the pruned hypergraph alone (k shortest paths, no pricing) beside it, and the
time and value of the iterative DP trees and of the greedy.  ``--hyperflow`` also runs
the state/swap hyperflow LP priced on highspy, ``--full`` the full hypergraph at 50 nodes.

Run: ``python benchmarks/bench_hyperflow.py [--sizes 50 100 200] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import time

from qdcopt.network.lp.hyperflow import solve_hyperflow
from qdcopt.network.lp.hyperpaths import solve_tree_master
from qdcopt.network.trees import greedy_trees, iterative_trees
from qdcopt.network.waxman import waxman_instance
from qdcopt.solvers.highs import SolverOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k-paths", type=int, default=10)
    parser.add_argument("--hyperflow", action="store_true",
                        help="also run the priced state/swap hyperflow LP")
    parser.add_argument("--full", action="store_true",
                        help="also solve the full hypergraph (IPM) at 50 nodes")
    args = parser.parse_args()
    options = SolverOptions(time_limit=600, threads=1, seed=0)
    for n in args.sizes:
        t = time.perf_counter()
        inst = waxman_instance(n, requests=args.requests, seed=args.seed)
        gen_s = time.perf_counter() - t
        print(f"== Waxman n={n} links={len(inst.links)} requests={len(inst.requests)} "
              f"seed={args.seed} (generated in {gen_s:.2f} s)")
        exact = solve_tree_master(inst, options=options)
        st = exact.stats
        build = st["total_s"] - st["solve_s"] - st["pricing_s"]
        print(f"  full hypergraph      states {st['full_states']:>9,}  swaps "
              f"{st['full_swaps']:>11,}")
        print(f"  active hypergraph    states {st['active_states']:>9,}  swaps "
              f"{st['active_swaps']:>11,}  tree columns {st['columns']:,}")
        print(f"  exact LP (trees)     {exact.objective:12.4f} pairs/s  status {exact.status}"
              f"  rounds {st['rounds']}")
        print(f"                       build {build:.2f} s  solve {st['solve_s']:.2f} s  "
              f"pricing {st['pricing_s']:.2f} s  total {st['total_s']:.2f} s")
        t = time.perf_counter()
        pruned = solve_hyperflow(inst, pricing=False, k_paths=args.k_paths, clean=False,
                                 options=options)
        pruned_s = time.perf_counter() - t
        share = pruned.objective / exact.objective if exact.objective > 0 else float("nan")
        print(f"  pruned only (k={args.k_paths})  {pruned.objective:12.4f} pairs/s  "
              f"({100 * share:.2f} % of exact)  swaps {pruned.stats['active_swaps']:,}  "
              f"{pruned_s:.2f} s")
        if args.hyperflow:
            t = time.perf_counter()
            hf = solve_hyperflow(inst, k_paths=args.k_paths, clean=False, options=options)
            print(f"  priced hyperflow LP  {hf.objective:12.4f} pairs/s  status {hf.status}  "
                  f"rounds {hf.stats['rounds']}  active swaps {hf.stats['active_swaps']:,}  "
                  f"{time.perf_counter() - t:.2f} s")
        if args.full and n <= 50:
            t = time.perf_counter()
            full = solve_hyperflow(inst, full=True, pricing=False, clean=False, options=options)
            print(f"  full hypergraph LP   {full.objective:12.4f} pairs/s  status {full.status}"
                  f"  {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        it = iterative_trees(inst)
        it_s = time.perf_counter() - t
        it_rate = sum(tr.rate * inst.requests[tr.request].weight for tr in it)
        t = time.perf_counter()
        gr = greedy_trees(inst)
        gr_s = time.perf_counter() - t
        gr_rate = sum(tr.rate * inst.requests[tr.request].weight for tr in gr)
        print(f"  iterative DP trees   {it_rate:12.4f} pairs/s  ({len(it)} trees)  "
              f"DP time {it_s:.2f} s")
        print(f"  greedy balanced      {gr_rate:12.4f} pairs/s  ({len(gr)} trees)  "
              f"{gr_s:.2f} s", flush=True)


if __name__ == "__main__":
    main()
