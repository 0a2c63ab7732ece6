"""The EDF and scoring dispatchers as one compiled event-driven loop over integer arrays.

Same decisions, in the same order, as :class:`qdcopt.datacenter.heuristics.dispatch.Dispatcher`
driving :func:`qdcopt.datacenter.heuristics.edf._edf_policy` or the policy of
:func:`qdcopt.datacenter.heuristics.scoring.make_policy`; the Python engine is the reference (a
test holds the two to the identical plan), this loop only makes it fast enough for
instances of millions of requests.

How the Python objects map to arrays:

* A QPU pair ``(a, b)`` is the integer ``a · n_qpus + b``, which orders pairs as the
  tuples are ordered (the pair heap breaks deadline ties by pair).
* A released request is its *rank* in release order (need time, then position).  Ranks
  order requests exactly as the ``(deadline, position)`` tuples of the Python heaps, so
  each pair's pending heap holds ranks, in one flat array with a region per pair.  The
  scoring policy reads the first entries of such a heap in array order, so these heaps
  use the very push and pop algorithm of :mod:`heapq` and see the same operations in
  the same order, which gives the same arrays.
* The held pairs per QPU are only ever asked for their minimum or their size, so any
  binary heap would give the same answers; they run the same algorithm anyway, and only
  for QPUs with a memory limit (the reference consults them for nothing else).  All
  heaps are those of :mod:`qdcopt.datacenter.heuristics._kernels.heaps`.
* The pair heap (pairs by deadline, stale entries included) is a sorted array holding
  the same entries (:mod:`qdcopt.datacenter.heuristics._kernels.queue`): the candidates'
  loop reads it from the front and puts what it read back, a walk instead of two sifts
  per entry, and entries come off in the heap's order.  Each pair's top deadline is kept
  beside its heap, so that the loop reads one value per entry, not three in a chain.
* A call passing arrays costs reference-count updates, inlined or not, so the hottest
  paths (the candidates' loop and the current pair's look-up) are written out in the
  main loop, and the functions it calls there take scalars or run only rarely.
* Within one decision every move starts at the same time and is one of three kinds, so
  the ready events (and the scoring policy's lost events and stranded requests) are
  worked out once per kind and decision, not once per candidate.
* Decision times come from the event grid arithmetic, releases and memory frees, as in
  the reference: no loop walks empty events.

The score of the scoring policy is computed with the same float operations in the same
order as the reference (and without fast-math), so ties and signs come out the same: the
urgency term of small slacks is looked up in a table made by that same expression, and a
zero memory weight skips a product that can only be a zero.

Long module, on purpose: the hot paths are written out inside the one compiled loop (see
above: calls that pass arrays cost reference-count updates), so the loop cannot be cut
into smaller functions without slowing it; the helpers it calls rarely are already apart
(:mod:`~qdcopt.datacenter.heuristics._kernels.heaps`,
:mod:`~qdcopt.datacenter.heuristics._kernels.queue`).
"""

from __future__ import annotations

import numba
import numpy as np

from qdcopt.datacenter.heuristics._kernels.greedy import (
    NO_CAP,
    capacity_array,
    first_event_index,
    grown,
    plan_from_arrays,
    source_arrays,
)
from qdcopt.datacenter.heuristics._kernels.heaps import heap_pop, heap_push
from qdcopt.datacenter.heuristics._kernels.queue import (
    HI,
    LO,
    queue_insert,
    queue_new,
    queue_reserve,
)
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan

COMPILED_FROM = 5_000
"""Instances with at least this many requests use the compiled loop by default (below
it, loading the compiled code costs more than it saves)."""

EDF = 0
"""Policy flag of :func:`dispatch_arrays`: earliest deadline first."""
SCORING = 1
"""Policy flag of :func:`dispatch_arrays`: score-based dispatching."""


# what a policy decides for a source at a decision time
_SERVE, _SWITCH, _WAIT, _DONE = 0, 1, 2, 3
# slots of the counter array shared with the functions the loop calls (a numba function
# cannot rebind its caller's scalars): rejections, pending requests
_N_REJ, _PENDING = range(2)
_N_COUNTERS = 2
_FAR = 1 << 62  # the time at which the reference expires everything still pending
_STRANDED_LIMIT = 64  # heap entries read by the scoring policy's stranded count
_URGENCY_TABLE = 4096  # slacks whose urgency term the scoring loop looks up


def dispatch_arrays(instance: DatacenterInstance, policy: int = EDF, *, alpha: float = 1.0,
                    beta: float = 0.05, gamma: float = 1.0, delta: float = 0.5,
                    breadth: int = 8) -> dict[str, np.ndarray]:
    """Run the compiled dispatcher on ``instance`` and return its decisions as arrays.

    Parameters
    ----------
    instance
        The instance.
    policy
        :data:`EDF` or :data:`SCORING`.
    alpha, beta, gamma, delta, breadth
        Weights and breadth of the scoring policy (see :mod:`qdcopt.datacenter.heuristics.scoring`);
        ignored by EDF.

    Returns
    -------
    dict
        ``d_request, d_source, d_event`` (deliveries in order: request position, source
        index, event index), ``rej_request, rej_reason`` (rejections in order: request
        position, reason 1 no-source, 2 no-event, 3 memory), ``rc_source, rc_start,
        rc_end, rc_from, rc_to`` (reconfigurations in order; pairs as ``a · n_qpus + b``,
        −1 for an unset switch) and ``init`` (per source, the initial pair or −1).

    Raises
    ------
    ValueError
        For an unknown policy or a negative breadth.
    """
    if policy not in (EDF, SCORING):
        raise ValueError(f"unknown policy {policy!r}")
    if breadth < 0:
        raise ValueError("breadth must not be negative")
    req = instance.requests
    grid = source_arrays(instance)
    cap = capacity_array(instance)
    out = _dispatch_kernel(
        int(policy), req.order().astype(np.int64), req.a.astype(np.int64),
        req.b.astype(np.int64), req.t_need.astype(np.int64), int(instance.t_max), cap,
        grid["ports"], grid["start"], grid["period"], grid["t_single"], grid["t_double"],
        float(alpha), float(beta), float(gamma), float(delta), int(breadth),
        bool(instance.transit_moves))
    keys = ("d_request", "d_source", "d_event", "rej_request", "rej_reason", "rc_source",
            "rc_start", "rc_end", "rc_from", "rc_to", "init")
    return dict(zip(keys, out, strict=True))


def dispatch_plan(instance: DatacenterInstance, method: str, policy: int = EDF,
                  **weights: float) -> DatacenterPlan:
    """The plan of the compiled dispatcher, identical to the reference engine's.

    Parameters
    ----------
    instance
        The instance.
    method
        Method name recorded in the plan.
    policy
        :data:`EDF` or :data:`SCORING`.
    **weights
        ``alpha, beta, gamma, delta, breadth`` of the scoring policy.

    Returns
    -------
    DatacenterPlan
    """
    out = dispatch_arrays(instance, policy, **weights)
    n_q = instance.n_qpus

    def ends(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # pairs coded as a · n_q + b, −1 (both ends −1) for an unset switch
        unset = pairs < 0
        return np.where(unset, -1, pairs // n_q), np.where(unset, -1, pairs % n_q)

    reconf = {"source": out["rc_source"], "start": out["rc_start"], "end": out["rc_end"]}
    reconf["from_a"], reconf["from_b"] = ends(out["rc_from"])
    reconf["to_a"], reconf["to_b"] = ends(out["rc_to"])
    return plan_from_arrays(
        instance, method, init=ends(out["init"]), reconf=reconf,
        deliveries=(out["d_request"], out["d_source"], out["d_event"]),
        rejected=(out["rej_request"], out["rej_reason"]))


# -- grid ----------------------------------------------------------------------------------

@numba.njit(cache=True)
def _region_starts(sizes):  # pragma: no cover - compiled
    """Start of each region when regions of these sizes lie back to back in one array."""
    starts = np.zeros(len(sizes), dtype=np.int64)
    for k in range(1, len(sizes)):
        starts[k] = starts[k - 1] + sizes[k - 1]
    return starts


@numba.njit(cache=True)
def _event_at_or_after(t, start, period):  # pragma: no cover - compiled
    """Time of the first event at or after ``t``."""
    return start + first_event_index(t, start, period) * period


@numba.njit(cache=True)
def _move_kind(old, old_a, old_b, a, b):  # pragma: no cover - compiled
    """How much of the switch moves from pair ``old`` (ends ``old_a``, ``old_b``; −1:
    unset) to pair ``(a, b)``: 0 nothing, 1 one line, 2 both lines (and from an unset
    switch), as :func:`change_time` counts.  Scalars only: a function taking arrays costs
    reference-count updates at every call, inlined or not, and the candidates' loops
    make millions of these."""
    if old < 0:
        return 2
    shared = (1 if a in (old_a, old_b) else 0) + (1 if b in (old_a, old_b) else 0)
    return 2 - shared


@numba.njit(cache=True)
def _move_time(kind, t_single, t_double):  # pragma: no cover - compiled
    """Duration of a move of :func:`_move_kind` ``kind``."""
    if kind == 0:
        return 0
    return t_single if kind == 1 else t_double


@numba.njit(cache=True)
def _quotient(x, d, inv):  # pragma: no cover - compiled
    """``x // d`` for ``x ≥ 0``, ``d > 0``, with ``inv = 1 / d``: a multiplication and
    a correction, which cost less than the integer division the scoring loop would
    otherwise make for every option.  Exact: the float estimate is off by little, and the
    loops step it to the one quotient with ``0 ≤ x − q·d < d``."""
    q = np.int64(x * inv)
    while q * d > x:
        q -= 1
    while (q + 1) * d <= x:
        q += 1
    return q


# -- pools ---------------------------------------------------------------------------------
# These take arrays; the main loop calls them only off its hottest paths (an expiry, a
# prune that has something to remove, the policies' look-up of the current pair).

@numba.njit(cache=True)
def _expire(p, now, keys, p_off, p_len, top_dead, rk_pos, rk_dead, rk_rel, blk_has, blk_at,
            rej_pos, rej_code, qd, qp, pos, cnt):  # pragma: no cover - compiled
    """Dispatcher._expire: reject the pending requests of ``p`` whose deadline passed."""
    base = p_off[p]
    while p_len[p] > 0 and rk_dead[keys[base]] < now:
        r = heap_pop(keys, base, p_len[p])
        p_len[p] -= 1
        cnt[_PENDING] -= 1
        j = cnt[_N_REJ]
        rej_pos[j] = rk_pos[r]
        # a memory rejection: the pair's memory was found full after the request arrived
        rej_code[j] = 3 if (blk_has[p] and blk_at[p] >= rk_rel[r]) else 2
        cnt[_N_REJ] = j + 1
    if p_len[p] > 0:
        top_dead[p] = rk_dead[keys[base]]
        queue_insert(qd, qp, pos, top_dead[p], p)


@numba.njit(cache=True)
def _prune(q, now, held, h_off, h_len):  # pragma: no cover - compiled
    # closed intervals: a pair used at t still holds its qubit at t
    base = h_off[q]
    while h_len[q] > 0 and held[base] < now:
        heap_pop(held, base, h_len[q])
        h_len[q] -= 1


@numba.njit(cache=True)
def _stranded(state, until, keys, p_off, p_len, rk_dead, stack):  # pragma: no cover
    """Pending requests of ``state`` with deadline before ``until`` among the first
    entries of its heap array (as the reference reads them).

    A child's deadline is never below its parent's, so the counted entries form a
    subtree at the root: a walk down from the root that stops at entries not counted
    visits only those, instead of all the first entries.
    """
    n = p_len[state]
    base = p_off[state]
    if n == 0 or rk_dead[keys[base]] >= until:
        return 0
    limit = min(n, _STRANDED_LIMIT)
    count = 0
    stack[0] = 0
    depth = 1
    while depth > 0:
        depth -= 1
        j = stack[depth]
        count += 1
        left = 2 * j + 1
        if left < limit and rk_dead[keys[base + left]] < until:
            stack[depth] = left
            depth += 1
        if left + 1 < limit and rk_dead[keys[base + left + 1]] < until:
            stack[depth] = left + 1
            depth += 1
    return count


# -- main loop -----------------------------------------------------------------------------

@numba.njit(cache=True)
def _dispatch_kernel(policy, order, qa, qb, tneed, t_max, cap, ports, s_start, s_period,
                     t_single, t_double, alpha, beta, gamma, delta,
                     breadth, transit):  # pragma: no cover - compiled
    n = len(qa)
    n_q = len(cap)
    n_s = len(s_start)
    n_pc = n_q * n_q
    # the ends of each pair code, looked up rather than divided out in the hot loop; and
    # per pair whether each source's switch reaches it and whether a QPU of it has a
    # memory limit
    pa = np.arange(n_pc) // n_q
    pb = np.arange(n_pc) % n_q
    reaches = np.zeros(n_s * n_pc, dtype=np.bool_)
    limited = np.zeros(n_pc, dtype=np.bool_)
    for p in range(n_pc):
        limited[p] = cap[pa[p]] != NO_CAP or cap[pb[p]] != NO_CAP
        for si in range(n_s):
            reaches[si * n_pc + p] = ports[si, pa[p]] and ports[si, pb[p]]
    rej_pos = np.empty(n, dtype=np.int64)
    rej_code = np.empty(n, dtype=np.int64)
    cnt = np.zeros(_N_COUNTERS, dtype=np.int64)

    # pairs no switch reaches: rejected first, in instance order
    reach = np.zeros(n_pc, dtype=np.int8)  # 0 unknown, 1 reachable, 2 not
    for i in range(n):
        p = qa[i] * n_q + qb[i]
        if reach[p] == 0:
            reach[p] = 2
            for si in range(n_s):
                if ports[si, qa[i]] and ports[si, qb[i]]:
                    reach[p] = 1
                    break
        if reach[p] == 2:
            rej_pos[cnt[_N_REJ]] = i
            rej_code[cnt[_N_REJ]] = 1
            cnt[_N_REJ] += 1

    # the other requests by rank in release order (= need order, ties by position)
    n_r = n - cnt[_N_REJ]
    rk_pos = np.empty(n_r, dtype=np.int64)
    rk_dead = np.empty(n_r, dtype=np.int64)
    rk_rel = np.empty(n_r, dtype=np.int64)
    rk_pc = np.empty(n_r, dtype=np.int64)
    per_pair = np.zeros(n_pc, dtype=np.int64)
    touches = np.zeros(n_q, dtype=np.int64)
    k = 0
    for i in order:
        p = qa[i] * n_q + qb[i]
        if reach[p] != 1:
            continue
        rk_pos[k] = i
        rk_dead[k] = tneed[i]
        rk_rel[k] = tneed[i] - t_max
        rk_pc[k] = p
        per_pair[p] += 1
        # only a QPU with a memory limit keeps its held pairs: the reference consults
        # them for nothing but that limit
        if cap[qa[i]] != NO_CAP:
            touches[qa[i]] += 1
        if cap[qb[i]] != NO_CAP:
            touches[qb[i]] += 1
        k += 1
    # pending heap of each pair: a region as large as the pair's request count
    p_off = _region_starts(per_pair)
    keys = np.empty(max(1, n_r), dtype=np.int64)
    p_len = np.zeros(n_pc, dtype=np.int64)
    # the deadline of each pair's heap top, kept beside the heap: the candidates' loop
    # reads it for every entry, and through the heap it takes three dependent loads
    top_dead = np.zeros(n_pc, dtype=np.int64)
    # held pairs of each limited QPU (their need times): at most the requests touching it
    h_off = _region_starts(touches)
    held = np.empty(max(1, touches.sum()), dtype=np.int64)
    h_len = np.zeros(n_q, dtype=np.int64)
    # the queue of pairs by deadline, and the most insertions one decision makes: one per
    # pair at its release, its expiry and its putting back, and one for the delivery
    room = 3 * n_pc + 8
    qd, qp, pos = queue_new(room)
    blk_has = np.zeros(n_pc, dtype=np.bool_)  # Dispatcher.blocked_at
    blk_at = np.zeros(n_pc, dtype=np.int64)
    pair_known = np.zeros(n_pc, dtype=np.bool_)
    pair_list = np.empty(n_pc, dtype=np.int64)  # pairs in first-release order
    n_pairs = 0
    seen = np.zeros(n_pc, dtype=np.int64)  # stamp of the last candidates run offering it
    stamp = 0
    stash_d = np.empty(n_pc, dtype=np.int64)
    stash_p = np.empty(n_pc, dtype=np.int64)
    # the scoring options: at most one per pair, plus the current pair
    opt_p = np.empty(min(breadth, n_pc) + 1, dtype=np.int64)
    opt_d = np.empty(min(breadth, n_pc) + 1, dtype=np.int64)
    stack = np.empty(_STRANDED_LIMIT, dtype=np.int64)
    t_div = max(t_max, 1)
    # the urgency term alpha / (1 + slack) for the usual, small slacks, computed once:
    # the same float operations give the same values, and a look-up is cheaper than a
    # division at every option
    urgency = np.empty(_URGENCY_TABLE, dtype=np.float64)
    for j in range(_URGENCY_TABLE):
        urgency[j] = alpha / (1.0 + j)
    # the moves of one decision by kind (see _move_kind): within a decision every move
    # starts at the same time, so its ready event, and for the scoring policy the events
    # it loses and the requests it strands, depend on its kind alone: each is computed
    # once per decision and kind (−1: not yet), not once per candidate
    m_at = np.empty(3, dtype=np.int64)
    m_lost = np.empty(3, dtype=np.int64)
    m_str = np.empty(3, dtype=np.int64)

    st = np.full(n_s, -1, dtype=np.int64)  # switch state per source
    init = np.full(n_s, -1, dtype=np.int64)
    has_last = np.zeros(n_s, dtype=np.bool_)
    last_time = np.zeros(n_s, dtype=np.int64)
    ready = np.zeros(n_s, dtype=np.int64)
    # Dispatcher.unserved_move: a move whose pair was not served yet (index, state and
    # ready before it); withdrawn moves get source −1 and are left out at the end
    pend_idx = np.full(n_s, -1, dtype=np.int64)
    pend_state = np.full(n_s, -1, dtype=np.int64)
    pend_ready = np.zeros(n_s, dtype=np.int64)
    d_pos = np.empty(n_r, dtype=np.int64)
    d_src = np.empty(n_r, dtype=np.int64)
    d_evt = np.empty(n_r, dtype=np.int64)
    n_del = 0
    # a reconfiguration need not be followed by a delivery, so these arrays may grow
    rc_src = np.empty(n_r + 16, dtype=np.int64)
    rc_start = np.empty(n_r + 16, dtype=np.int64)
    rc_end = np.empty(n_r + 16, dtype=np.int64)
    rc_from = np.empty(n_r + 16, dtype=np.int64)
    rc_to = np.empty(n_r + 16, dtype=np.int64)
    n_rc = 0
    next_rel = 0

    # the driver's queue of (decision time, source): one entry per source at most
    q_time = np.zeros(n_s, dtype=np.int64)
    q_on = np.zeros(n_s, dtype=np.bool_)
    if n_r > 0:
        for si in range(n_s):
            q_time[si] = _event_at_or_after(rk_rel[0], s_start[si], s_period[si])
            q_on[si] = True

    while True:
        s = -1
        for si in range(n_s):
            if q_on[si] and (s < 0 or q_time[si] < q_time[s]):
                s = si
        if s < 0:
            break
        q_on[s] = False
        now = q_time[s]
        if pos[LO] < room or len(qd) - pos[HI] < room:  # a call passing arrays costs
            qd, qp = queue_reserve(qd, qp, pos, room)   # reference counts: only if needed

        # Dispatcher.release_until(now)
        while next_rel < n_r and rk_rel[next_rel] <= now:
            p = rk_pc[next_rel]
            if not pair_known[p]:  # the reference's pending dict: first-release order
                pair_known[p] = True
                pair_list[n_pairs] = p
                n_pairs += 1
            base = p_off[p]
            # ranks come in increasing order: a release heads its pair's heap only when
            # the heap is empty (the reference compares deadlines, never lower here)
            if p_len[p] == 0:
                top_dead[p] = rk_dead[next_rel]
                queue_insert(qd, qp, pos, rk_dead[next_rel], p)
            heap_push(keys, base, p_len[p], next_rel)
            p_len[p] += 1
            cnt[_PENDING] += 1
            next_rel += 1

        # -- the policy: action, pair, time ------------------------------------------------
        state = st[s]
        # Dispatcher._served_state: what times the next change
        eff_state = state
        eff_ready = ready[s]
        if not transit and pend_idx[s] >= 0:
            eff_state = pend_state[s]
            eff_ready = pend_ready[s]
        # where any move of this decision may start (Dispatcher.switch_ready_event)
        begin = max(eff_ready, last_time[s] + 1 if has_last[s] else eff_ready)
        for j in range(3):
            m_at[j] = -1
            m_lost[j] = -1
            m_str[j] = -1
        if eff_state >= 0:
            e_a = pa[eff_state]
            e_b = pb[eff_state]
        else:
            e_a = -1
            e_b = -1
        action = _DONE
        a_pair = -1
        a_at = 0
        # Dispatcher.candidates, a generator the policies interleave their own look-ups
        # with: pairs it offered or passed over are stashed and go back into the queue
        # when it is closed (after the loop)
        stamp += 1
        n_stash = 0
        n_opt = 0
        s_base = s * n_pc
        # the queue's front is kept in a local while the loop runs (and handed over to
        # the functions that insert): the loop reads it for every entry
        lo = pos[LO]
        while lo < pos[HI]:
            if policy == SCORING and n_opt >= breadth:
                break  # islice: no further next() once breadth options are taken
            d = qd[lo]
            p = qp[lo]
            lo += 1
            if seen[p] == stamp:
                continue  # a duplicate entry: the pair was already offered
            if p_len[p] > 0 and top_dead[p] < now:  # Dispatcher.top
                pos[LO] = lo
                _expire(p, now, keys, p_off, p_len, top_dead, rk_pos, rk_dead, rk_rel,
                        blk_has, blk_at, rej_pos, rej_code, qd, qp, pos, cnt)
                lo = pos[LO]
            if p_len[p] == 0 or top_dead[p] != d:
                continue  # stale entry: dropped for good
            stash_d[n_stash] = d
            stash_p[n_stash] = p
            n_stash += 1
            seen[p] = stamp
            if not reaches[s_base + p]:
                continue
            free = True  # Dispatcher.memory_free (nothing to do for unlimited QPUs)
            if limited[p]:
                for q in (pa[p], pb[p]):
                    if h_len[q] > 0 and held[h_off[q]] < now:
                        _prune(q, now, held, h_off, h_len)
                    if cap[q] != NO_CAP and h_len[q] >= cap[q]:
                        free = False
                        break
            if not free:
                blk_has[p] = True
                blk_at[p] = now
                continue
            # candidate (p, deadline d)
            if policy == SCORING:
                opt_p[n_opt] = p
                opt_d[n_opt] = d
                n_opt += 1
                continue
            # EDF
            if state < 0 or p == state:
                action = _SERVE
                a_pair = p
                break
            kind = _move_kind(eff_state, e_a, e_b, pa[p], pb[p])
            if m_at[kind] < 0:
                m_at[kind] = _event_at_or_after(
                    max(now, begin + _move_time(kind, t_single[s], t_double[s])), s_start[s],
                    s_period[s])
            at = m_at[kind]
            if at > d:
                continue
            # Dispatcher.top and memory_free of the current pair, written out: most
            # decisions come here, and a call passing arrays costs reference counts
            own = -1
            if p_len[state] > 0:
                if top_dead[state] < now:
                    pos[LO] = lo
                    _expire(state, now, keys, p_off, p_len, top_dead, rk_pos, rk_dead, rk_rel,
                            blk_has, blk_at, rej_pos, rej_code, qd, qp, pos, cnt)
                    lo = pos[LO]
                if p_len[state] > 0:
                    own = keys[p_off[state]]
            own_free = own >= 0
            if own_free:
                for q in (pa[state], pb[state]):
                    if h_len[q] > 0 and held[h_off[q]] < now:
                        _prune(q, now, held, h_off, h_len)
                    if cap[q] != NO_CAP and h_len[q] >= cap[q]:
                        own_free = False
                        break
            if own_free:
                after = _event_at_or_after(
                    now + 1 + _move_time(_move_kind(state, pa[state], pb[state], pa[p],
                                                    pb[p]), t_single[s], t_double[s]),
                    s_start[s], s_period[s])
                if after <= d:
                    action = _SERVE
                    a_pair = state
                    break
            action = _SWITCH
            a_pair = p
            a_at = at
            break
        # put the stash back, last first: each goes in front of the first entry, into the
        # slot it came from, unless an insertion made during the loop belongs before it
        for j in range(n_stash - 1, -1, -1):
            d = stash_d[j]
            p = stash_p[j]
            if lo == pos[HI] or d < qd[lo] or (d == qd[lo] and p <= qp[lo]):
                lo -= 1
                qd[lo] = d
                qp[lo] = p
            else:
                pos[LO] = lo
                queue_insert(qd, qp, pos, d, p)
                lo = pos[LO]
        pos[LO] = lo

        if policy == SCORING:
            period = s_period[s]
            inv_period = 1.0 / period
            if state >= 0:
                listed = False
                for j in range(n_opt):
                    if opt_p[j] == state:
                        listed = True
                        break
                if not listed:
                    # Dispatcher.top and memory_free, written out as in EDF
                    own = -1
                    if p_len[state] > 0:
                        if top_dead[state] < now:
                            _expire(state, now, keys, p_off, p_len, top_dead, rk_pos, rk_dead,
                                    rk_rel, blk_has, blk_at, rej_pos, rej_code, qd, qp, pos,
                                    cnt)
                        if p_len[state] > 0:
                            own = keys[p_off[state]]
                    own_free = own >= 0
                    if own_free:
                        for q in (pa[state], pb[state]):
                            if h_len[q] > 0 and held[h_off[q]] < now:
                                _prune(q, now, held, h_off, h_len)
                            if cap[q] != NO_CAP and h_len[q] >= cap[q]:
                                own_free = False
                                break
                    if own_free:
                        opt_p[n_opt] = state
                        opt_d[n_opt] = rk_dead[own]
                        n_opt += 1
            found = False
            best = 0.0
            # moves of one kind share their ready event, lost events and stranded
            # requests; with a non-negative urgency weight a later deadline scores no
            # higher, so among the moves of one kind without memory relief (a zero
            # weight) the first option, the most urgent, is the only one that can win:
            # the others are not scored (bit c: a move of kind c without relief scored)
            scored_plain = 0
            urgency_falls = alpha >= 0.0
            for j in range(n_opt):
                p = opt_p[j]
                dl = opt_d[j]
                # _occupancy: the mean fill ratio, summed as the reference sums it
                qa_ = pa[p]
                qb_ = pb[p]
                fill_a = 0.0 if cap[qa_] == NO_CAP else h_len[qa_] / cap[qa_]
                fill_b = 0.0 if cap[qb_] == NO_CAP else h_len[qb_] / cap[qb_]
                occupancy = (fill_a + fill_b) / 2
                weight = delta * occupancy
                if state < 0 or p == state:
                    at = now
                    kind = _SERVE
                    lost = 0
                    stranded = 0
                else:
                    c = _move_kind(eff_state, e_a, e_b, pa[p], pb[p])
                    if m_at[c] < 0:
                        m_at[c] = _event_at_or_after(
                            max(now, begin + _move_time(c, t_single[s], t_double[s])),
                            s_start[s], period)
                        m_lost[c] = _quotient(m_at[c] - now, period, inv_period)
                    at = m_at[c]
                    if at > dl:
                        continue
                    if weight == 0.0 and urgency_falls:
                        if scored_plain & (1 << c):
                            continue
                        scored_plain |= 1 << c
                    kind = _SWITCH
                    lost = m_lost[c]
                    if m_str[c] < 0:
                        m_str[c] = 0
                        if p_len[state] > 0 and top_dead[state] < at:
                            m_str[c] = _stranded(state, at, keys, p_off, p_len, rk_dead,
                                                 stack)
                    stranded = m_str[c]
                # the reference's expression, operation for operation
                slack = _quotient(dl - at, period, inv_period)
                if 0 <= slack < _URGENCY_TABLE:
                    benefit = 1.0 + urgency[slack]
                else:
                    benefit = 1.0 + alpha / (1.0 + slack)
                loss = beta * lost + gamma * stranded
                # a zero weight makes the relief a zero of either sign, which changes no
                # sum but a zero one, and a zero score is not positive either way: the
                # division is skipped (a NaN weight still takes it)
                relief = 0.0
                if weight != 0.0:
                    relief = weight * (1.0 - (dl - at) / t_div)
                score = benefit - loss + relief
                if score > 0 and (not found or score > best):
                    found = True
                    best = score
                    action = kind
                    a_pair = p
                    a_at = at

        if action == _DONE:
            # Dispatcher.wait_time: the next release or the next freed qubit
            found = False
            until = 0
            if next_rel < n_r and rk_rel[next_rel] > now:
                found = True
                until = rk_rel[next_rel]
            # Dispatcher.memory_free_time prunes every QPU (the occupancy sees it)
            mem_found = False
            mem_t = 0
            for q in range(n_q):
                if h_len[q] > 0 and held[h_off[q]] < now:
                    _prune(q, now, held, h_off, h_len)
                if h_len[q] > 0 and cap[q] != NO_CAP and h_len[q] >= cap[q]:
                    t = held[h_off[q]] + 1
                    if not mem_found or t < mem_t:
                        mem_found = True
                        mem_t = t
            if mem_found and mem_t > now and (not found or mem_t < until):
                found = True
                until = mem_t
            if found:
                action = _WAIT
                a_at = until

        # -- the driver --------------------------------------------------------------------
        if action == _SERVE:
            # Dispatcher.serve
            p = a_pair
            base = p_off[p]
            r = heap_pop(keys, base, p_len[p])
            p_len[p] -= 1
            cnt[_PENDING] -= 1
            if p_len[p] > 0:
                top_dead[p] = rk_dead[keys[base]]
                queue_insert(qd, qp, pos, top_dead[p], p)
            if st[s] < 0:
                init[s] = p
                st[s] = p
            d_pos[n_del] = rk_pos[r]
            d_src[n_del] = s
            d_evt[n_del] = first_event_index(now, s_start[s], s_period[s])
            n_del += 1
            pend_idx[s] = -1
            has_last[s] = True
            last_time[s] = now
            for q in (pa[p], pb[p]):
                if cap[q] != NO_CAP:
                    heap_push(held, h_off[q], h_len[q], rk_dead[r])
                    h_len[q] += 1
            q_time[s] = now + s_period[s]
            q_on[s] = True
        elif action == _SWITCH:
            # Dispatcher.switch
            if n_rc == len(rc_src):
                rc_src = grown(rc_src)
                rc_start = grown(rc_start)
                rc_end = grown(rc_end)
                rc_from = grown(rc_from)
                rc_to = grown(rc_to)
            if not transit and pend_idx[s] >= 0:
                rc_src[pend_idx[s]] = -1
                st[s] = pend_state[s]
                ready[s] = pend_ready[s]
                pend_idx[s] = -1
                state = st[s]
            if state != a_pair:
                if state >= 0:
                    dur = _move_time(_move_kind(state, pa[state], pb[state], pa[a_pair],
                                                pb[a_pair]), t_single[s], t_double[s])
                else:
                    dur = t_double[s]
                pend_idx[s] = n_rc
                pend_state[s] = state
                pend_ready[s] = ready[s]
                rc_src[n_rc] = s
                rc_start[n_rc] = a_at - dur
                rc_end[n_rc] = a_at
                rc_from[n_rc] = state
                rc_to[n_rc] = a_pair
                n_rc += 1
                st[s] = a_pair
                ready[s] = a_at
            q_time[s] = a_at
            q_on[s] = True
        elif action == _WAIT:
            q_time[s] = _event_at_or_after(a_at, s_start[s], s_period[s])
            q_on[s] = True
        elif next_rel >= n_r and cnt[_PENDING] == 0:
            break
        # otherwise this source is done though others may still serve: it leaves the queue

    # everything still pending expires, pair by pair in first-release order
    qd, qp = queue_reserve(qd, qp, pos, n_pairs + 8)
    for j in range(n_pairs):
        _expire(pair_list[j], _FAR, keys, p_off, p_len, top_dead, rk_pos, rk_dead, rk_rel,
                blk_has, blk_at, rej_pos, rej_code, qd, qp, pos, cnt)
    for k in range(next_rel, n_r):
        rej_pos[cnt[_N_REJ]] = rk_pos[k]
        rej_code[cnt[_N_REJ]] = 2
        cnt[_N_REJ] += 1
    n_rej = cnt[_N_REJ]
    kept = rc_src[:n_rc] >= 0
    return (d_pos[:n_del], d_src[:n_del], d_evt[:n_del], rej_pos[:n_rej], rej_code[:n_rej],
            rc_src[:n_rc][kept], rc_start[:n_rc][kept], rc_end[:n_rc][kept],
            rc_from[:n_rc][kept], rc_to[:n_rc][kept], init)
