"""The request stream (paper 003's pre-distribution workload): one pair per request,
latency from arrival to delivery."""

from __future__ import annotations

import pytest

from qdcopt.network.instance import Link, NetworkInstance, Node, Physics, Request
from qdcopt.network.plan import LATENCY, plan_from_trees
from qdcopt.network.runtime import RuntimeConfig, run_once
from qdcopt.network.trees.builders import SwapTree, TreeNode, balanced_tree

SWAP_LATENCY = 10e-6
SPEED = 2e5  # km/s, the default classical speed


def path(hops: int, *, memories: int = 4, length: float = 10.0, q: float = 1.0,
         ) -> NetworkInstance:
    """A straight path v0 … v_hops of ``length``-km links, one request end to end."""
    nodes = tuple(Node(id=f"v{i}", x=length * i, y=0.0, memories=memories,
                       generation_time=1e-3, generation_success=1.0, swap_success=q)
                  for i in range(hops + 1))
    links = tuple(Link(u=i, v=i + 1, length=length, rate=200.0) for i in range(hops))
    return NetworkInstance(name=f"path{hops}", nodes=nodes, links=links,
                           requests=(Request(id="r", source=0, destination=hops),),
                           physics=Physics(swap_latency=SWAP_LATENCY,
                                           classical_speed=SPEED))


def plan_of(instance: NetworkInstance, g: float):
    nodes = [TreeNode(u=nd.u, v=nd.v, swap_at=nd.swap_at, left=nd.left, right=nd.right,
                      link_rate=g if nd.is_leaf else 0.0)
             for nd in balanced_tree(list(range(instance.n)))]
    tree = SwapTree(request=0, rate=1.0, nodes=tuple(nodes))
    return plan_from_trees(instance, [tree], method="hand", variant="published",
                           rate_model=LATENCY)


@pytest.mark.parametrize("policy", ["fixed", "scoring", "swap_asap"])
def test_stock_covering_the_pair_makes_latency_the_swap_and_signalling_time(policy):
    # stocked v0–v2 and v2–v4: the request draws both on arrival, v2 swaps them at once
    # (q = 1) and the outcome reaches v0 and v4 after the swap and 20 km of fibre
    inst = path(4)
    cfg = RuntimeConfig(policy=policy, duration=1.0, predistribution="batch",
                        predist_links=2, predist_pairs=1, arrivals=1, trace=True)
    run = run_once(inst, plan_of(inst, 50.0), cfg, seed=0)
    assert run.predistributed == 2 and run.predist_used == 2
    assert run.arrivals == 1 and run.unserved == 0 and run.delivered.tolist() == [1]
    assert run.latencies[0] == [pytest.approx(SWAP_LATENCY + 20.0 / SPEED, rel=1e-9)]
    # the request's own links never had to make a pair
    assert not [r for r in run.trace if r[1] == "herald" and r[0] >= run.start]


def test_links_work_only_while_a_request_waits():
    inst = path(2)
    cfg = RuntimeConfig(policy="swap_asap", duration=4.0, arrivals=3, arrival_interval=1.0,
                        trace=True)
    run = run_once(inst, plan_of(inst, 50.0), cfg, seed=3)
    arrivals = [r[0] for r in run.trace if r[1] == "arrive"]
    deliveries = [r[0] for r in run.trace if r[1] == "deliver"]
    assert arrivals == [0.0, 1.0, 2.0]
    assert len(deliveries) == 3 and run.unserved == 0
    # one request at a time here (each is served within its second): a herald lies
    # between an arrival and that request's delivery
    windows = list(zip(arrivals, deliveries, strict=True))
    for start, end in windows:
        assert start < end < start + 1.0
    heralds = [r[0] for r in run.trace if r[1] == "herald"]
    assert heralds and all(any(a <= t <= d for a, d in windows) for t in heralds)
    assert run.latencies[0] == pytest.approx([d - a for a, d in windows])
    # the last swap's outcome needs the swap and 10 km of fibre at least
    assert min(run.latencies[0]) >= SWAP_LATENCY + 10.0 / SPEED


def test_stream_accounting_and_determinism():
    inst = path(4, memories=3, q=0.5)
    cfg = RuntimeConfig(policy="scoring", duration=0.305, arrivals=40, arrival_interval=0.01,
                        predistribution="continuous", predist_links=2, predist_pairs=1,
                        trace=True)
    plan = plan_of(inst, 50.0)
    a = run_once(inst, plan, cfg, seed=5)
    b = run_once(inst, plan, cfg, seed=5)
    assert a.trace == b.trace
    assert a.arrivals == 31  # arrivals at 0, 0.01, …, 0.30 within the 0.305 s run
    assert a.delivered.sum() + a.unserved == a.arrivals
    assert a.unserved > 0  # requests come faster than a 4-hop path at q = 0.5 serves them
    assert a.start == pytest.approx(cfg.predist_warmup)  # the stock filled first


def test_bad_stream_options_are_refused():
    with pytest.raises(ValueError, match="arrivals"):
        RuntimeConfig(arrivals=-1)
    with pytest.raises(ValueError, match="arrival_interval"):
        RuntimeConfig(arrival_interval=0.0)



def test_stock_older_than_its_cut_off_is_never_used():
    from qdcopt.network.methods import METHODS
    from qdcopt.network.physics import link_model
    from qdcopt.network.runtime.executor import Execution
    from qdcopt.network.runtime.routes import exec_trees
    from qdcopt.network.topology.waxman import waxman_instance

    inst = waxman_instance(15, density=0.25, requests=4, seed=2)
    plan, _ = METHODS["iterative"](inst)
    model = link_model(inst)
    cfg = RuntimeConfig(policy="oldest", duration=2.0, trace=True, arrivals=40,
                        arrival_interval=0.05, predistribution="continuous",
                        predist_warmup=0.5, stock_cutoff_factor=0.5)
    ex = Execution(inst, model, exec_trees(inst, plan, model), cfg, seed=1)
    run = ex.run()
    assert run.stock_expired > 0
    stocked: dict[int, tuple[float, float]] = {}  # pair → (stocked at, its cut-off)
    expired = set()
    for row in run.trace:
        t, kind = row[0], row[1]
        if kind == "stock":
            stocked[row[2]] = (t, 0.5 * ex.root_cutoff[row[3]])
        elif kind == "discard" and row[-1] == "stock":
            at, limit = stocked[row[2]]
            assert t - at <= limit + 1e-12  # gone by its cut-off (its age ≥ time in stock)
            expired.add(row[2])
        elif kind == "relabel" and row[2] in stocked:
            at, limit = stocked[row[2]]
            assert row[2] not in expired and t - at < limit
    # without the cut-off the same run keeps every stocked pair until it is used
    keep = Execution(inst, model, exec_trees(inst, plan, model),
                     cfg.with_(stock_cutoff_factor=float("inf")), seed=1).run()
    assert keep.stock_expired == 0
