"""ModEn-Hub (paper 001 §VI): teleportation requests served by a hub, as a Monte Carlo.

N QPUs sit around a hub.  Requests arrive one after another; each names a
source–destination pair drawn uniformly among the ordered pairs ``s ≠ d``.  A request
is served in *rounds*; in each round the hub makes ``K`` heralded attempts in parallel,
each succeeding with ``p_eff(N) = p0 / (1 + β log2 N)``.  The request succeeds in the
first round with at least one success, and fails after ``R`` rounds without one.

* **naive** — one attempt per round, no cache (``K = 1``, ``c = 0``);
* **orchestrated** — ``K(N) = max(2, ⌈κ log2 N⌉)`` attempts per round and a cache of
  capacity ``c`` per unordered node pair.

Cache policy (our reading of the paper, which says: "if multiple parallel attempts
succeed in the same round, one spare pair is stored (capacity = 1) and may serve a
future request for that node pair with zero additional attempts and zero waiting"):

1. a request whose pair holds a cached Bell pair is served from the cache at once: it
   succeeds, costs 0 attempts, and the cache loses that pair; no attempts are made;
2. otherwise the request runs its rounds; in the round that succeeds with ``S ≥ 1``
   successful attempts, one pair serves the request and ``min(S − 1, c − cached)``
   spares enter the cache (the rest are discarded); rounds stop at the first success.

Since a hit never makes attempts, the cache is empty whenever attempts are made, so
the spares stored are ``min(S − 1, c)``.  Beyond the paper, cached pairs may decohere:
requests arrive one every ``request_interval`` seconds at the hub, and a cached pair
older than ``t_cut`` is discarded when its pair is next requested (the request then
makes attempts as if the cache were empty).  The fidelity of a served cached pair is
that of a Werner state in a depolarising memory, ``1/4 + (F0 − 1/4)·exp(−age/T_mem)``.

The exact expected values of every figure this module samples are in
:mod:`qdcopt.service.hub.exact`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

STRATEGIES = ("naive", "orchestrated")


@dataclass(frozen=True)
class HubModel:
    """Parameters of one ModEn-Hub point (paper 001 §VI defaults).

    Attributes
    ----------
    n_qpus
        Number of QPUs N (≥ 2).
    p0, beta
        ``p_eff(N) = p0 / (1 + beta·log2 N)``.
    kappa
        ``K(N) = max(2, ⌈kappa·log2 N⌉)`` for the orchestrated strategy.
    rounds
        Round budget R.
    cache
        Cache capacity c per unordered node pair (orchestrated strategy only).
    requests
        Requests per Monte Carlo run (2 500 in the paper).
    t_cut
        Cached pairs older than this (seconds) are discarded; ``None``: never.
    request_interval
        Seconds between successive requests at the hub (sets the age of cached pairs).
    t_mem
        Memory coherence time (seconds) for the fidelity of cached pairs; ``None``: none.
    f0
        Fidelity of a freshly generated pair.
    k_override
        Attempts per round of the orchestrated strategy instead of ``K(N)``.
    """

    n_qpus: int
    p0: float = 0.35
    beta: float = 0.35
    kappa: float = 0.9
    rounds: int = 3
    cache: int = 1
    requests: int = 2500
    t_cut: float | None = None
    request_interval: float = 1e-3
    t_mem: float | None = None
    f0: float = 1.0
    k_override: int | None = None

    def __post_init__(self) -> None:
        if self.n_qpus < 2:
            raise ValueError(f"n_qpus must be at least 2, got {self.n_qpus}")
        if not 0 < self.p0 <= 1:
            raise ValueError(f"p0 must be in (0, 1], got {self.p0}")
        if self.beta < 0 or self.kappa <= 0:
            raise ValueError("beta must be ≥ 0 and kappa > 0")
        if self.rounds < 1 or self.cache < 0 or self.requests < 1:
            raise ValueError("rounds and requests must be ≥ 1, cache ≥ 0")
        if self.t_cut is not None and self.t_cut < 0:
            raise ValueError(f"t_cut must be ≥ 0, got {self.t_cut}")
        if self.request_interval <= 0:
            raise ValueError("request_interval must be > 0")
        if self.t_mem is not None and (self.t_mem <= 0 or self.t_cut is None):
            raise ValueError("t_mem must be > 0 and needs a cut-off t_cut")
        if self.k_override is not None and self.k_override < 1:
            raise ValueError("k_override must be ≥ 1")

    @property
    def p_eff(self) -> float:
        """Per-attempt success probability ``p0 / (1 + β log2 N)``."""
        return p_eff(self.n_qpus, self.p0, self.beta)

    @property
    def pairs(self) -> int:
        """Unordered node pairs ``N(N−1)/2``."""
        return self.n_qpus * (self.n_qpus - 1) // 2

    @property
    def max_age(self) -> int | None:
        """Largest age in requests (``t_cut / request_interval``, floored) at which a
        cached pair still serves; ``None``: no cut-off."""
        if self.t_cut is None:
            return None
        return math.floor(self.t_cut / self.request_interval + 1e-9)

    def attempts(self, strategy: str) -> int:
        """Parallel attempts per round of a strategy."""
        check_strategy(strategy)
        if strategy == "naive":
            return 1
        return self.k_override if self.k_override is not None else k_orchestrated(
            self.n_qpus, self.kappa)

    def capacity(self, strategy: str) -> int:
        """Cache capacity of a strategy (the naive one keeps no cache)."""
        check_strategy(strategy)
        return 0 if strategy == "naive" else self.cache

    def with_(self, **changes: object) -> HubModel:
        """A copy with some parameters changed."""
        return replace(self, **changes)


def check_strategy(strategy: str) -> None:
    """Raise ``ValueError`` for an unknown strategy name."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")


def p_eff(n: int, p0: float = 0.35, beta: float = 0.35) -> float:
    """Per-attempt success ``p0 / (1 + β log2 N)`` (paper 001 §VI)."""
    return p0 / (1.0 + beta * math.log2(n))


def k_orchestrated(n: int, kappa: float = 0.9) -> int:
    """Parallel attempts per round ``max(2, ⌈κ log2 N⌉)`` (paper 001 §VI)."""
    # the tolerance keeps ⌈κ log2 N⌉ from jumping up on a rounding error (κ log2 N integer)
    return max(2, math.ceil(kappa * math.log2(n) - 1e-12))


@dataclass(frozen=True)
class HubSample:
    """Per-request outcomes of one Monte Carlo run (arrays of length ``requests``).

    Attributes
    ----------
    success
        Whether the request got a Bell pair within its rounds (or from the cache).
    attempts
        Attempts it made (0 for a cache hit).
    hit
        Whether it was served from the cache.
    fidelity
        Fidelity of the pair it used (``nan`` on failure).
    """

    success: np.ndarray
    attempts: np.ndarray
    hit: np.ndarray
    fidelity: np.ndarray

    def summary(self) -> dict[str, float]:
        """Means and standard errors of the run's figures."""
        n = len(self.success)
        succ = self.success.astype(float)
        att = self.attempts.astype(float)
        out = {
            "success_rate": float(succ.mean()),
            "success_se": float(succ.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
            "attempts_per_request": float(att.mean()),
            "attempts_se": float(att.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
            "hit_rate": float(self.hit.mean()),
        }
        used = self.fidelity[self.success]
        out["mean_fidelity"] = float(used.mean()) if used.size else math.nan
        return out


def run_seeds(seed: int, n_qpus: int, strategy: str, runs: int) -> list[int]:
    """Seeds of the ``runs`` Monte Carlo runs of one point (``n_qpus``, ``strategy``):
    :func:`qdcopt.sweeps.derive_seed` of the point, then of each run, so that
    ``qdcopt simulate`` on a hub and ``qdcopt study modenhub`` with the same seed draw the
    same runs."""
    from qdcopt.sweeps.tasks import derive_seed

    point = derive_seed(seed, "modenhub", int(n_qpus), strategy)
    return [derive_seed(point, "run", k) for k in range(runs)]


def simulate_hub(model: HubModel, strategy: str, seed: int) -> HubSample:
    """One Monte Carlo run of ``model.requests`` requests under ``strategy``.

    Every random draw is made up front as arrays (request pairs, attempt successes per
    round); the cache is then resolved pair by pair in lock-step over the rank of a
    request among the requests of its pair, so the work is vectorised over pairs and the
    Python loop runs as many times as the busiest pair has requests.

    Parameters
    ----------
    model
        The point to simulate.
    strategy
        ``"naive"`` or ``"orchestrated"``.
    seed
        Seed of the run's generator (same seed, same arrays).
    """
    k = model.attempts(strategy)
    cap = model.capacity(strategy)
    n, t_total, rounds = model.n_qpus, model.requests, model.rounds
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, size=t_total)
    dst = rng.integers(0, n - 1, size=t_total)
    dst = dst + (dst >= src)  # uniform over d ≠ s
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    code = lo.astype(np.int64) * n + hi
    # successes per round of a request that makes attempts: Binomial(K, p) each round
    wins = rng.binomial(k, model.p_eff, size=(t_total, rounds))
    any_win = wins > 0
    ok = any_win.any(axis=1)
    first = np.where(ok, any_win.argmax(axis=1), rounds - 1)
    gen_attempts = k * (first + 1)
    spares = np.where(ok, np.minimum(wins[np.arange(t_total), first] - 1, cap), 0)

    pair = np.unique(code, return_inverse=True)[1]
    order = np.lexsort((np.arange(t_total), pair))  # by pair, then time
    ps = pair[order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    counts = np.diff(np.r_[starts, t_total])
    rank = np.arange(t_total) - np.repeat(starts, counts)

    n_pairs = len(starts)
    stock = np.zeros(n_pairs, dtype=np.int64)
    stored_at = np.zeros(n_pairs, dtype=np.int64)
    max_age = model.max_age
    hit = np.zeros(t_total, dtype=bool)
    age = np.zeros(t_total, dtype=np.int64)
    for r in range(int(counts.max()) if cap > 0 else 0):
        idx = order[rank == r]  # the r-th request of every pair that has one
        pid = pair[idx]
        valid = stock[pid] > 0
        if max_age is not None:
            valid &= idx - stored_at[pid] <= max_age
        hit[idx] = valid
        age[idx] = np.where(valid, idx - stored_at[pid], 0)
        stock[pid] = np.where(valid, stock[pid] - 1, spares[idx])
        stored_at[pid] = np.where(valid, stored_at[pid], idx)

    success = hit | ok
    attempts = np.where(hit, 0, gen_attempts)
    fidelity = np.full(t_total, model.f0, dtype=float)
    if model.t_mem is not None:
        decay = np.exp(-age * model.request_interval / model.t_mem)
        fidelity = np.where(hit, 0.25 + (model.f0 - 0.25) * decay, model.f0)
    fidelity = np.where(success, fidelity, np.nan)
    return HubSample(success=success, attempts=attempts, hit=hit, fidelity=fidelity)
