"""The hyperflow LP: hand-derived optima, builders agree, pricing reaches the full optimum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qdcopt.network.instance import load_network
from qdcopt.network.lp.hyperflow import HyperflowLP, solve_hyperflow
from qdcopt.network.lp.hyperflow_pyomo import solve_pyomo_hyperflow
from qdcopt.network.lp.hypergraph import full_swap_count, full_swaps, pruned_swaps, state_count
from qdcopt.network.lp.hyperpaths import solve_tree_master
from qdcopt.network.topology.waxman import waxman_instance
from qdcopt.solvers.highs import SolverOptions

INSTANCES = Path(__file__).resolve().parents[2] / "instances" / "network"

# Derivations are in the instance files' comments; every node makes C = 1000 attempts/s,
# every link p = 0.1 (100 pairs/s at full use), q = 0.5, so γ = 1/3 (published) or 1/2.
#   path3:   B splits 1000 attempts over 2 links -> 50 + 50 pairs/s -> y = γ · 50.
#   path4:   two trees mixed, (3 + γ)(a1 + a2) ≤ 200 -> y = γ² · 200 / (3 + γ).
#   diamond: two disjoint 2-hop paths, 50 pairs/s each -> y = γ · 100.
#   star:    hub: x1 + x2 ≤ 50; weights (2, 1) -> all to r12: 2 · γ · 50.
HAND = {
    ("path3", "published"): 50 / 3,
    ("path3", "steady_state"): 25.0,
    ("path4", "published"): (1 / 9) * 200 / (3 + 1 / 3),
    ("path4", "steady_state"): (1 / 4) * 200 / 3.5,
    ("diamond", "published"): 100 / 3,
    ("diamond", "steady_state"): 50.0,
    ("star", "published"): 100 / 3,
    ("star", "steady_state"): 50.0,
}


@pytest.mark.parametrize(("name", "variant"), sorted(HAND))
def test_network_hand_optima_every_builder(name: str, variant: str) -> None:
    inst = load_network(INSTANCES / f"{name}.toml")
    want = HAND[(name, variant)]
    master = solve_tree_master(inst, variant=variant)
    assert master.status == "optimal"
    assert master.objective == pytest.approx(want, rel=1e-7)
    for full in (False, True):
        sol = solve_hyperflow(inst, variant=variant, full=full)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(want, rel=1e-7)
    info, _ = solve_pyomo_hyperflow(inst, variant=variant)
    assert info.status == "optimal"
    assert info.objective == pytest.approx(want, rel=1e-7)


def test_network_star_maxmin_by_hand() -> None:
    # y1 = 2z, y2 = z, y1 + y2 = 50/3 -> z = 50/9, y = (100/9, 50/9).
    inst = load_network(INSTANCES / "star.toml")
    for sol in (solve_hyperflow(inst, objective="maxmin"),):
        assert sol.request_rate == pytest.approx([100 / 9, 50 / 9], rel=1e-6)
    master = solve_tree_master(inst, objective="maxmin")
    rates = np.zeros(2)
    for t in master.trees:
        rates[t.request] += t.rate
    assert rates == pytest.approx([100 / 9, 50 / 9], rel=1e-6)


def test_network_path4_mixes_both_trees() -> None:
    inst = load_network(INSTANCES / "path4.toml")
    master = solve_tree_master(inst)
    roots = {t.nodes[0].swap_at for t in master.trees}
    assert roots == {1, 2}  # root swaps at B and at C: the LP needs both trees


def test_network_full_hypergraph_size() -> None:
    assert full_swap_count(50) == 58800
    assert full_swap_count(100) == 485100
    assert full_swap_count(200) == 3940200
    w, u, v = full_swaps(7)
    assert len(w) == full_swap_count(7) and state_count(7) == 21
    assert np.all(u < v) and np.all((w != u) & (w != v))


def test_network_duals_follow_the_expected_sign() -> None:
    # The pricing assumes HiGHS reports c − Aᵀπ as reduced cost with π ≥ 0 on ≤ rows.
    inst = waxman_instance(12, requests=3, seed=4)
    lp = HyperflowLP(inst, "published", SolverOptions())
    lp.add_swaps(*full_swaps(inst.n))
    lp.set_costs(lp.weights, 0.0)
    assert lp.run(None) == "optimal"
    sol = lp.h.getSolution()
    P = lp.state_prices()
    assert P.min() >= -1e-9
    keys = lp.active_keys()
    w, u, v = keys // 144, (keys // 12) % 12, keys % 12
    rc = lp.gamma[w] * P[u, v] - P[u, w] - P[w, v]
    assert np.allclose(rc, np.asarray(sol.col_dual)[lp.col_x0:], atol=1e-7)


@pytest.mark.parametrize("seed", range(6))
def test_network_priced_equals_full(seed: int) -> None:
    inst = waxman_instance(10 + 3 * seed, requests=4, seed=seed, density=0.25)
    full = solve_hyperflow(inst, full=True, pricing=False)
    priced = solve_hyperflow(inst)
    master = solve_tree_master(inst)
    assert full.status == priced.status == master.status == "optimal"
    assert priced.objective == pytest.approx(full.objective, rel=1e-6)
    assert master.objective == pytest.approx(full.objective, rel=1e-6)
    assert priced.stats["active_swaps"] <= full_swap_count(inst.n)
    steady_full = solve_hyperflow(inst, full=True, pricing=False, variant="steady_state")
    steady = solve_tree_master(inst, variant="steady_state")
    assert steady.objective == pytest.approx(steady_full.objective, rel=1e-6)
    assert steady.objective >= master.objective - 1e-9  # larger gain, larger optimum


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.9])
def test_network_smoothed_pricing_reaches_the_full_optimum(smoothing: float) -> None:
    # Smoothed duals only choose which trees enter; the search stops only when the
    # master's own duals price nothing positive, so the optimum is the full hypergraph's.
    inst = waxman_instance(22, requests=5, seed=4, density=0.25)
    full = solve_hyperflow(inst, full=True, pricing=False)
    master = solve_tree_master(inst, smoothing=smoothing)
    assert master.status == "optimal" and master.stats["certified"]
    assert master.objective == pytest.approx(full.objective, rel=1e-6)
    # with smoothing the last round is a mispricing: the smoothed duals added nothing
    assert (master.stats["mispricings"] >= 1) == (smoothing > 0)


@pytest.mark.parametrize("smoothing", [-0.1, 1.0, float("nan")])
def test_network_smoothing_outside_its_range_is_refused(smoothing: float) -> None:
    with pytest.raises(ValueError, match="smoothing"):
        solve_tree_master(waxman_instance(6, requests=1, seed=0), smoothing=smoothing)


def test_network_maxmin_priced_equals_full() -> None:
    inst = waxman_instance(16, requests=4, seed=11, density=0.25)
    full = solve_hyperflow(inst, full=True, pricing=False, objective="maxmin")
    master = solve_tree_master(inst, objective="maxmin")
    assert master.stats["maxmin_level"] == pytest.approx(full.stats["maxmin_level"], rel=1e-6)
    assert master.objective == pytest.approx(full.objective, rel=1e-5)


def test_network_pyomo_equals_highspy_builder() -> None:
    inst = waxman_instance(9, requests=3, seed=5, density=0.3)
    swaps = pruned_swaps(inst, 3)
    info, _flows = solve_pyomo_hyperflow(inst, swaps=swaps)
    lp = HyperflowLP(inst, "published", SolverOptions())
    lp.add_swaps(*swaps)
    lp.set_costs(lp.weights, 0.0)
    assert lp.run(None) == "optimal"
    assert info.objective == pytest.approx(lp.objective_value(), rel=1e-7)
    full_info, _ = solve_pyomo_hyperflow(inst)
    assert full_info.objective == pytest.approx(solve_tree_master(inst).objective, rel=1e-6)


def test_network_pruned_is_a_restriction() -> None:
    inst = waxman_instance(30, requests=6, seed=2)
    pruned = solve_hyperflow(inst, pricing=False, k_paths=2)
    exact = solve_tree_master(inst)
    assert pruned.status == "restricted"
    assert pruned.objective <= exact.objective * (1 + 1e-9)
    assert pruned.stats["pruned_objective"] == pytest.approx(pruned.objective, rel=1e-6)


def test_network_same_seed_same_solution() -> None:
    inst = waxman_instance(25, requests=5, seed=9)
    a = solve_tree_master(inst)
    b = solve_tree_master(inst)
    assert a.objective == b.objective
    assert [t.rate for t in a.trees] == [t.rate for t in b.trees]


@pytest.mark.slow
def test_network_priced_equals_full_at_50_nodes() -> None:
    inst = waxman_instance(50, requests=10, seed=1)
    full = solve_hyperflow(inst, full=True, pricing=False,
                           options=SolverOptions(time_limit=600))
    assert solve_tree_master(inst).objective == pytest.approx(full.objective, rel=1e-6)
    assert solve_hyperflow(inst).objective == pytest.approx(full.objective, rel=1e-6)
