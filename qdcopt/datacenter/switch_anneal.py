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
costs time in proportion to the block's length (about 5·10⁵ moves per second at 1 000
requests, 8·10³ at 100 000, `bench_anneal.py --moves`).  It applies where the slot model is
exact for one source and memory cannot bind (a communication-qubit limit is not part
of the run value); elsewhere the caller keeps its plan.

The result is a list of deliveries; :func:`~qdcopt.datacenter.switch_plan.
plan_from_deliveries` builds the switch timeline and the validator checks it like any
other plan.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.switch_data import BlockData, SwitchCosts

REFRESH = 500
"""Moves between two refreshes of the served flags that guide the moves."""

CHUNK_ITERATIONS = 20_000
"""Moves per call of the compiled loop (the clock is read between calls)."""

DEAD_WEIGHT = 0.0
"""Weight of a dead event in the search's score, against one served request."""

CYCLES = 1
"""Cooling cycles of one search."""

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
    t_hi = req.t_need[members]
    t_lo = t_hi - instance.t_max
    lo = np.where(t_lo <= src.start, 0, -((src.start - t_lo) // src.period))
    hi = (t_hi - src.start) // src.period
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
def _pair_value(p, s, pr, n_runs, dead, last, offset, lo, hi, no_record):  # pragma: no cover
    """Requests of pair ``p`` served first-in first-out in its runs."""
    ptr = offset[p]
    total = 0
    for i in range(n_runs):
        if pr[i] == p:
            ptr, count = _serve_run(s[i], _run_end(s, pr, n_runs, i, dead, last), ptr,
                                    offset[p + 1], lo, hi, no_record)
            total += count
    return total


@numba.njit(cache=True)
def _pair_values(s, pr, n_runs, dead, last, offset, lo, hi):  # pragma: no cover - compiled
    """Requests served per pair."""
    values = np.zeros(len(offset) - 1, dtype=np.int64)
    no_record = np.empty(0, dtype=np.int64)
    for p in range(len(values)):
        values[p] = _pair_value(p, s, pr, n_runs, dead, last, offset, lo, hi, no_record)
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
                  dead_weight):  # pragma: no cover - compiled
    """Run ``iterations`` moves from the current sequence ``(s, pr, n_runs)``.

    The score is served requests − ``dead_weight`` × dead events (a small weight makes
    the search prefer, among equal counts, sequences with room to spare).  ``value``
    holds the served requests per pair of the current sequence and is updated in
    place, as are the current and the best sequences (best by served requests, then
    fewer dead events).  Returns ``(n_runs, best_n, best_value)``.
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
            if ok and move == 5:
                n_p = offset[p + 1] - offset[p]
                r = offset[p] + np.random.randint(0, n_p)
                t_r = lo[r] + np.random.randint(0, hi[r] - lo[r] + 1)
                j = max(0, np.searchsorted(s[:n_runs], t_r, side="right") - 1)
                b = _run_end(s, pr, n_runs, j, dead, last)
                if pr[j] == p or t_r <= s[j] or t_r > b:
                    ok = False
                else:
                    touched[n_t] = pr[j]
                    n_t += 1
                    length = 1 + np.random.randint(0, 4 * max_step)
                    n_runs, ok = _carve(s, pr, n_runs, j, p, t_r, np.random.randint(0, 2) == 1,
                                        length, dead, last)
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
                    saved[k] = -1
                    continue
                v = _pair_value(p, s, pr, n_runs, dead, last, offset, lo, hi, no_record)
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
                if saved[k] >= 0:
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


def anneal_block(instance: DatacenterInstance, block: BlockData, cost: SwitchCosts,
                 deliveries: list[tuple[int, int, int]], time_limit: float | None, *,
                 moves: int | None = None, seed: int = 0, target: int | None = None,
                 temp_from: float = TEMP_FROM, temp_to: float = TEMP_TO, max_step: int = 6,
                 dead_weight: float = DEAD_WEIGHT, cycles: int = CYCLES,
                 ) -> list[tuple[int, int, int]]:
    """Improve a one-source block's deliveries by annealing its run sequence.

    Parameters
    ----------
    instance
        The instance (one source; memory must not bind in the block).
    block
        The block.
    cost
        The source's switching costs (subadditive, so that the run value is exact).
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

    Returns
    -------
    list
        The best deliveries found, at least as many as ``deliveries``.
    """
    started = time.perf_counter()
    order, offset, lo, hi = block_windows(instance, block)
    if len(order) == 0:
        return list(deliveries)
    dead = dead_matrix(block, cost)
    first, last = int(lo.min()), int(hi.max())
    pair_of = {int(r): int(p) for p in range(len(offset) - 1)
               for r in order[offset[p]:offset[p + 1]].tolist()}
    s0, p0 = runs_from_deliveries(deliveries, pair_of, first)
    if len(s0) == 0:
        counts = np.diff(offset)
        s0 = np.array([first], dtype=np.int64)
        p0 = np.array([int(np.argmax(counts))], dtype=np.int64)
    cap = max(64, 4 * len(order) + 8)
    s = np.zeros(cap, dtype=np.int64)
    pr = np.zeros(cap, dtype=np.int64)
    s[:len(s0)] = s0
    pr[:len(p0)] = p0
    n_runs = len(s0)
    value = _pair_values(s, pr, n_runs, dead, last, offset, lo, hi)
    best_s, best_pr = s.copy(), pr.copy()
    best_n, best_value = n_runs, int(value.sum())
    start_value = best_value
    goal = len(order) if target is None else min(int(target), len(order))
    if moves is None and time_limit is None:
        raise ValueError("anneal_block needs a time limit or a number of moves")
    # moves alone: the schedule follows the moves (reproducible); with a time limit it
    # follows the clock, over the time limit or the time the moves take if shorter
    n_rounds = None
    if moves is not None and time_limit is None:
        n_rounds = max(1, -(-int(moves) // CHUNK_ITERATIONS))
    horizon = time_limit
    rounds = 0
    speed = 1.0
    current_cycle = 0
    while best_value < goal:
        elapsed = time.perf_counter() - started
        if time_limit is not None and elapsed >= time_limit:
            break
        if n_rounds is not None and rounds >= n_rounds:
            break
        # the temperature falls geometrically over the moves (or the clock): each call
        # covers the next slice of the schedule
        chunk = CHUNK_ITERATIONS
        if n_rounds is not None:
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
            value = _pair_values(s, pr, n_runs, dead, last, offset, lo, hi)
        f0 = min(1.0, f0 * cycles - cycle)
        f1 = min(1.0, f1 * cycles - cycle)
        t0 = temp_from * (temp_to / temp_from) ** f0
        t1 = temp_from * (temp_to / temp_from) ** f1
        tc = time.perf_counter()
        n_runs, best_n, best_value = anneal_kernel(
            s, pr, n_runs, value, best_s, best_pr, best_n, best_value, dead, last, offset,
            lo, hi, chunk, t0, t1, seed * 1_000_003 + rounds, max_step, dead_weight)
        speed = chunk / max(1e-6, time.perf_counter() - tc)
        rounds += 1
    if best_value <= start_value:
        return list(deliveries)
    out_r, out_k = _assign(best_s, best_pr, best_n, dead, last, offset, lo, hi, order)
    if len(out_r) != best_value:  # the incremental values must match a fresh evaluation
        raise RuntimeError(f"run search lost track: {len(out_r)} served, {best_value} counted")
    return [(int(r), 0, int(k)) for r, k in zip(out_r.tolist(), out_k.tolist(), strict=True)]
