"""The run-sequence search on its own: served requests by seed and time.

Usage::

    python benchmarks/bench_anneal.py                          # 1 000 requests, 4 seeds, 30 s
    python benchmarks/bench_anneal.py --time-limit 120 --seeds 0 1
    python benchmarks/bench_anneal.py --size 10000 --moves 200000 --seeds 0
    python benchmarks/bench_anneal.py --size 100000 --seeds 0 --window 0   # whole block
    python benchmarks/bench_anneal.py --need-from 1050 --need-to 1350 --time-limit 20
    python benchmarks/bench_anneal.py --need-from 1050 --need-to 1350 --serve-all 300

Instances come from :func:`qdcopt.datacenter.generate.random_instance` (seed 1, 5 QPUs,
1 GHz, t_max = 100 ns, load 0.8, unlimited memory: the family of ``bench_switch.py``).
``--need-from/--need-to`` keep only the requests whose need time (ns) lies in that
range, to see where a block loses requests: a plan of the whole instance restricted to
a part is a plan of the part, so every part's optimum bounds what the whole can serve
there.  Every block starts from the scoring plan; each line prints the seed, the time,
the served requests and the request count, and every plan is validated.

``--serve-all SECONDS`` asks HiGHS instead whether the (one-block) part can serve every
request: the slot model with the row Σ x ≥ (requests) and no start, solved for that
long; it prints the status and, when a plan is found, its validated count.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from qdcopt.datacenter.generate import random_instance
from qdcopt.datacenter.heuristics.scoring import scoring
from qdcopt.datacenter.instance import Requests
from qdcopt.datacenter.switch.anneal import anneal_block
from qdcopt.datacenter.switch.data import preprocess
from qdcopt.datacenter.switch.model import build_slot_model
from qdcopt.datacenter.switch.plan import block_deliveries, layout_block, plan_from_deliveries
from qdcopt.datacenter.validate import validate
from qdcopt.solvers.arrays import solve_arrays
from qdcopt.solvers.highs import SolverOptions

NS = 10**6


def main() -> None:
    """Run the search for every seed and print one line each."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--need-from", type=int, default=None, help="ns")
    ap.add_argument("--need-to", type=int, default=None, help="ns")
    ap.add_argument("--serve-all", type=float, default=None, metavar="SECONDS")
    ap.add_argument("--moves", type=int, default=None,
                    help="a fixed number of moves instead of the time limit (reproducible "
                         "plans; prints the moves per second)")
    ap.add_argument("--window", type=int, default=None,
                    help="requests per search window (0: the whole block at once; "
                         "default: windows on blocks of more than 3 000 requests)")
    args = ap.parse_args()
    if args.window is not None and args.window < 0:
        ap.error("--window: must be a number of requests, or 0 for none")
    if args.moves is not None and args.moves < 1:
        ap.error("--moves: must be a positive number")
    if args.size < 1:
        ap.error("--size: must be a positive number of requests")
    if args.time_limit <= 0 or (args.serve_all is not None and args.serve_all <= 0):
        ap.error("--time-limit/--serve-all: must be positive seconds")
    inst = random_instance(args.size, seed=1)
    req = inst.requests
    keep = (req.t_need >= (args.need_from or 0) * NS)
    if args.need_to is not None:
        keep &= req.t_need <= args.need_to * NS
    inst = dataclasses.replace(inst, requests=Requests.from_columns(
        req.id[keep], req.job[keep], req.a[keep], req.b[keep], req.t_need[keep]))
    data = preprocess(inst)
    if not data.blocks:
        ap.error("--need-from/--need-to: no servable request has its need time in that range")
    if args.serve_all is not None and len(data.blocks) != 1:
        ap.error(f"--serve-all: the instance has {len(data.blocks)} independent blocks; "
                 "it asks about one (choose a range with --need-from/--need-to)")
    if args.serve_all is not None:
        serve_all(inst, data, args.serve_all)
        return
    start, _ = scoring(inst)
    starts = block_deliveries(data, start)
    print(f"{'seed':>4} {'time_s':>7} {'served':>7} {'requests':>8} (start {start.n_accepted})")
    share = args.time_limit / max(1, len(data.blocks))
    if args.moves is not None:  # load the compiled code before the clock starts
        anneal_block(inst, data.blocks[0], data.costs[0], starts[0], None, moves=1)
    for seed in args.seeds:
        t0 = time.perf_counter()
        found = [d for b, block in enumerate(data.blocks)
                 for d in anneal_block(inst, block, data.costs[0], starts[b],
                                       None if args.moves else share, moves=args.moves,
                                       seed=seed, window=args.window)]
        run_s = time.perf_counter() - t0
        rate = f" ({args.moves * len(data.blocks) / run_s:.3g} moves/s)" if args.moves else ""
        plan, dropped = plan_from_deliveries(inst, "anneal", found)
        rep = validate(inst, plan)
        assert dropped == 0 and not rep.violations, rep.violations[:3]
        print(f"{seed:>4} {run_s:>7.1f} {int(rep.objective):>7} {int(keep.sum()):>8}{rate}",
              flush=True)


def serve_all(inst, data, time_limit: float) -> None:
    """Search for a plan of a one-block instance that serves every request."""
    (block,) = data.blocks
    spec, idx = build_slot_model(block, data.costs, inst.comm_capacity())
    n = len(block.requests)
    spec.row_block("serve_all")
    spec.add_row(list(idx.accepted), [1.0] * len(idx.accepted), float(n), float("inf"))
    t0 = time.perf_counter()
    res = solve_arrays(spec, SolverOptions(time_limit=time_limit, mip_gap=1e-9, threads=1))
    run_s = time.perf_counter() - t0
    served = "-"
    if res.x is not None:
        found = layout_block(block, idx, res.x, data.costs, {})
        plan, dropped = plan_from_deliveries(inst, "serve-all", found)
        rep = validate(inst, plan)
        assert dropped == 0 and not rep.violations, rep.violations[:3]
        served = str(int(rep.objective))
    print(f"serve-all: {res.status} after {run_s:.1f} s, served {served} of {n}")


if __name__ == "__main__":
    main()
