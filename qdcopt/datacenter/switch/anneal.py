"""Local search over switch run sequences for one-source blocks (simulated annealing).

A plan of one source is, up to the exact events used, a *run sequence*: the switch
serves pair ``p_0`` from the block's first event, then changes to ``p_1`` and serves it
from event ``s_1``, and so on; between run ``i`` and run ``i + 1`` the change leaves
``c(p_i, p_{i+1})`` dead events (F1 of ``models/switch.md``), so run ``i`` covers the
events ``[s_i, s_{i+1} − c(p_i, p_{i+1}) − 1]`` and the last run ends at the block's last
event.  Given the runs, the most requests a pair can get is a matching of its requests
to its run events; all windows of an instance have the same length ``t_max``, so the
windows of one pair are *agreeable* (ordered alike by start and end) and serving them
first-in first-out is optimal (earliest deadline first on agreeable windows).  The value
of a run sequence is therefore exact and cheap: one sweep over each pair's runs and
requests.

The search changes the sequence with seven moves — shift a run border, change a run's
pair, carve a new run out of a run (at its end or in its middle), delete a run (merging
its neighbours when they serve the same pair), delete a run and carve its pair in
elsewhere, swap two neighbouring runs — and accepts by the Metropolis rule on the
number of served requests, at a temperature falling geometrically over the time given.
The pair a move brings in and the place come from a random request (half of the time
one the sequence does not serve) and a random event of its window.  Only the pairs a
move touches are re-evaluated, but each evaluation sweeps the whole sequence, so a move
costs time in proportion to the block's length (measured rates: ``models/switch.md`` §6,
``benchmarks/bench_anneal.py --moves``).  Long blocks
are therefore searched in windows of a few hundred requests, the runs outside fixed: a
fixed run next to the window enters it as a *pinned* run of a pair without requests,
so the changes into and out of the window keep their dead events, and the window's
requests are those the fixed runs do not serve.  A window's result spliced back can
only add to the count.  The search applies where the slot model is exact for one
source and memory cannot bind (a communication-qubit limit is not part of the run
value); elsewhere the caller keeps its plan.

The result is a list of deliveries; :func:`~qdcopt.datacenter.switch.plan.
plan_from_deliveries` builds the switch timeline and the validator checks it like any
other plan.

Long module, on purpose: the compiled kernel (its seven moves and the exact evaluation
they share, on the same state arrays) and the windowed search that drives it are one
algorithm; split apart, a change to the state layout would have to be made in step in two
places that numba cannot check against each other.
"""

from __future__ import annotations

import dataclasses
import time

import numba
import numpy as np

from qdcopt.datacenter.events import window_events
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.switch.data import BlockData, SwitchCosts
from qdcopt.runs import interrupt

REFRESH = 500
"""Moves between two refreshes of the served flags that guide the moves."""

CHUNK_ITERATIONS = 20_000
"""Moves per call of the compiled loop (the clock is read between calls)."""

DEAD_WEIGHT = 0.0
"""Weight of a dead event in the search's score, against one served request."""

CYCLES = 1
"""Cooling cycles of one search."""

EMPTY_RUN = -(1 << 40)
"""Value of a pair with a run that serves nothing, by the paper's rule (the change into
and out of such a run would be a transit move): no move is accepted into it."""

_NOT_SAVED = -(1 << 62)

WINDOW_FROM = 3_000
"""Blocks with more requests than this are searched window by window."""

WINDOW_REQUESTS = 200
"""Requests (about) of one window of a long block (the size that served most among
those measured: ``models/switch.md`` §6)."""

WINDOW_PASSES = 3
"""Sweeps over a long block's windows on a move budget (on the clock: while there is
time); the budget is shared equally among them."""

TEMP_FROM = 0.5
TEMP_TO = 0.02
"""Temperature (in requests) at the start and at the end of a run: a move losing one
request is accepted with probability e^(−2) ≈ 0.14 at first and practically never at
the end."""


def block_windows(instance: DatacenterInstance, block: BlockData
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Event windows of a one-source block's requests, grouped by pair.

    Returns
    -------
    (order, offset, lo, hi)
        ``order``: the block's request positions grouped by pair (pair ``p``'s from
        ``offset[p]`` to ``offset[p + 1]``), each pair's in window order; ``lo``, ``hi``:
        first and last usable event index of each, in that order.
    """
    src = instance.sources[0]
    req = instance.requests
    members = block.requests
    pair_index = {(int(a), int(b)): p for p, (a, b) in enumerate(block.pairs.tolist())}
    pair = np.array([pair_index[(int(a), int(b))]
                     for a, b in zip(req.a[members], req.b[members], strict=True)],
                    dtype=np.int64)
    # a block holds servable requests only, so every window has an event (lo <= hi)
    lo, hi = window_events(req.t_need[members], instance.t_max, src.start, src.period)
    order = np.lexsort((hi, lo, pair))
    offset = np.r_[0, np.cumsum(np.bincount(pair, minlength=len(block.pairs)))]
    return (members[order].astype(np.int64), offset.astype(np.int64),
            lo[order].astype(np.int64), hi[order].astype(np.int64))


def dead_matrix(block: BlockData, cost: SwitchCosts) -> np.ndarray:
    """Dead events of a change between every two pairs of the block."""
    pairs = [tuple(p) for p in block.pairs.tolist()]
    return np.array([[cost.dead(p, q) for q in pairs] for p in pairs], dtype=np.int64)


def runs_from_deliveries(deliveries: list[tuple[int, int, int]], pair_of: dict[int, int],
                         first: int) -> tuple[np.ndarray, np.ndarray]:
    """The run sequence of a valid plan's deliveries ``(request, source, event)``.

    Each maximal stretch of consecutive deliveries to one pair is a run starting at its
    first delivery; the first run is extended back to the block's ``first`` event.
    """
    evs = sorted((k, pair_of[r]) for r, _s, k in deliveries)
    starts: list[int] = []
    pairs: list[int] = []
    for k, p in evs:
        if not pairs or pairs[-1] != p:
            starts.append(int(k))
            pairs.append(int(p))
    if starts:
        starts[0] = min(starts[0], first)
    return np.array(starts, dtype=np.int64), np.array(pairs, dtype=np.int64)


@numba.njit(cache=True)
def _run_end(s, pr, n_runs, i, dead, last):  # pragma: no cover - compiled
    if i == n_runs - 1:
        return last
    return s[i + 1] - dead[pr[i], pr[i + 1]] - 1


@numba.njit(cache=True, inline="always")  # in the hot loop: no call overhead
def _serve_run(t, b, ptr, end, lo, hi, event_of):  # pragma: no cover - compiled
    """Serve the events ``t..b`` of one run first-in first-out from the pair's request
    ``ptr`` on (``end``: past its last); with a non-empty ``event_of``, record each
    served request's event there.  Returns (next request, requests served)."""
    count = 0
    while t <= b and ptr < end:
        if hi[ptr] < t:
            ptr += 1
        elif lo[ptr] > t:
            t = lo[ptr]
        else:
            if len(event_of):
                event_of[ptr] = t
            count += 1
            ptr += 1
            t += 1
    return ptr, count


@numba.njit(cache=True)
def _pair_value(p, s, pr, n_runs, dead, last, offset, lo, hi, no_record,
                strict_below=0):  # pragma: no cover - compiled
    """Requests of pair ``p`` served first-in first-out in its runs; :data:`EMPTY_RUN`
    when ``p < strict_below`` and one of its runs serves nothing (the paper's rule
    counts a change between deliveries, so a run must deliver to stand between two)."""
    ptr = offset[p]
    total = 0
    for i in range(n_runs):
        if pr[i] == p:
            ptr, count = _serve_run(s[i], _run_end(s, pr, n_runs, i, dead, last), ptr,
                                    offset[p + 1], lo, hi, no_record)
            if count == 0 and p < strict_below:
                return EMPTY_RUN
            total += count
    return total


@numba.njit(cache=True)
def _pair_values(s, pr, n_runs, dead, last, offset, lo, hi,
                 strict_below=0):  # pragma: no cover - compiled
    """Requests served per pair (see :func:`_pair_value`)."""
    values = np.zeros(len(offset) - 1, dtype=np.int64)
    no_record = np.empty(0, dtype=np.int64)
    for p in range(len(values)):
        values[p] = _pair_value(p, s, pr, n_runs, dead, last, offset, lo, hi, no_record,
                                strict_below)
    return values


@numba.njit(cache=True)
def _mark_events(s, pr, n_runs, dead, last, offset, lo, hi, event_of):  # pragma: no cover
    """The event serving each request under a run sequence (−1: not served)."""
    event_of[:] = -1
    ptrs = offset[:-1].copy()  # per pair, its first request not yet served nor expired
    for i in range(n_runs):
        p = pr[i]
        ptrs[p], _ = _serve_run(s[i], _run_end(s, pr, n_runs, i, dead, last), ptrs[p],
                                offset[p + 1], lo, hi, event_of)


@numba.njit(cache=True)
def _valid_around(s, pr, n_runs, i0, i1, dead, last):  # pragma: no cover - compiled
    """Runs ``i0..i1`` (clipped) have at least one event and no two neighbours share a
    pair."""
    a = max(0, i0)
    b = min(n_runs - 1, i1)
    for i in range(a, b + 1):
        if _run_end(s, pr, n_runs, i, dead, last) < s[i]:
            return False
        if i + 1 < n_runs and pr[i] == pr[i + 1]:
            return False
    return True


@numba.njit(cache=True)
def _insert(s, pr, n_runs, i, start, pair):  # pragma: no cover - compiled
    for k in range(n_runs, i, -1):
        s[k] = s[k - 1]
        pr[k] = pr[k - 1]
    s[i] = start
    pr[i] = pair
    return n_runs + 1


@numba.njit(cache=True)
def _delete(s, pr, n_runs, i):  # pragma: no cover - compiled
    for k in range(i, n_runs - 1):
        s[k] = s[k + 1]
        pr[k] = pr[k + 1]
    return n_runs - 1


@numba.njit(cache=True)
def _carve(s, pr, n_runs, i, q, start, middle, length, dead, last):  # pragma: no cover
    """Carve a run of ``q`` out of run ``i`` from event ``start``: to the end of run
    ``i`` or, with ``middle``, for ``length`` events and back to run ``i``'s pair."""
    p = pr[i]
    if middle:
        back = start + length + dead[q, p]
        n_runs = _insert(s, pr, n_runs, i + 1, start, q)
        n_runs = _insert(s, pr, n_runs, i + 2, back, p)
        return n_runs, _valid_around(s, pr, n_runs, i, i + 3, dead, last)
    n_runs = _insert(s, pr, n_runs, i + 1, start, q)
    return n_runs, _valid_around(s, pr, n_runs, i, i + 2, dead, last)


@numba.njit(cache=True)
def _remove(s, pr, n_runs, i, dead, last):  # pragma: no cover - compiled
    """Delete run ``i``; its neighbours take its events (and merge if they serve the
    same pair)."""
    if i == 0:
        s_keep = s[0]
        n_runs = _delete(s, pr, n_runs, 0)
        s[0] = s_keep
    elif i + 1 < n_runs and pr[i - 1] == pr[i + 1]:
        n_runs = _delete(s, pr, n_runs, i)
        n_runs = _delete(s, pr, n_runs, i)
    else:
        n_runs = _delete(s, pr, n_runs, i)
    return n_runs, _valid_around(s, pr, n_runs, i - 1, i, dead, last)


@numba.njit(cache=True)
def _dead_total(pr, n_runs, dead):  # pragma: no cover - compiled
    total = 0
    for i in range(n_runs - 1):
        total += dead[pr[i], pr[i + 1]]
    return total


@numba.njit(cache=True)
def anneal_kernel(s, pr, n_runs, value, best_s, best_pr, best_n, best_value, dead, last,
                  offset, lo, hi, iterations, temp_from, temp_to, seed, max_step,
                  dead_weight, n_real, strict_below=0):  # pragma: no cover - compiled
    """Run ``iterations`` moves from the current sequence ``(s, pr, n_runs)``.

    Pairs from ``n_real`` on are *pinned* runs standing for fixed runs outside a window
    of the sequence (see :func:`_window_problem`): no move deletes them, changes their
    pair or swaps them, and none carves into the last one (pair ``n_real + 1``), so
    they keep their places at both ends.

    The score is served requests − ``dead_weight`` × dead events (a small weight makes
    the search prefer, among equal counts, sequences with room to spare).  ``value``
    holds the served requests per pair of the current sequence and is updated in
    place, as are the current and the best sequences (best by served requests, then
    fewer dead events).  With ``strict_below`` (the paper's rule), a pair below it with
    a run that serves nothing is worth :data:`EMPTY_RUN`, so no such sequence is
    accepted.  Returns ``(n_runs, best_n, best_value)``.
    """
    np.random.seed(seed)
    n_pairs = len(offset) - 1
    n_req = len(lo)
    req_pair = np.empty(n_req, dtype=np.int64)
    for p in range(n_pairs):
        req_pair[offset[p]:offset[p + 1]] = p
    cap = len(s)
    total = 0
    for p in range(n_pairs):
        total += value[p]
    dead_now = _dead_total(pr, n_runs, dead)
    best_dead = _dead_total(best_pr, best_n, dead)
    event_of = np.empty(n_req, dtype=np.int64)
    no_record = np.empty(0, dtype=np.int64)
    touched = np.empty(8, dtype=np.int64)
    saved = np.empty(8, dtype=np.int64)
    save_s = np.empty(cap, dtype=np.int64)
    save_pr = np.empty(cap, dtype=np.int64)
    ratio = temp_to / temp_from
    for it in range(iterations):
        temp = temp_from * ratio ** (it / max(1, iterations - 1))
        move = np.random.randint(0, 7)
        i = np.random.randint(0, n_runs)
        # moves that bring in a pair take it from a random request and act on the run at
        # a random event of its window: pairs and times where there is demand
        if it % REFRESH == 0:
            _mark_events(s, pr, n_runs, dead, last, offset, lo, hi, event_of)
        r = np.random.randint(0, n_req)
        if np.random.randint(0, 2) == 0:
            # half of the time, aim at a request the sequence does not serve (flags
            # refreshed every REFRESH moves: a guide, not part of the score)
            for _ in range(64):
                if event_of[r] < 0:
                    break
                r = np.random.randint(0, n_req)
        q = req_pair[r]
        t_r = lo[r] + np.random.randint(0, hi[r] - lo[r] + 1)
        if move >= 1 and move <= 3:
            i = max(0, np.searchsorted(s[:n_runs], t_r, side="right") - 1)
        if n_runs + 2 > cap and move in (2, 3, 5):
            continue
        # keep a copy of what a move may rewrite (inserts and deletes shift the tail)
        lo_i = 0 if move == 5 else max(0, i - 2)
        old_n = n_runs
        for k in range(lo_i, n_runs):
            save_s[k] = s[k]
            save_pr[k] = pr[k]
        n_t = 0
        ok = True
        if pr[i] >= n_real and move != 0 and not (move == 2 and pr[i] == n_real):
            continue  # a pinned run: only its border moves, and the first one's end
            # can be carved (the last one, pair n_real + 1, must stay last)
        if move == 6 and i + 1 < n_runs and pr[i + 1] >= n_real:
            continue
        if move == 0:  # shift the border between runs i − 1 and i
            if i == 0:
                continue
            step = np.random.randint(1, max_step + 1)
            if np.random.randint(0, 2) == 0:
                step = -step
            s[i] += step
            touched[0] = pr[i - 1]
            touched[1] = pr[i]
            n_t = 2
            ok = _valid_around(s, pr, n_runs, i - 1, i, dead, last)
        elif move == 1:  # another pair for run i
            if q == pr[i]:
                continue
            touched[0] = pr[i]
            touched[1] = q
            n_t = 2
            if i > 0:
                touched[n_t] = pr[i - 1]
                n_t += 1
            pr[i] = q
            ok = _valid_around(s, pr, n_runs, i - 1, i + 1, dead, last)
        elif move == 2 or move == 3:  # a new run of q carved out of run i at t_r
            b = _run_end(s, pr, n_runs, i, dead, last)
            if q == pr[i] or t_r <= s[i] or t_r > b:
                continue
            touched[0] = pr[i]
            touched[1] = q
            n_t = 2
            length = 1 + np.random.randint(0, 4 * max_step)
            n_runs, ok = _carve(s, pr, n_runs, i, q, t_r, move == 3, length, dead, last)
        elif move == 4 or move == 5:  # delete run i (5: and carve its pair in elsewhere)
            if n_runs == 1:
                continue
            p = pr[i]
            touched[0] = p
            n_t = 1
            if i > 0:
                touched[n_t] = pr[i - 1]
                n_t += 1
            if i + 1 < n_runs:
                touched[n_t] = pr[i + 1]
                n_t += 1
            n_runs, ok = _remove(s, pr, n_runs, i, dead, last)
            n_p = offset[p + 1] - offset[p]
            if ok and move == 5 and n_p == 0:
                ok = False  # in a window, a pair may have no request left to aim at
            if ok and move == 5:
                r = offset[p] + np.random.randint(0, n_p)
                t_r = lo[r] + np.random.randint(0, hi[r] - lo[r] + 1)
                j = max(0, np.searchsorted(s[:n_runs], t_r, side="right") - 1)
                b = _run_end(s, pr, n_runs, j, dead, last)
                if pr[j] == p or t_r <= s[j] or t_r > b or pr[j] > n_real:
                    ok = False
                else:
                    touched[n_t] = pr[j]
                    n_t += 1
                    length = 1 + np.random.randint(0, 4 * max_step)
                    middle = np.random.randint(0, 2) == 1 and pr[j] < n_real
                    n_runs, ok = _carve(s, pr, n_runs, j, p, t_r, middle, length, dead, last)
        else:  # swap the pairs of runs i and i + 1, the border moving by their lengths
            if i + 1 >= n_runs:
                continue
            len_b = _run_end(s, pr, n_runs, i + 1, dead, last) - s[i + 1] + 1
            touched[0] = pr[i]
            touched[1] = pr[i + 1]
            n_t = 2
            if i > 0:
                touched[n_t] = pr[i - 1]
                n_t += 1
            pa = pr[i]
            pr[i] = pr[i + 1]
            pr[i + 1] = pa
            s[i + 1] = s[i] + len_b + dead[pr[i], pr[i + 1]]
            ok = _valid_around(s, pr, n_runs, i - 1, i + 2, dead, last)
        delta = 0
        d_dead = 0
        if ok:
            for k in range(n_t):
                p = touched[k]
                seen = False
                for m in range(k):
                    if touched[m] == p:
                        seen = True
                if seen:
                    saved[k] = _NOT_SAVED
                    continue
                v = _pair_value(p, s, pr, n_runs, dead, last, offset, lo, hi, no_record,
                                strict_below)
                saved[k] = value[p]
                delta += v - value[p]
                value[p] = v
            if dead_weight > 0:
                d_dead = _dead_total(pr, n_runs, dead) - dead_now
            score = delta - dead_weight * d_dead
            accept = score >= 0 or np.random.random() < np.exp(score / temp)
        else:
            accept = False
        if accept:
            total += delta
            dead_now += d_dead
            if total > best_value or (total == best_value and dead_weight > 0
                                      and dead_now < best_dead):
                best_value = total
                best_dead = dead_now
                for k in range(n_runs):
                    best_s[k] = s[k]
                    best_pr[k] = pr[k]
                best_n = n_runs
            continue
        # undo: restore the saved tail and the pair values
        n_runs = old_n
        for k in range(lo_i, n_runs):
            s[k] = save_s[k]
            pr[k] = save_pr[k]
        if ok:
            for k in range(n_t):
                if saved[k] != _NOT_SAVED:
                    value[touched[k]] = saved[k]
    return n_runs, best_n, best_value


def _assign(s, pr, n_runs, dead, last, offset, lo, hi, order):
    """Deliveries (request positions, events) of a run sequence, pair by pair in window
    order."""
    event_of = np.empty(len(order), dtype=np.int64)
    _mark_events(s, pr, n_runs, dead, last, offset, lo, hi, event_of)
    served = event_of >= 0
    return order[served], event_of[served]


def evaluate_runs(instance: DatacenterInstance, block: BlockData, cost: SwitchCosts,
                  starts: np.ndarray, pairs: np.ndarray) -> list[tuple[int, int, int]]:
    """Deliveries ``(request position, 0, event index)`` of a run sequence of a one-source
    block: run ``i`` serves block pair ``pairs[i]`` from event ``starts[i]`` until the dead
    events before run ``i + 1`` (the last run until the block's last event), each pair's
    requests first-in first-out.

    Parameters
    ----------
    starts, pairs
        The runs, ``starts[0]`` the first run's first event; neighbours serve different
        pairs and every run has at least one event.
    """
    order, offset, lo, hi = block_windows(instance, block)
    dead = dead_matrix(block, cost)
    last = int(hi.max()) if len(hi) else 0
    s = np.asarray(starts, dtype=np.int64)
    pr = np.asarray(pairs, dtype=np.int64)
    if not _valid_around(s, pr, len(s), 0, len(s) - 1, dead, last):
        raise ValueError("runs must be non-empty and neighbours must serve different pairs")
    out_r, out_k = _assign(s, pr, len(s), dead, last, offset, lo, hi, order)
    return [(int(r), 0, int(k)) for r, k in zip(out_r.tolist(), out_k.tolist(), strict=True)]


@dataclasses.dataclass(frozen=True)
class _Schedule:
    """How one search cools: temperatures, border steps, score and cycles."""

    temp_from: float
    temp_to: float
    max_step: int
    dead_weight: float
    cycles: int


def _search(s0: np.ndarray, p0: np.ndarray, dead: np.ndarray, last: int,
            offset: np.ndarray, lo: np.ndarray, hi: np.ndarray, goal: int,
            time_limit: float | None, moves: int | None, seed: int, schedule: _Schedule,
            n_real: int, strict: bool = False) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Anneal the run sequence ``(s0, p0)`` on the clock or on a move budget.

    Returns the best sequence found (starts, pairs), the requests it serves and the
    requests ``(s0, p0)`` served (with ``strict``, the paper's rule: a sequence with a
    run of a real pair serving nothing is worth less than any without).
    """
    strict_below = n_real if strict else 0
    started = time.perf_counter()
    cap = max(64, 4 * len(lo) + 2 * len(s0) + 8)
    s = np.zeros(cap, dtype=np.int64)
    pr = np.zeros(cap, dtype=np.int64)
    s[:len(s0)] = s0
    pr[:len(p0)] = p0
    n_runs = len(s0)
    value = _pair_values(s, pr, n_runs, dead, last, offset, lo, hi, strict_below)
    best_s, best_pr = s.copy(), pr.copy()
    best_n, best_value = n_runs, int(value.sum())
    start_value = best_value
    temp_from, temp_to, cycles = schedule.temp_from, schedule.temp_to, schedule.cycles
    # moves alone: the schedule follows the moves (reproducible); with a time limit it
    # follows the clock, over the time limit or the time the moves take if shorter
    n_rounds = None
    if moves is not None and time_limit is None:
        n_rounds = max(1, -(-int(moves) // CHUNK_ITERATIONS))
    horizon = time_limit
    rounds = 0
    speed = 1.0
    current_cycle = 0
    # without requests there is nothing to aim a move at (by the paper's rule a window
    # without requests may still start below its goal: its empty runs count EMPTY_RUN)
    while best_value < goal and len(lo) > 0 and not interrupt.requested():
        elapsed = time.perf_counter() - started
        if time_limit is not None and elapsed >= time_limit:
            break
        if n_rounds is not None and rounds >= n_rounds:
            break
        # the temperature falls geometrically over the moves (or the clock): each call
        # covers the next slice of the schedule
        chunk = CHUNK_ITERATIONS
        if n_rounds is not None:
            chunk = min(CHUNK_ITERATIONS, max(1, int(moves)))
            f0, f1 = rounds / n_rounds, (rounds + 1) / n_rounds
        else:
            # on the clock: a small first call measures the speed, later calls take
            # about a tenth of a second (or what is left), so short budgets are kept
            if rounds == 1 and moves is not None:
                horizon = min(time_limit, moves / speed)
            if elapsed >= horizon:
                break
            left = horizon - elapsed
            chunk = 1_000 if rounds == 0 else int(min(CHUNK_ITERATIONS, max(
                1_000, speed * min(0.1, left))))
            f0 = elapsed / horizon
            f1 = min(1.0, f0 + chunk / max(1.0, speed * horizon)) if rounds else f0
        # several cycles: each starts hot again from the best sequence so far
        cycle = min(cycles - 1, int(f0 * cycles))
        if cycle > current_cycle:
            current_cycle = cycle
            n_runs = best_n
            s[:n_runs] = best_s[:n_runs]
            pr[:n_runs] = best_pr[:n_runs]
            value = _pair_values(s, pr, n_runs, dead, last, offset, lo, hi, strict_below)
        f0 = min(1.0, f0 * cycles - cycle)
        f1 = min(1.0, f1 * cycles - cycle)
        t0 = temp_from * (temp_to / temp_from) ** f0
        t1 = temp_from * (temp_to / temp_from) ** f1
        tc = time.perf_counter()
        n_runs, best_n, best_value = anneal_kernel(
            s, pr, n_runs, value, best_s, best_pr, best_n, best_value, dead, last, offset,
            lo, hi, chunk, t0, t1, seed * 1_000_003 + rounds, schedule.max_step,
            schedule.dead_weight, n_real, strict_below)
        speed = chunk / max(1e-6, time.perf_counter() - tc)
        rounds += 1
    return best_s[:best_n].copy(), best_pr[:best_n].copy(), int(best_value), start_value


@dataclasses.dataclass(frozen=True)
class _Window:
    """The search problem of the runs ``i1..i2`` of a sequence, the rest fixed.

    A fixed run just before (after) the window enters as a *pinned* run of a pair
    without requests, ``n_pairs`` (``n_pairs + 1``), starting at the fixed run's last
    (first) event, so that the changes into and out of the window keep their dead
    events.  The requests are those the fixed runs do not serve whose windows meet
    the window's events, clipped to them (clipping keeps the windows of a pair
    agreeable, so first-in first-out stays optimal).
    """

    s: np.ndarray
    pr: np.ndarray
    dead: np.ndarray
    last: int
    offset: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    pinned_left: bool
    pinned_right: bool


def _window_problem(s: np.ndarray, pr: np.ndarray, i1: int, i2: int, dead: np.ndarray,
                    last: int, offset: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                    event_of: np.ndarray) -> _Window:
    """The search problem of the runs ``i1..i2`` of ``(s, pr)`` (see :class:`_Window`)."""
    n_runs = len(s)
    n_pairs = len(offset) - 1
    left, right = i1 > 0, i2 < n_runs - 1
    a = int(s[i1]) - int(dead[pr[i1 - 1], pr[i1]]) if left else int(s[0])
    b = int(s[i2 + 1]) - 1 if right else last
    keep = ((event_of < 0) | ((event_of >= a) & (event_of <= b))) & (lo <= b) & (hi >= a)
    pair_of_req = np.repeat(np.arange(n_pairs), np.diff(offset))
    counts = np.bincount(pair_of_req[keep], minlength=n_pairs)
    sub_offset = np.r_[0, np.cumsum(counts), counts.sum(), counts.sum()].astype(np.int64)
    big = np.zeros((n_pairs + 2, n_pairs + 2), dtype=np.int64)
    big[:n_pairs, :n_pairs] = dead
    p_left = pr[i1 - 1] if left else 0
    p_right = pr[i2 + 1] if right else 0
    big[n_pairs, :n_pairs] = dead[p_left]
    big[:n_pairs, n_pairs + 1] = dead[:, p_right]
    big[n_pairs, n_pairs + 1] = dead[p_left, p_right]
    starts = [s[i1:i2 + 1]]
    pairs = [pr[i1:i2 + 1]]
    if left:
        starts.insert(0, np.array([a - 1]))
        pairs.insert(0, np.array([n_pairs]))
    if right:
        starts.append(np.array([b + 1]))
        pairs.append(np.array([n_pairs + 1]))
    return _Window(np.concatenate(starts).astype(np.int64),
                   np.concatenate(pairs).astype(np.int64), big, b + 1 if right else last,
                   sub_offset, np.maximum(lo[keep], a).astype(np.int64),
                   np.minimum(hi[keep], b).astype(np.int64), left, right)


def _splice(s: np.ndarray, pr: np.ndarray, i1: int, i2: int, win: _Window,
            ws: np.ndarray, wp: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Put the window's new runs ``(ws, wp)`` in place of runs ``i1..i2``; neighbours
    left with the same pair merge.  Returns the sequence and the number of runs that
    now stand where the window was."""
    inner_s = ws[1 if win.pinned_left else 0:len(ws) - (1 if win.pinned_right else 0)]
    inner_p = wp[1 if win.pinned_left else 0:len(wp) - (1 if win.pinned_right else 0)]
    new_s = np.concatenate([s[:i1], inner_s, s[i2 + 1:]])
    new_p = np.concatenate([pr[:i1], inner_p, pr[i2 + 1:]])
    # a run that follows one of its own pair continues it: the earlier start stays
    keep = np.ones(len(new_s), dtype=bool)
    prev = i1 - 1
    for k in range(i1, min(len(new_s), i1 + len(inner_s) + 1)):
        if prev >= 0 and new_p[k] == new_p[prev]:
            keep[k] = False
        else:
            prev = k
    n_inner = int(keep[i1:i1 + len(inner_s)].sum())
    return new_s[keep], new_p[keep], n_inner


def _search_windows(s0: np.ndarray, p0: np.ndarray, dead: np.ndarray, last: int,
                    offset: np.ndarray, lo: np.ndarray, hi: np.ndarray, goal: int,
                    time_limit: float | None, moves: int | None, seed: int,
                    schedule: _Schedule, window: int, strict: bool = False,
                    ) -> tuple[np.ndarray, np.ndarray, int]:
    """Anneal a long sequence window by window, the rest of it fixed.

    A move's cost grows with the sequence's length, so a long block is searched in
    windows of about ``window`` requests, swept :data:`WINDOW_PASSES`
    times (on the clock: as long as there is time), every other pass shifted by half a
    window.  Each window's search keeps the fixed runs' deliveries and can only add to
    the count.
    """
    started = time.perf_counter()
    n_pairs = len(offset) - 1
    s, pr = s0.copy(), p0.copy()
    # the first-in first-out deliveries of the current sequence; they change only when
    # a window's result is spliced in
    event_of = np.empty(len(lo), dtype=np.int64)
    _mark_events(s, pr, len(s), dead, last, offset, lo, hi, event_of)
    value = int((event_of >= 0).sum())
    width = max(4, round(len(s) * window / max(1, len(lo))))
    per_pass = max(1, -(-len(s) // width))
    per_window_moves = None
    per_window_time = None
    if moves is not None and time_limit is None:
        per_window_moves = max(1_000, int(moves) // (WINDOW_PASSES * per_pass))
    else:
        per_window_time = time_limit / (WINDOW_PASSES * per_pass)
        if moves is not None:
            per_window_moves = max(1_000, int(moves) // (WINDOW_PASSES * per_pass))
    n_window = 0
    sweep = 0
    while value < goal and not interrupt.requested():
        if per_window_time is None and sweep >= WINDOW_PASSES:
            break
        if time_limit is not None and time.perf_counter() - started >= time_limit:
            break
        i1 = (width // 2) * (sweep % 2)
        while i1 < len(s) and value < goal and not interrupt.requested():
            if time_limit is not None and time.perf_counter() - started >= time_limit:
                break
            i2 = min(len(s) - 1, i1 + width - 1)
            win = _window_problem(s, pr, i1, i2, dead, last, offset, lo, hi, event_of)
            budget = per_window_time
            if budget is not None and time_limit is not None:
                budget = min(budget, max(0.0, time_limit - (time.perf_counter() - started)))
            ws, wp, found, before = _search(win.s, win.pr, win.dead, win.last, win.offset,
                                            win.lo, win.hi, len(win.lo), budget,
                                            per_window_moves, seed * 7_919 + n_window,
                                            schedule, n_pairs, strict)
            if strict:  # the window's start as a count (it may hold runs serving nothing)
                before = int(_pair_values(win.s, win.pr, len(win.s), win.dead, win.last,
                                          win.offset, win.lo, win.hi).sum())
            n_window += 1
            step = i2 - i1 + 1
            if found > before:
                s, pr, step = _splice(s, pr, i1, i2, win, ws, wp)
                _mark_events(s, pr, len(s), dead, last, offset, lo, hi, event_of)
                new_value = int((event_of >= 0).sum())
                # the fixed runs keep their deliveries, so the whole gains at least what
                # the window gained
                if new_value < value + found - before:
                    raise RuntimeError("run search window lost requests: "
                                       f"{new_value} served, {value + found - before} due")
                value = new_value
            i1 += max(1, step)
        sweep += 1
    return s, pr, value


def drop_empty_runs(s: np.ndarray, pr: np.ndarray, dead: np.ndarray, last: int,
                    offset: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The run sequence without runs that serve nothing (first-in first-out).

    By the paper's rule the time between two deliveries is that of the net change, so a
    run without a delivery cannot stand between two runs; removing it gives its events
    to its neighbours (merged when they serve the same pair), and a neighbour left
    without events goes too, until every run serves.
    """
    s, pr = [int(v) for v in s], [int(v) for v in pr]
    event_of = np.empty(len(lo), dtype=np.int64)
    while len(s) > 1:
        sa, pa = np.array(s, dtype=np.int64), np.array(pr, dtype=np.int64)
        _mark_events(sa, pa, len(s), dead, last, offset, lo, hi, event_of)
        run = np.searchsorted(sa, event_of[event_of >= 0], side="right") - 1
        served = np.bincount(run, minlength=len(s))
        ends = [_run_end(sa, pa, len(s), i, dead, last) for i in range(len(s))]
        bad = [i for i in range(len(s)) if served[i] == 0 or ends[i] < s[i]]
        if not bad:
            break
        i = bad[0]
        if i == 0:
            first = s[0]
            del s[0], pr[0]
            s[0] = first
        elif i + 1 < len(s) and pr[i - 1] == pr[i + 1]:
            del s[i:i + 2], pr[i:i + 2]
        else:
            del s[i], pr[i]
    return np.array(s, dtype=np.int64), np.array(pr, dtype=np.int64)


def anneal_block(instance: DatacenterInstance, block: BlockData, cost: SwitchCosts,
                 deliveries: list[tuple[int, int, int]], time_limit: float | None, *,
                 moves: int | None = None, seed: int = 0, target: int | None = None,
                 temp_from: float = TEMP_FROM, temp_to: float = TEMP_TO, max_step: int = 6,
                 dead_weight: float = DEAD_WEIGHT, cycles: int = CYCLES,
                 window: int | None = None) -> list[tuple[int, int, int]]:
    """Improve a one-source block's deliveries by annealing its run sequence.

    Parameters
    ----------
    instance
        The instance (one source; memory must not bind in the block).
    block
        The block.
    cost
        The source's switching costs: subadditive, or by the paper's rule (``walks``),
        where every run must serve, so that the run value is exact.
    deliveries
        A valid plan's deliveries ``(request position, 0, event index)`` in the block.
    time_limit
        Seconds (``None``: no limit; then ``moves`` must be given).
    moves
        Number of moves.  Without a time limit the temperature follows the moves made
        and the result depends only on the seed; with one it follows the clock, over
        the time limit or the time these moves take, whichever is shorter.
    seed
        Seed of the moves.
    target
        Stop when this many requests are served (a proven bound).
    temp_from, temp_to
        Temperature at the start and at the end (in requests).
    max_step
        Largest shift of a run border in one move (events).
    dead_weight
        Weight of a dead event against a served request in the score (0: count only).
    cycles
        Cooling cycles; each restarts hot from the best sequence found so far.
    window
        Search windows of about this many requests, the rest of the sequence fixed
        (0: the whole block at once; ``None``: :data:`WINDOW_REQUESTS` for blocks of
        more than :data:`WINDOW_FROM` requests, else the whole block).

    Returns
    -------
    list
        The best deliveries found, at least as many as ``deliveries``.
    """
    started = time.perf_counter()
    order, offset, lo, hi = block_windows(instance, block)
    if len(order) == 0:
        return list(deliveries)
    if moves is None and time_limit is None:
        raise ValueError("anneal_block needs a time limit or a number of moves")
    dead = dead_matrix(block, cost)
    first, last = int(lo.min()), int(hi.max())
    pair_of = {int(r): int(p) for p in range(len(offset) - 1)
               for r in order[offset[p]:offset[p + 1]].tolist()}
    s0, p0 = runs_from_deliveries(deliveries, pair_of, first)
    if len(s0) == 0:
        counts = np.diff(offset)
        s0 = np.array([first], dtype=np.int64)
        p0 = np.array([int(np.argmax(counts))], dtype=np.int64)
    goal = len(order) if target is None else min(int(target), len(order))
    schedule = _Schedule(temp_from, temp_to, max_step, dead_weight, cycles)
    if time_limit is not None:  # the preparation counts against the limit
        time_limit = max(0.0, time_limit - (time.perf_counter() - started))
    if window is None:
        window = WINDOW_REQUESTS if len(order) > WINDOW_FROM else 0
    if window < 0:
        raise ValueError(f"window must be a number of requests (0: none), got {window}")
    if window:
        best_s, best_pr, best_value = _search_windows(
            s0, p0, dead, last, offset, lo, hi, goal, time_limit, moves, seed, schedule,
            window, cost.walks)
    else:
        best_s, best_pr, best_value, _ = _search(
            s0, p0, dead, last, offset, lo, hi, goal, time_limit, moves, seed, schedule,
            len(offset) - 1, cost.walks)
    if cost.walks:
        # the paper's rule: a run serving nothing would be a transit move; runs left
        # empty (by the start, or outside the windows searched) are removed
        best_s, best_pr = drop_empty_runs(best_s, best_pr, dead, last, offset, lo, hi)
        best_value = int(_pair_values(best_s, best_pr, len(best_s), dead, last, offset, lo,
                                      hi).sum())
    best_n = len(best_s)
    # the start's runs serve at least its deliveries (first-in first-out is optimal)
    if best_value <= len(deliveries):
        return list(deliveries)
    out_r, out_k = _assign(best_s, best_pr, best_n, dead, last, offset, lo, hi, order)
    if len(out_r) != best_value:  # the incremental values must match a fresh evaluation
        raise RuntimeError(f"run search lost track: {len(out_r)} served, {best_value} counted")
    return [(int(r), 0, int(k)) for r, k in zip(out_r.tolist(), out_k.tolist(), strict=True)]
