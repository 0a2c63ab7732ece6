"""ModEn-Hub: closed forms by hand, the cache chain against brute force, the Monte Carlo
against the exact values, the budget split against enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qdcopt.service.hub.budget import allocate_attempts, expected_served, smallest_k
from qdcopt.service.hub.exact import exact_hub, no_cache, request_matrix, stationary
from qdcopt.service.hub.montecarlo import HubModel, k_orchestrated, p_eff, simulate_hub


def test_p_eff_and_k_by_hand():
    assert p_eff(2) == pytest.approx(0.35 / 1.35)
    assert p_eff(128) == pytest.approx(0.35 / (1 + 0.35 * 7))
    assert k_orchestrated(2) == 2  # ⌈0.9⌉ = 1 < 2
    assert k_orchestrated(128) == 7  # ⌈6.3⌉
    assert k_orchestrated(1024) == 9  # ⌈9.0⌉, not 10 on a rounding error


def test_n2_r1_success_is_p_eff():
    m = HubModel(2, rounds=1)
    assert exact_hub(m, "naive").success_rate == pytest.approx(0.35 / 1.35)
    assert exact_hub(m, "naive").attempts_per_request == pytest.approx(1.0)


def test_closed_form_by_hand():
    # K = 2, p = 0.5, R = 2: p_r = 0.75, success = 1 − 0.25² = 0.9375,
    # attempts = 2·(1 + 0.25) = 2.5
    s, a = no_cache(0.5, 2, 2)
    assert s == pytest.approx(0.9375)
    assert a == pytest.approx(2.5)


def test_first_request_orchestrated_by_hand():
    # one request on N = 2: nothing cached yet; K = 2, R = 3
    p = 0.35 / 1.35
    p_r = 1 - (1 - p) ** 2
    m = HubModel(2, requests=1)
    ex = exact_hub(m, "orchestrated")
    assert ex.success_rate == pytest.approx(1 - (1 - p_r) ** 3)
    assert ex.attempts_per_request == pytest.approx(2 * (1 + (1 - p_r) + (1 - p_r) ** 2))


def _brute(model: HubModel, strategy: str) -> tuple[float, float, float]:
    """Expected mean success, attempts and fidelity over every outcome of every request.

    Enumerates the pair of each request and the result of each of its attempts (K per
    round, R rounds), and plays the cache policy step by step.
    """
    k = model.attempts(strategy)
    cap = model.capacity(strategy)
    p = model.p_eff
    pairs = model.pairs
    t_total = model.requests
    a_max = model.max_age
    bits = list(itertools.product((0, 1), repeat=k * model.rounds))
    tot = [0.0, 0.0, 0.0]

    def rec(t: int, cache: dict[int, tuple[int, int]], prob: float, acc: tuple) -> None:
        if t == t_total:
            for i in range(3):
                tot[i] += prob * acc[i]
            return
        for pair in range(pairs):
            j, stored = cache.get(pair, (0, 0))
            if j > 0 and (a_max is None or t - stored <= a_max):
                age = t - stored
                fid = 1.0 if model.t_mem is None else 0.25 + 0.75 * math.exp(
                    -age * model.request_interval / model.t_mem)
                new = dict(cache)
                new[pair] = (j - 1, stored)
                rec(t + 1, new, prob / pairs, (acc[0] + 1, acc[1], acc[2] + fid))
                continue
            for b in bits:
                pb = prob / pairs
                for x in b:
                    pb *= p if x else 1 - p
                att, ok, spare = 0, 0, 0
                for r in range(model.rounds):
                    wins = sum(b[r * k:(r + 1) * k])
                    att += k
                    if wins:
                        ok, spare = 1, min(wins - 1, cap)
                        break
                new = dict(cache)
                new[pair] = (spare, t)
                rec(t + 1, new, pb, (acc[0] + ok, acc[1] + att, acc[2] + ok))

    rec(0, {}, 1.0, (0, 0, 0.0))
    return tot[0] / t_total, tot[1] / t_total, tot[2] / tot[0]


@pytest.mark.parametrize("n,requests,rounds", [(2, 4, 1), (2, 3, 2), (3, 3, 2)])
def test_markov_chain_matches_brute_force(n, requests, rounds):
    m = HubModel(n, rounds=rounds, requests=requests, cache=1)
    s, a, _ = _brute(m, "orchestrated")
    ex = exact_hub(m, "orchestrated")
    assert ex.success_rate == pytest.approx(s, rel=1e-9)
    assert ex.attempts_per_request == pytest.approx(a, rel=1e-9)


def test_markov_chain_with_cut_off_matches_brute_force():
    # a spare serves only the very next request (age 1): t_cut = 1.5 intervals
    m = HubModel(3, rounds=2, requests=3, cache=1, k_override=2, t_cut=1.5e-3,
                 request_interval=1e-3, t_mem=5e-3)
    assert m.max_age == 1
    s, a, f = _brute(m, "orchestrated")
    ex = exact_hub(m, "orchestrated")
    assert ex.success_rate == pytest.approx(s, rel=1e-9)
    assert ex.attempts_per_request == pytest.approx(a, rel=1e-9)
    assert ex.mean_fidelity == pytest.approx(f, rel=1e-9)
    # the cut-off bites: a spare left for two requests is lost
    assert ex.hit_rate < exact_hub(m.with_(t_cut=None, t_mem=None), "orchestrated").hit_rate


def test_cache_capacity_two_matches_brute_force():
    m = HubModel(2, rounds=1, requests=4, cache=2, k_override=3)
    s, a, _ = _brute(m, "orchestrated")
    ex = exact_hub(m, "orchestrated")
    assert ex.success_rate == pytest.approx(s, rel=1e-9)
    assert ex.attempts_per_request == pytest.approx(a, rel=1e-9)


def test_stationary_law_of_the_cache():
    mat = request_matrix(0.5, 2, 1, 1)
    # from empty: success 0.75, spare when both succeed (0.25): π1 = 0.25 π0, π0 + π1 = 1
    pi = stationary(mat)
    assert pi == pytest.approx([0.8, 0.2])


@pytest.mark.parametrize("n", [2, 5, 64])
@pytest.mark.parametrize("strategy", ["naive", "orchestrated"])
def test_monte_carlo_within_standard_error_of_exact(n, strategy):
    m = HubModel(n)
    runs = [simulate_hub(m, strategy, seed).summary() for seed in range(8)]
    ex = exact_hub(m, strategy)
    for key, exact in (("success_rate", ex.success_rate),
                       ("attempts_per_request", ex.attempts_per_request)):
        values = np.array([r[key] for r in runs])
        se = values.std(ddof=1) / math.sqrt(len(values))
        assert abs(values.mean() - exact) <= 4 * se + 1e-12


def test_monte_carlo_with_decoherence_within_standard_error():
    m = HubModel(3, t_cut=4e-3, request_interval=1e-3, t_mem=1e-2)
    runs = [simulate_hub(m, "orchestrated", seed).summary() for seed in range(8)]
    ex = exact_hub(m, "orchestrated")
    for key, exact in (("success_rate", ex.success_rate), ("hit_rate", ex.hit_rate),
                       ("mean_fidelity", ex.mean_fidelity)):
        values = np.array([r[key] for r in runs])
        se = values.std(ddof=1) / math.sqrt(len(values))
        assert abs(values.mean() - exact) <= 4 * se + 1e-12
    # the cut-off costs hits: fewer than without it
    assert ex.hit_rate < exact_hub(m.with_(t_cut=None, t_mem=None), "orchestrated").hit_rate


def test_same_seed_same_sample():
    m = HubModel(16)
    a, b = simulate_hub(m, "orchestrated", 7), simulate_hub(m, "orchestrated", 7)
    assert np.array_equal(a.success, b.success)
    assert np.array_equal(a.attempts, b.attempts)


def test_greedy_split_is_optimal_by_enumeration():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(1, 4))
        p = rng.uniform(0.01, 0.9, size=n).tolist()
        w = rng.uniform(0.1, 2.0, size=n).tolist()
        budget = int(rng.integers(0, 7))
        best = max(expected_served(p, ks, w)
                   for ks in itertools.product(range(budget + 1), repeat=n)
                   if sum(ks) <= budget)
        alloc = allocate_attempts(p, budget, w)
        assert sum(alloc) <= budget
        assert expected_served(p, alloc, w) == pytest.approx(best, rel=1e-9)


def test_smallest_k():
    m = HubModel(128)
    k = smallest_k(m, 0.9, cached=False)
    s = lambda kk: no_cache(m.p_eff, kk, 3)[0]  # noqa: E731
    assert s(k) >= 0.9 > s(k - 1)
    kc = smallest_k(HubModel(2), 0.9)
    rate = lambda kk: exact_hub(HubModel(2, k_override=kk), "orchestrated").success_rate  # noqa: E731
    assert rate(kc) >= 0.9 > rate(kc - 1)
    assert kc <= smallest_k(HubModel(2), 0.9, cached=False)
