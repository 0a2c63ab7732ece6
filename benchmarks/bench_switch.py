"""Scale figures of the switch-assignment MILP and the heuristics on seeded instances.

Usage::

    python benchmarks/bench_switch.py                       # 100, 1 000, 10 000 requests
    python benchmarks/bench_switch.py --sizes 100000 --time-limit 300
    python benchmarks/bench_switch.py --comm-qubits 2       # memory-bound variant
    python benchmarks/bench_switch.py --fig4 --qpus 5 --t-max "10 ns"   # paper 000 demand
    python benchmarks/bench_switch.py --sizes 1000 --loads 0.6 0.8 1.0 --seeds 1 2 3 \
        --accepted-only --no-heuristics                 # where proofs come easily

For every size it prints, for the MILP: model build time, solve time, validated plan
value, proven bound, certified gap and status; and for every registered heuristic: its
run time and validated value.  Instances come from
:func:`qdcopt.datacenter.generate.random_instance` (1 GHz, 2 ns / 10 ns switching,
t_max = 100 ns, 5 QPUs, load 0.8, seed 1 unless told otherwise) or, with ``--fig4``,
from the demand of paper 000's Fig. 4 (a seeded 1000-qubit depth-200 random circuit on
``--qpus`` QPUs; ``--sizes`` is then ignored).  With several ``--seeds`` or ``--loads``
every combination is run, and a last table counts, per size and load, the instances
proven optimal and the worst certified gap.
"""

from __future__ import annotations

import argparse
import time

from qdcopt.datacenter import SCHEDULERS
from qdcopt.datacenter.generate import random_instance
from qdcopt.datacenter.switch.milp import switch_milp
from qdcopt.datacenter.validate import validate
from qdcopt.timebase import parse_duration


def main() -> None:
    """Run the benchmark and print one block of figures per size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seeds", "--seed", type=int, nargs="+", default=[1])
    ap.add_argument("--qpus", type=int, default=5)
    ap.add_argument("--rate", default="1 GHz", choices=["1 GHz", "1 MHz"])
    ap.add_argument("--t-max", default="100 ns")
    ap.add_argument("--loads", "--load", type=float, nargs="+", default=[0.8])
    ap.add_argument("--comm-qubits", type=int, default=None)
    ap.add_argument("--no-milp", action="store_true", help="heuristics only")
    ap.add_argument("--no-heuristics", action="store_true",
                    help="the MILP only (it still runs the heuristics for its start)")
    ap.add_argument("--accepted-only", action="store_true",
                    help="MILP without the second phase (fewest changes): time to the "
                         "proof on accepted requests alone")
    ap.add_argument("--no-anneal", action="store_true",
                    help="MILP without the run-sequence search before the model")
    ap.add_argument("--fig4", action="store_true",
                    help="paper 000 Fig. 4 demand (1000-qubit random circuit) instead")
    args = ap.parse_args()
    try:
        parse_duration(args.t_max)
    except ValueError as err:
        ap.error(f"--t-max: {err}")
    if args.qpus < 2:
        ap.error("--qpus: at least 2 QPUs")
    if args.comm_qubits is not None and args.comm_qubits < 1:
        ap.error("--comm-qubits: at least 1 communication qubit per QPU")
    if min(args.seeds) < 0:
        ap.error("--seeds: every seed must be a non-negative integer")
    if min(args.loads) <= 0:
        ap.error("--loads: every load must be positive")
    if min(args.sizes) < 1:
        ap.error("--sizes: every size must be a positive number of requests")
    if args.time_limit <= 0:
        ap.error("--time-limit: must be positive seconds")
    many = len(args.seeds) > 1 or len(args.loads) > 1
    print(f"{'seed':>4} {'load':>5} {'n':>7} {'method':<14} {'time_s':>8} {'value':>8} "
          f"{'bound':>8} {'gap':>8} {'status':<11} details")
    summary: dict[tuple[int, float], list[tuple[str, float]]] = {}
    for seed in args.seeds:
        for load in args.loads:
            for n in [0] if args.fig4 else args.sizes:
                row = run_one(args, seed, load, n)
                if row is not None:
                    summary.setdefault((row[0], load), []).append(row[1:])
    if many and summary:
        print()
        print(f"{'n':>7} {'load':>5} {'instances':>9} {'proven':>6} {'worst gap':>9} "
              f"{'slowest_s':>9}")
        for (n, load), rows in sorted(summary.items()):
            proven = sum(status == "optimal" for status, _, _ in rows)
            worst = max(gap for _, gap, _ in rows)
            slowest = max(t for _, _, t in rows)
            print(f"{n:>7} {load:>5.2f} {len(rows):>9} {proven:>6} {worst:>9.4%} "
                  f"{slowest:>9.1f}")


def run_one(args: argparse.Namespace, seed: int, load: float, n: int
            ) -> tuple[int, str, float, float] | None:
    """Print the figures of one instance; return (size, MILP status, gap, time) or
    ``None`` without the MILP."""
    head = f"{seed:>4} {load:>5.2f}"
    t0 = time.perf_counter()
    if args.fig4:
        from qdcopt.studies.fig4_acceptance import instance_for, job_requests

        req, _ = job_requests(args.qpus, 1000, 200, seed)
        rate = {"1 GHz": "1ghz", "1 MHz": "1mhz"}[args.rate]
        inst = instance_for(args.qpus, req, rate, args.t_max)
        n = len(req)
    else:
        inst = random_instance(n, n_qpus=args.qpus, rate=args.rate, t_max=args.t_max,
                               load=load, comm_qubits=args.comm_qubits, seed=seed)
    gen_s = time.perf_counter() - t0
    print(f"{head} {n:>7} {'(generate)':<14} {gen_s:>8.3f}")
    for name, fn in SCHEDULERS.items():
        if name.startswith("milp") or args.no_heuristics:
            continue
        t0 = time.perf_counter()
        plan, _ = fn(inst)
        run_s = time.perf_counter() - t0
        rep = validate(inst, plan)
        ok = "valid" if not rep.violations else f"{len(rep.violations)} violations"
        print(f"{head} {n:>7} {name:<14} {run_s:>8.3f} {int(rep.objective):>8} {'':>8} "
              f"{'':>8} {'heuristic':<11} {ok}, reconf={rep.metrics['reconfigurations']}")
    if args.no_milp:
        return None
    t0 = time.perf_counter()
    plan, info = switch_milp(inst, time_limit=args.time_limit,
                             lexicographic=not args.accepted_only,
                             anneal=not args.no_anneal)
    run_s = time.perf_counter() - t0
    rep = validate(inst, plan)
    assert not rep.violations, rep.violations[:3]
    assert info.objective == rep.objective, (info.objective, rep.objective)
    ex = info.extra
    print(f"{head} {n:>7} {'milp':<14} {run_s:>8.3f} {int(info.objective):>8} "
          f"{int(info.bound):>8} {info.gap:>8.4%} {info.status:<11} "
          f"build={ex['build_s']:.3f}s solve={ex['solve_s']:.2f}s blocks={ex['blocks']} "
          f"cols={ex['columns']} reconf={ex['reconfigurations']} start={ex['warm_start']} "
          f"annealed=+{ex['annealed_gain']} settled={ex['blocks_settled_by_start']} "
          f"left={ex['blocks_too_large']}")
    return n, info.status, info.gap, run_s


if __name__ == "__main__":
    main()
