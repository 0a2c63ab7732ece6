"""The shared column-generation loop: certification, caps, stops and fall-backs, on a
scripted master (the LP masters themselves are checked against the full hypergraph in
test_network_lp.py)."""

from __future__ import annotations

import numpy as np

from qdcopt.network.lp.colgen import search


class Scripted:
    """A master whose pricing finds ``rounds_positive`` improving columns, one per round,
    each raising its value by 1; ``fail_at`` makes that solve stop without a point."""

    def __init__(self, rounds_positive: int, fail_at: int | None = None) -> None:
        self.left = rounds_positive
        self.fail_at = fail_at
        self.cols: list[float] = [1.0]
        self.solves = 0
        self.phases: list[str] = []
        self.held: list[float] = []
        self.feasible = True

    def start_phase(self, phase: str) -> None:
        self.phases.append(phase)

    def run(self, deadline):
        self.solves += 1
        if self.solves == self.fail_at:
            self.feasible = False
            return "time_limit"
        self.cols = [float(len(self.cols))] * len(self.cols)
        return "optimal"

    def price(self):
        if self.left == 0:
            return 0, 0
        self.left -= 1
        self.cols.append(0.0)
        return 1, 1

    def values(self):
        return np.array(self.cols)

    def level(self):
        return self.cols[0]

    def hold_level(self, z):
        self.held.append(z)

    def has_feasible_point(self):
        return self.feasible


def test_search_certifies_when_pricing_finds_nothing():
    m = Scripted(3)
    found = search(m, ["sum"], None, objective_of=lambda v: float(v.sum()))
    assert found.status == "optimal" and found.certified
    assert found.rounds == 4 and found.positive == (1, 1, 1, 0)
    assert found.first_objective == 1.0  # the master before any column was priced in
    assert found.values.tolist() == [4.0] * 4


def test_round_cap_leaves_the_phase_uncertified():
    found = search(Scripted(5), ["sum"], None, max_rounds=2)
    assert found.status == "optimal" and not found.certified and found.rounds == 2


def test_unpriced_search_is_certified_only_when_asked():
    assert not search(Scripted(5), ["sum"], None, pricing=False).certified
    assert search(Scripted(5), ["sum"], None, pricing=False, certified_unpriced=True).certified


def test_a_stop_without_a_point_falls_back_to_the_last_solved_master():
    # third solve stops with no point: the second's values, zero for the column since
    found = search(Scripted(5, fail_at=3), ["sum"], None)
    assert found.status == "time_limit" and not found.certified
    assert found.values.tolist() == [2.0, 2.0, 0.0]


def test_the_maxmin_level_is_held_in_the_next_phase():
    m = Scripted(1)
    found = search(m, ["maxmin", "sum"], None)
    assert m.phases == ["maxmin", "sum"]
    assert found.maxmin_level == 2.0 and m.held == [2.0]
    assert found.certified


def test_a_passed_deadline_stops_before_pricing():
    m = Scripted(5)
    found = search(m, ["sum"], deadline=0.0)
    assert found.status == "time_limit" and found.rounds == 0 and not found.certified
    assert found.values.tolist() == [1.0]  # the master solved once and holds its point
