"""Exact expected values of the ModEn-Hub Monte Carlo (:mod:`qdcopt.service.hub.montecarlo`).

**Without a cache** a request makes rounds of ``K`` attempts until one succeeds or ``R``
rounds are spent.  With ``p = p_eff(N)`` a round succeeds with ``p_r = 1 − (1 − p)^K``,
so

* success ``P_s = 1 − (1 − p_r)^R``;
* expected rounds ``Σ_{r=1..R} (1 − p_r)^{r−1} = P_s / p_r``, attempts ``K · P_s / p_r``.

**With a cache** the requests of one unordered pair are coupled through its cache.
Track one pair on the global request clock (one request per step).  At each step the
pair is requested with probability ``q = 1 / (N(N−1)/2)``, independently of the past,
because every request draws its pair afresh.  The pair's state is the number ``j`` of
cached pairs and, with a cut-off, their age ``a`` in steps (spares of one round are
stored together, so they share an age).  A step does:

* requested, ``j ≥ 1`` and ``a ≤ a_max``: a hit, ``j → j − 1``;
* requested otherwise: attempts; with probability ``P_s · g_m`` the round that succeeds
  has ``S`` successes with ``min(S − 1, c) = m`` and the state becomes ``(m, 0)``, where
  ``g_m = P[min(S − 1, c) = m | S ≥ 1]`` with ``S ~ Binomial(K, p)``; on failure the cache
  is empty (a stale pair is discarded);
* every cached pair ages one step; past ``a_max`` it can never serve and is dropped.

The pair requested at step ``t`` is a uniform draw independent of every state, so its
state is distributed as that of any fixed pair at step ``t``: the chain's distribution
``x_t`` (started empty).  The expected figure of request ``t`` is ``x_t · f`` with ``f``
the figure of each state (success 1 and 0 attempts on a valid hit; ``P_s`` and
``K·P_s/p_r`` otherwise), and the expected mean of a run of ``T`` requests is
``(1/T) Σ_t x_t · f`` — exactly what the Monte Carlo estimates.  Without a cut-off the
age is irrelevant and the chain has ``c + 1`` states; per request of the pair it moves
by the matrix ``P`` below, per step by ``(1 − q)·I + q·P``; its stationary law gives the
long-run values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qdcopt.service.hub.montecarlo import HubModel


@dataclass(frozen=True)
class HubExact:
    """Exact expected figures of one strategy at one point.

    Attributes
    ----------
    success_rate, attempts_per_request, hit_rate, mean_fidelity
        Expected means over the ``requests`` requests of a run started with empty caches
        (what one Monte Carlo run estimates).
    success_longrun, attempts_longrun
        The same per request in the long run (stationary cache; ``nan`` with a cut-off).
    p_eff, k, p_round
        Per-attempt success, attempts per round, one-round success.
    """

    success_rate: float
    attempts_per_request: float
    hit_rate: float
    mean_fidelity: float
    success_longrun: float
    attempts_longrun: float
    p_eff: float
    k: int
    p_round: float


def no_cache(p: float, k: int, rounds: int) -> tuple[float, float]:
    """Closed form without cache: (success probability, expected attempts) of a request."""
    p_r = 1.0 - (1.0 - p) ** k
    success = 1.0 - (1.0 - p_r) ** rounds
    return success, k * success / p_r


def spare_law(p: float, k: int, cap: int) -> np.ndarray:
    """``g_m = P[min(S − 1, cap) = m | S ≥ 1]`` for ``m = 0..cap``, ``S ~ Binomial(k, p)``."""
    # exact binomial coefficients: scipy's pmf carries relative errors near 1e-11
    pmf = np.array([math.comb(k, s) * p**s * (1.0 - p) ** (k - s) for s in range(k + 1)])
    p_r = 1.0 - pmf[0]
    g = np.zeros(cap + 1)
    for s in range(1, k + 1):
        g[min(s - 1, cap)] += pmf[s]
    return g / p_r


def request_matrix(p: float, k: int, rounds: int, cap: int) -> np.ndarray:
    """Cache transition matrix ``P`` per request of the pair (no cut-off), states 0..cap."""
    success, _ = no_cache(p, k, rounds)
    g = spare_law(p, k, cap)
    mat = np.zeros((cap + 1, cap + 1))
    mat[0] = success * g
    mat[0, 0] += 1.0 - success
    for j in range(1, cap + 1):
        mat[j, j - 1] = 1.0
    return mat


def stationary(mat: np.ndarray) -> np.ndarray:
    """Stationary law of an irreducible stochastic matrix (left eigenvector)."""
    n = mat.shape[0]
    a = np.vstack([mat.T - np.eye(n), np.ones(n)])
    b = np.r_[np.zeros(n), 1.0]
    return np.linalg.lstsq(a, b, rcond=None)[0]


def exact_hub(model: HubModel, strategy: str) -> HubExact:
    """The exact expected figures of ``strategy`` at ``model`` (see the module text)."""
    k = model.attempts(strategy)
    cap = model.capacity(strategy)
    p = model.p_eff
    success, attempts = no_cache(p, k, model.rounds)
    p_round = 1.0 - (1.0 - p) ** k
    if cap == 0:
        return HubExact(success, attempts, 0.0, model.f0 if success > 0 else math.nan,
                        success, attempts, p, k, p_round)
    q = 1.0 / model.pairs
    g = spare_law(p, k, cap)
    a_max = model.max_age
    ages = 1 if a_max is None else a_max + 1
    # x[j, a]: probability of j cached pairs (j = 1..cap) of age a; e: empty cache
    x = np.zeros((cap, ages))
    e = 1.0
    f_sum = hits = fid = 0.0
    fid_age = _fidelity_by_age(model, ages)
    for _ in range(model.requests):
        f_sum += e * success + (1.0 - e)
        hits += 1.0 - e
        fid += float(x.sum(axis=0) @ fid_age)
        # one step: requested with probability q
        hit_mass = q * x
        new = x - hit_mass
        new[:-1] += hit_mass[1:]  # j → j − 1 keeps the age
        e_new = e - q * e + hit_mass[0].sum() + q * e * ((1.0 - success) + success * g[0])
        fresh = q * e * success * g[1:]  # (m, age 0)
        if a_max is None:
            new[:, 0] += fresh
        else:
            # age one step; a pair that would pass a_max can never serve again
            e_new += new[:, -1].sum()
            new = np.concatenate([np.zeros((cap, 1)), new[:, :-1]], axis=1)
            if a_max >= 1:
                new[:, 1] += fresh
            else:
                e_new += fresh.sum()
        x, e = new, e_new
    t = model.requests
    mean_success = f_sum / t
    mean_attempts = attempts * (t - hits) / t
    hit_rate = hits / t
    mean_fid = (fid + model.f0 * success * (t - hits)) / (mean_success * t)
    if a_max is None:
        pi = stationary(request_matrix(p, k, model.rounds, cap))
        long_s = pi[0] * success + (1.0 - pi[0])
        long_a = pi[0] * attempts
    else:
        long_s = long_a = math.nan
    return HubExact(mean_success, mean_attempts, hit_rate, mean_fid, long_s, long_a, p, k,
                    p_round)


def _fidelity_by_age(model: HubModel, ages: int) -> np.ndarray:
    """Fidelity of a cached pair served at age a (a = 0..ages−1; no cut-off: F0)."""
    if model.t_mem is None or model.max_age is None:
        return np.full(ages, model.f0)
    decay = np.exp(-np.arange(ages) * model.request_interval / model.t_mem)
    return 0.25 + (model.f0 - 0.25) * decay
