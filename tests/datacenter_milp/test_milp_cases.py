"""Hand-built cases for the switch MILP: penalty, lexicographic order, memory, switching."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qdcopt.datacenter import SCHEDULERS
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.validate import validate

NS = 10**6


def make(requests: list[tuple[str, str, int]], *, t_max: int = 3 * NS, comm: int | None = None,
         n_qpus: int = 4, t_single: int = 2 * NS, t_double: int = 10 * NS) -> DatacenterInstance:
    """One 1 GHz source over QPUs A, B, C, ...; requests (qpu, qpu, need time in ticks)."""
    names = "ABCDEFGH"[:n_qpus]
    qpus = tuple(Qpu(n, 4, comm) for n in names)
    src = Source("S", NS, 0, t_single, t_double, tuple(range(n_qpus)))
    pos = {n: i for i, n in enumerate(names)}
    req = Requests.from_columns([f"r{i}" for i in range(len(requests))], ["j"] * len(requests),
                                [pos[a] for a, _, _ in requests], [pos[b] for _, b, _ in requests],
                                [t for _, _, t in requests])
    return DatacenterInstance("case", qpus, (src,), t_max, req)


def solve(inst: DatacenterInstance, **kw):
    plan, info = SCHEDULERS["milp"](inst, time_limit=20, warm_start=False, **kw)
    rep = validate(inst, plan)
    assert not rep.violations, rep.violations
    assert info.objective == rep.objective
    assert info.bound >= rep.objective
    return plan, info, rep


def test_penalty_changes_the_choice() -> None:
    # Serving r1 needs two changes (A-B → A-C → A-B); worth it only when changes are cheap.
    inst = make([("A", "B", 5 * NS), ("A", "C", 9 * NS), ("A", "B", 13 * NS)])
    _, info, rep = solve(inst)
    assert rep.objective == 3 and rep.metrics["reconfigurations"] == 2
    assert info.status == "optimal" and info.bound == 3
    _, info, rep = solve(inst, penalty=1.5)
    assert rep.objective == 2 and rep.metrics["reconfigurations"] == 0
    _, info, rep = solve(inst, penalty=0.4)
    assert rep.objective == 3


def test_lexicographic_takes_fewest_changes() -> None:
    # All three fit with one change (A-C first, then A-B twice); other orders need two.
    inst = make([("A", "B", 5 * NS), ("A", "C", 5 * NS), ("A", "B", 6 * NS)])
    _, _info, rep = solve(inst, lexicographic=True)
    assert rep.objective == 3
    assert rep.metrics["reconfigurations"] == 1


def test_memory_capacity_binds() -> None:
    # Both pairs are consumed at 5 ns and both occupy a communication qubit of A then.
    reqs = [("A", "B", 5 * NS), ("A", "C", 5 * NS)]
    _, _, rep = solve(make(reqs))
    assert rep.objective == 2
    _, info, rep = solve(make(reqs, comm=1))
    assert rep.objective == 1 and info.bound == 1 and info.status == "optimal"
    assert rep.metrics["peak_stored_pairs"]["A"] == 1


def test_memory_window_reuse() -> None:
    # With one communication qubit per QPU, consecutive pairs must not overlap in storage.
    reqs = [("A", "B", 4 * NS), ("A", "B", 5 * NS), ("A", "B", 6 * NS)]
    _, info, rep = solve(make(reqs, comm=1))
    assert rep.objective == 3 and info.bound == 3
    reqs = [("A", "B", 6 * NS), ("A", "B", 6 * NS)]
    _, info, rep = solve(make(reqs, comm=1))
    assert rep.objective == 1 and info.bound == 1


def test_double_line_switching_binds() -> None:
    # The paper's rule: after serving A-B at 1 ns, a disjoint pair C-D needs the 10 ns
    # double move whatever the switch does in between: first usable event 12 ns.
    shared = make([("A", "B", 3 * NS), ("A", "C", 5 * NS)], t_max=2 * NS)
    disjoint = make([("A", "B", 3 * NS), ("C", "D", 6 * NS)], t_max=2 * NS)
    late = make([("A", "B", 3 * NS), ("C", "D", 12 * NS)], t_max=2 * NS)
    assert solve(shared)[2].objective == 2
    _, info, rep = solve(disjoint)
    assert rep.objective == 1 and info.bound == 1
    _, info, rep = solve(late)
    assert rep.objective == 2 and rep.metrics["reconfigurations_double"] == 1
    # a served pair sharing a QPU with each bridges them with two one-line moves
    bridged = make([("A", "B", 3 * NS), ("B", "C", 6 * NS), ("C", "D", 9 * NS)], t_max=2 * NS)
    _, info, rep = solve(bridged)
    assert rep.objective == 3 and rep.metrics["reconfigurations_single"] == 2
    # With transit moves the switch may pass through A-C without serving it: C-D needs
    # 4 ns (two single moves, faster than the 10 ns double move), first usable event 6 ns.
    transit = replace(disjoint, transit_moves=True)
    _, info, rep = solve(transit)
    assert rep.objective == 2 and rep.metrics["reconfigurations_single"] == 2
    _, info, rep = solve(replace(make([("A", "B", 3 * NS), ("C", "D", 5 * NS)], t_max=2 * NS),
                                 transit_moves=True))
    assert rep.objective == 1 and info.bound == 1
    # with a fast double move the direct change is used
    _plan, info, rep = solve(make([("A", "B", 3 * NS), ("C", "D", 6 * NS)], t_max=2 * NS,
                                 t_double=3 * NS))
    assert rep.objective == 2 and rep.metrics["reconfigurations_double"] == 1


def test_unservable_requests_are_rejected_with_reasons() -> None:
    qpus = tuple(Qpu(n, 4) for n in "ABCD")
    src = Source("S", 1000 * NS, 0, 2 * NS, 10 * NS, (0, 1, 2))   # 1 MHz, D unreachable
    req = Requests.from_columns(["r0", "r1", "r2"], ["j"] * 3, [0, 0, 0], [1, 3, 2],
                                [1000 * NS, 1000 * NS, 1500 * NS])
    inst = DatacenterInstance("u", qpus, (src,), 100 * NS, req)
    plan, info, rep = solve(inst)
    reasons = dict(zip(plan.rejected_request.tolist(), plan.rejected_reason.tolist(),
                       strict=True))
    assert rep.objective == 1 and info.bound == 1
    assert reasons == {"r1": "no-source", "r2": "no-event"}


def test_independent_blocks_are_split() -> None:
    reqs = [("A", "B", 5 * NS), ("C", "D", 5 * NS), ("A", "B", 500 * NS), ("C", "D", 500 * NS)]
    inst = make(reqs)
    _, info, rep = solve(inst)
    assert info.extra["blocks"] == 2
    assert rep.objective == 2 and info.bound == 2
    # without splitting the same optimum
    _, info2, rep2 = solve(inst, split_blocks=False)
    assert info2.extra["blocks"] == 1 and rep2.objective == 2


def test_empty_instance() -> None:
    req = Requests.from_columns([], [], np.array([], int), np.array([], int), np.array([], int))
    inst = DatacenterInstance("e", (Qpu("A", 1), Qpu("B", 1)),
                              (Source("S", NS, 0, 2 * NS, 10 * NS, (0, 1)),), NS, req)
    _, info, rep = solve(inst)
    assert rep.objective == 0 and info.bound == 0 and info.status == "optimal"
