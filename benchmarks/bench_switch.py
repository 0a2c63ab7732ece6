"""Scale figures of the switch-assignment MILP and the heuristics on seeded instances.

Usage::

    qdcopt bench switch                                    # 100, 1 000, 10 000 requests
    qdcopt bench switch --sizes 100000 --time-limit 300
    qdcopt bench switch --comm-qubits 2                    # memory-bound variant
    qdcopt bench switch --fig4 --qpus 5 --t-max "10 ns"    # paper 000 demand
    qdcopt bench switch --sizes 1000 --loads 0.6 0.8 1.0 --seeds 1 2 3 \
        --accepted-only --no-heuristics                 # where proofs come easily
    qdcopt bench switch --sizes 1000 --loads 0.8 0.85 0.9 --accepted-only \
        --no-heuristics --cpsat                         # the MILP beside the CP-SAT model

(or ``python benchmarks/bench_switch.py …``).  For every size it prints, for the MILP:
model build time, solve time, validated plan value, proven bound, certified gap and
status; with ``--cpsat`` the same for the CP-SAT model (method ``cpsat``, with CP-SAT's own
bound beside the reported one); and for every registered heuristic: its run time and
validated value.  Instances
come from :func:`qdcopt.datacenter.scenarios.generate.random_instance` (1 GHz, 2 ns / 10 ns
switching, t_max = 100 ns, 5 QPUs, load 0.8, seed 1 unless told otherwise) or, with
``--fig4``, from the demand of paper 000's Fig. 4 (a seeded 1000-qubit depth-200 random
circuit on ``--qpus`` QPUs; ``--sizes`` is then ignored).  With several ``--seeds`` or
``--loads`` every combination is run, and a last table counts, per size and load, the
instances proven optimal and the worst certified gap, per model.  One case per instance and
method (the instance's generation, each heuristic, the MILP), run by the sweep runner
(see :mod:`qdcopt.sweeps.bench`).
"""

from __future__ import annotations

import argparse
import time
from functools import cache, lru_cache
from typing import Any

from qdcopt.datacenter import SCHEDULERS
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.datacenter.validate import validate
from qdcopt.sweeps.bench import bench_main
from qdcopt.timebase import parse_duration

GENERATE = "(generate)"
MILP = "milp"
CPSAT = "cpsat"
MODELS = (MILP, CPSAT)
HEURISTICS = tuple(name for name in SCHEDULERS
                   if not name.startswith("milp") and name != CPSAT)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=[1])
    parser.add_argument("--qpus", type=int, default=5)
    parser.add_argument("--rate", default="1 GHz", choices=["1 GHz", "1 MHz"])
    parser.add_argument("--t-max", default="100 ns")
    parser.add_argument("--loads", "--load", type=float, nargs="+", default=[0.8])
    parser.add_argument("--comm-qubits", type=int, default=None)
    parser.add_argument("--no-milp", action="store_true", help="heuristics only")
    parser.add_argument("--no-heuristics", action="store_true",
                        help="the MILP only (it still runs the heuristics for its start)")
    parser.add_argument("--accepted-only", action="store_true",
                        help="MILP without the second phase (fewest changes): time to the "
                             "proof on accepted requests alone")
    parser.add_argument("--no-anneal", action="store_true",
                        help="MILP without the run-sequence search before the model")
    parser.add_argument("--cpsat", action="store_true",
                        help="also the CP-SAT model (after the MILP, same time limit)")
    parser.add_argument("--cpsat-workers", type=int, default=2,
                        help="CP-SAT's search workers")
    parser.add_argument("--fig4", action="store_true",
                        help="paper 000 Fig. 4 demand (1000-qubit random circuit) instead")


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per seed, load and size: the generation, each heuristic, then the MILP."""
    try:
        parse_duration(args.t_max)
    except ValueError as err:
        raise ValueError(f"--t-max: {err}") from None
    if args.qpus < 2:
        raise ValueError("--qpus: at least 2 QPUs")
    if args.comm_qubits is not None and args.comm_qubits < 1:
        raise ValueError("--comm-qubits: at least 1 communication qubit per QPU")
    if min(args.seeds) < 0:
        raise ValueError("--seeds: every seed must be a non-negative integer")
    if min(args.loads) <= 0:
        raise ValueError("--loads: every load must be positive")
    if min(args.sizes) < 1:
        raise ValueError("--sizes: every size must be a positive number of requests")
    if args.time_limit <= 0:
        raise ValueError("--time-limit: must be positive seconds")
    if args.cpsat_workers < 1:
        raise ValueError("--cpsat-workers: at least 1")
    for name in ("seeds", "loads") + (() if args.fig4 else ("sizes",)):
        values = getattr(args, name)
        if len(set(values)) != len(values):
            raise ValueError(f"--{name}: each value once, got {' '.join(map(str, values))}")
    methods = [GENERATE, *(() if args.no_heuristics else HEURISTICS),
               *(() if args.no_milp else (MILP,)), *((CPSAT,) if args.cpsat else ())]
    common: dict[str, Any] = {"qpus": args.qpus, "rate": args.rate, "t_max": args.t_max}
    if args.comm_qubits is not None:
        common["comm_qubits"] = args.comm_qubits
    common |= {"fig4": args.fig4, "time_limit": args.time_limit,
               "accepted_only": args.accepted_only, "no_anneal": args.no_anneal}
    if args.cpsat:  # only then, so that the MILP's stored cases keep their keys
        common["cpsat_workers"] = args.cpsat_workers
    return [{"instance_seed": seed, "load": load, "size": n, "method": method, **common}
            for seed in args.seeds for load in args.loads
            for n in ([0] if args.fig4 else args.sizes) for method in methods]


@lru_cache(maxsize=1)
def _instance(fig4: bool, qpus: int, rate: str, t_max: str, load: float,
              comm_qubits: int | None, seed: int, n: int) -> tuple[Any, float, int]:
    # the methods of one instance share it within a worker process; its generation time
    # is the "(generate)" case's figure
    t0 = time.perf_counter()
    if fig4:
        from qdcopt.studies.paper000.fig4_acceptance import instance_for, job_requests

        req, _ = job_requests(qpus, 1000, 200, seed)
        inst = instance_for(qpus, req, {"1 GHz": "1ghz", "1 MHz": "1mhz"}[rate], t_max)
        n = len(req)
    else:
        inst = random_instance(n, n_qpus=qpus, rate=rate, t_max=t_max, load=load,
                               comm_qubits=comm_qubits, seed=seed)
    return inst, time.perf_counter() - t0, n


@cache
def _warm_heuristic(name: str, qpus: int, rate: str, t_max: str,
                    comm_qubits: int | None) -> None:
    # load the heuristic's compiled loops once per process, outside its timed run
    SCHEDULERS[name](random_instance(50, n_qpus=qpus, rate=rate, t_max=t_max,
                                     comm_qubits=comm_qubits, seed=0))


@cache
def _warm_cpsat() -> None:
    # load OR-Tools and the model's code once, outside the first timed run
    SCHEDULERS[CPSAT](random_instance(100, n_qpus=5, load=4.0, seed=1), time_limit=5.0)


@cache
def _warm_milp() -> None:
    # a small instance the start does not settle: its model is built and solved, the
    # run-sequence search and the fewest-changes phase run, so that loading their code
    # stays out of the first timed MILP
    SCHEDULERS[MILP](random_instance(100, n_qpus=5, load=4.0, seed=1), time_limit=10.0,
                     lexicographic=True, anneal=True)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Generation time, a heuristic's time and validated value, or the MILP's figures."""
    comm = case.get("comm_qubits")
    params = (bool(case["fig4"]), int(case["qpus"]), str(case["rate"]), str(case["t_max"]))
    comm_qubits = None if comm is None else int(comm)
    method = str(case["method"])
    if method in HEURISTICS:
        _warm_heuristic(method, *params[1:], comm_qubits)
    elif method == MILP:
        _warm_milp()
    elif method == CPSAT:
        _warm_cpsat()
    inst, gen_s, n = _instance(*params, float(case["load"]), comm_qubits,
                               int(case["instance_seed"]), int(case["size"]))
    if method == GENERATE:
        return {"n": n, "time_s": gen_s}
    t0 = time.perf_counter()
    if method == CPSAT:
        return _run_cpsat(case, inst, n)
    if method != MILP:
        plan, _ = SCHEDULERS[method](inst)
        run_s = time.perf_counter() - t0
        rep = validate(inst, plan)
        return {"n": n, "time_s": run_s, "value": int(rep.objective),
                "violations": len(rep.violations),
                "reconf": int(rep.metrics["reconfigurations"])}
    plan, info = SCHEDULERS[MILP](inst, time_limit=float(case["time_limit"]),
                                  lexicographic=not case["accepted_only"],
                                  anneal=not case["no_anneal"])
    ex = info.extra
    return {**_exact_figures(inst, plan, info, n, time.perf_counter() - t0),
            "build_s": float(ex["build_s"]), "solve_s": float(ex["solve_s"]),
            "blocks": int(ex["blocks"]), "columns": int(ex["columns"]),
            "too_large": int(ex["blocks_too_large"])}


def _exact_figures(inst: Any, plan: Any, info: Any, n: int, run_s: float) -> dict[str, Any]:
    """What the MILP and CP-SAT cases share: the plan validated (its value must be the
    solver's), value, bound, gap, status and the search start's figures."""
    rep = validate(inst, plan)
    assert not rep.violations, rep.violations[:3]
    assert info.objective == rep.objective, (info.objective, rep.objective)
    ex = info.extra
    return {"n": n, "time_s": run_s, "value": int(info.objective), "bound": int(info.bound),
            "gap": float(info.gap), "status": str(info.status),
            "reconf": int(ex["reconfigurations"]), "warm_start": str(ex["warm_start"]),
            "annealed_gain": int(ex["annealed_gain"]),
            "settled": int(ex["blocks_settled_by_start"])}


def _run_cpsat(case: dict[str, Any], inst: Any, n: int) -> dict[str, Any]:
    """The CP-SAT model's figures: value, bounds (reported and CP-SAT's own), status."""
    t0 = time.perf_counter()
    plan, info = SCHEDULERS[CPSAT](inst, time_limit=float(case["time_limit"]),
                                   anneal=not case["no_anneal"],
                                   workers=int(case["cpsat_workers"]))
    ex = info.extra
    return {**_exact_figures(inst, plan, info, n, time.perf_counter() - t0),
            "cpsat_bound": int(ex["cpsat_bound"]), "arcs": int(ex["arcs"]),
            "branches": int(ex["branches"]), "conflicts": int(ex["conflicts"]),
            "plan_from": str(ex["plan_from"]),
            "build_solve_s": float(ex["phase_times"]["build_solve"])}


def _details(r: Any) -> str:
    """The figures of one exact model's row beyond value, bound, gap and status."""
    if r.method == CPSAT:
        return (f"cpsat_bound={int(r.cpsat_bound)} model={r.build_solve_s:.1f}s "
                f"arcs={int(r.arcs)} branches={int(r.branches)} "
                f"conflicts={int(r.conflicts)} reconf={int(r.reconf)} "
                f"start={r.warm_start} annealed=+{int(r.annealed_gain)} "
                f"plan={r.plan_from} settled={int(r.settled)}")
    return (f"build={r.build_s:.3f}s solve={r.solve_s:.2f}s blocks={int(r.blocks)} "
            f"cols={int(r.columns)} reconf={int(r.reconf)} start={r.warm_start} "
            f"annealed=+{int(r.annealed_gain)} settled={int(r.settled)} "
            f"left={int(r.too_large)}")


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per instance and method; with several seeds or loads, the summary."""
    print(f"{'seed':>4} {'load':>5} {'n':>7} {'method':<14} {'time_s':>8} {'value':>8} "
          f"{'bound':>8} {'gap':>8} {'status':<11} details")
    summary: dict[tuple[int, float, str], list[tuple[str, float, float]]] = {}
    for r in frame.itertuples():
        head = f"{r.instance_seed:>4} {r.load:>5.2f} {int(r.n):>7}"
        if r.method == GENERATE:
            print(f"{head} {'(generate)':<14} {r.time_s:>8.3f}")
        elif r.method in (MILP, CPSAT):
            # the exact models: value, bound, gap and status, then their own figures
            print(f"{head} {r.method:<14} {r.time_s:>8.3f} {int(r.value):>8} "
                  f"{int(r.bound):>8} {r.gap:>8.4%} {r.status:<11} {_details(r)}")
            summary.setdefault((int(r.n), r.load, r.method), []).append(
                (r.status, r.gap, r.time_s))
        else:
            violations = int(r.violations)
            ok = "valid" if not violations else f"{violations} violations"
            print(f"{head} {r.method:<14} {r.time_s:>8.3f} {int(r.value):>8} {'':>8} "
                  f"{'':>8} {'heuristic':<11} {ok}, reconf={int(r.reconf)}")
    if (len(args.seeds) > 1 or len(args.loads) > 1) and summary:
        print()
        print(f"{'n':>7} {'load':>5} {'model':<6} {'instances':>9} {'proven':>6} "
              f"{'worst gap':>9} {'slowest_s':>9}")
        for (n, load, model), rows in sorted(summary.items()):
            proven = sum(status == "optimal" for status, _, _ in rows)
            worst = max(gap for _, gap, _ in rows)
            slowest = max(t for _, _, t in rows)
            print(f"{n:>7} {load:>5.2f} {model:<6} {len(rows):>9} {proven:>6} "
                  f"{worst:>9.4%} {slowest:>9.1f}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
