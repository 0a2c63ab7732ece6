"""The run-sequence search on its own: served requests by seed and time.

Usage::

    qdcopt bench anneal                                    # 1 000 requests, 4 seeds, 30 s
    qdcopt bench anneal --time-limit 120 --seeds 0 1
    qdcopt bench anneal --size 10000 --moves 200000 --seeds 0
    qdcopt bench anneal --size 100000 --seeds 0 --window 0   # whole block
    qdcopt bench anneal --need-from 1050 --need-to 1350 --time-limit 20
    qdcopt bench anneal --need-from 1050 --need-to 1350 --serve-all 300

(or ``python benchmarks/bench_anneal.py …``).  One case per seed of the search (or the
one ``--serve-all`` solve), run by the sweep runner (see :mod:`qdcopt.sweeps.bench`).

Instances come from :func:`qdcopt.datacenter.scenarios.generate.random_instance` (seed 1, 5 QPUs,
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
from functools import cache, lru_cache
from typing import Any

from qdcopt.datacenter.heuristics.scoring import scoring
from qdcopt.datacenter.instance import Requests
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.switch.anneal import anneal_block
from qdcopt.datacenter.switch.data import preprocess
from qdcopt.datacenter.switch.model import build_slot_model
from qdcopt.datacenter.switch.plan import block_deliveries, layout_block, plan_from_deliveries
from qdcopt.datacenter.validate import validate
from qdcopt.solvers.arrays import solve_arrays
from qdcopt.solvers.highs import SolverOptions
from qdcopt.sweeps.bench import bench_main

NS = 10**6


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--need-from", type=int, default=None, help="ns")
    parser.add_argument("--need-to", type=int, default=None, help="ns")
    parser.add_argument("--serve-all", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--moves", type=int, default=None,
                        help="a fixed number of moves instead of the time limit "
                             "(reproducible plans; prints the moves per second)")
    parser.add_argument("--window", type=int, default=None,
                        help="requests per search window (0: the whole block at once; "
                             "default: windows on blocks of more than 3 000 requests)")


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One search per seed, or the one ``--serve-all`` solve."""
    if args.window is not None and args.window < 0:
        raise ValueError("--window: must be a number of requests, or 0 for none")
    if args.moves is not None and args.moves < 1:
        raise ValueError("--moves: must be a positive number")
    if args.size < 1:
        raise ValueError("--size: must be a positive number of requests")
    if args.time_limit <= 0 or (args.serve_all is not None and args.serve_all <= 0):
        raise ValueError("--time-limit/--serve-all: must be positive seconds")
    if len(set(args.seeds)) != len(args.seeds):
        raise ValueError(f"--seeds: each seed once, got {' '.join(map(str, args.seeds))}")
    part: dict[str, Any] = {"size": args.size, "need_from": args.need_from or 0}
    if args.need_to is not None:
        part["need_to"] = args.need_to
    _, data, _ = _part(*_part_key(part))
    if not data.blocks:
        raise ValueError("--need-from/--need-to: no servable request has its need time in "
                         "that range")
    if args.serve_all is not None:
        if len(data.blocks) != 1:
            raise ValueError(f"--serve-all: the instance has {len(data.blocks)} independent "
                             "blocks; it asks about one (choose a range with "
                             "--need-from/--need-to)")
        return [{**part, "serve_all": args.serve_all}]
    search: dict[str, Any] = {"time_limit": args.time_limit}
    if args.moves is not None:
        search["moves"] = args.moves
    if args.window is not None:
        search["window"] = args.window
    return [{**part, **search, "anneal_seed": seed} for seed in args.seeds]


def _part_key(case: dict[str, Any]) -> tuple[int, int, int | None]:
    """Size and need-time range of a case's part (no ``need_to``: no upper end)."""
    need_to = case.get("need_to")
    return int(case["size"]), int(case["need_from"]), None if need_to is None else int(need_to)


@lru_cache(maxsize=1)
def _part(size: int, need_from: int, need_to: int | None) -> tuple[Any, Any, int]:
    # the instance restricted to the need-time range, its blocks and its request count;
    # every seed of one part shares them within a process
    inst = random_instance(size, seed=1)
    req = inst.requests
    keep = req.t_need >= need_from * NS
    if need_to is not None:
        keep &= req.t_need <= need_to * NS
    inst = dataclasses.replace(inst, requests=Requests.from_columns(
        req.id[keep], req.job[keep], req.a[keep], req.b[keep], req.t_need[keep]))
    return inst, preprocess(inst), int(keep.sum())


@lru_cache(maxsize=1)
def _start(size: int, need_from: int, need_to: int | None) -> tuple[int, list[Any]]:
    # the scoring plan every search starts from: its served count and its block deliveries
    inst, data, _ = _part(size, need_from, need_to)
    start, _ = scoring(inst)
    return start.n_accepted, block_deliveries(data, start)


@cache
def _warm(size: int, need_from: int, need_to: int | None, window: int | None) -> None:
    # load the compiled search once per process, before any clock starts
    inst, data, _ = _part(size, need_from, need_to)
    _, starts = _start(size, need_from, need_to)
    anneal_block(inst, data.blocks[0], data.costs[0], starts[0], None, moves=1, window=window)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """The search of one seed (time, validated count), or the ``--serve-all`` solve."""
    key = _part_key(case)
    inst, data, n_requests = _part(*key)
    if "serve_all" in case:
        return serve_all(inst, data, float(case["serve_all"]))
    moves = int(case["moves"]) if "moves" in case else None
    window = int(case["window"]) if "window" in case else None
    n_start, starts = _start(*key)
    _warm(*key, window)
    share = float(case["time_limit"]) / max(1, len(data.blocks))
    t0 = time.perf_counter()
    found = [d for b, block in enumerate(data.blocks)
             for d in anneal_block(inst, block, data.costs[0], starts[b],
                                   None if moves else share, moves=moves,
                                   seed=int(case["anneal_seed"]), window=window)]
    run_s = time.perf_counter() - t0
    plan, dropped = plan_from_deliveries(inst, "anneal", found)
    rep = validate(inst, plan)
    assert dropped == 0 and not rep.violations, rep.violations[:3]
    return {"time_s": run_s, "served": int(rep.objective), "requests": n_requests,
            "start": n_start,
            "moves_per_s": moves * len(data.blocks) / run_s if moves else None}


def serve_all(inst: Any, data: Any, time_limit: float) -> dict[str, Any]:
    """Search for a plan of a one-block instance that serves every request."""
    (block,) = data.blocks
    spec, idx = build_slot_model(block, data.costs, inst.comm_capacity())
    n = len(block.requests)
    spec.row_block("serve_all")
    spec.add_row(list(idx.accepted), [1.0] * len(idx.accepted), float(n), float("inf"))
    t0 = time.perf_counter()
    res = solve_arrays(spec, SolverOptions(time_limit=time_limit, mip_gap=1e-9, threads=1))
    run_s = time.perf_counter() - t0
    served = None
    if res.x is not None:
        found = layout_block(block, idx, res.x, data.costs, {})
        plan, dropped = plan_from_deliveries(inst, "serve-all", found)
        rep = validate(inst, plan)
        assert dropped == 0 and not rep.violations, rep.violations[:3]
        served = int(rep.objective)
    return {"status": str(res.status), "time_s": run_s, "served": served,
            "requests": n}


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per seed under the start's count, or the ``--serve-all`` line."""
    if args.serve_all is not None:
        (r,) = frame.itertuples()
        served = "-" if r.served is None or r.served != r.served else str(int(r.served))
        print(f"serve-all: {r.status} after {r.time_s:.1f} s, served {served} of "
              f"{int(r.requests)}")
        return
    print(f"{'seed':>4} {'time_s':>7} {'served':>7} {'requests':>8} "
          f"(start {int(frame['start'].iloc[0])})")
    for r in frame.itertuples():
        rate = f" ({r.moves_per_s:.3g} moves/s)" if args.moves else ""
        print(f"{r.anneal_seed:>4} {r.time_s:>7.1f} {int(r.served):>7} "
              f"{int(r.requests):>8}{rate}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
