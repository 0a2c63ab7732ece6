"""From model solutions to event-level plans, and from plans to model starts.

* :func:`plan_from_deliveries` turns a list of (request, source, event) deliveries into a
  :class:`DatacenterPlan` with the switch timeline every source needs: the initial state
  is the first pair served, and between two deliveries to different pairs the switch
  changes directly, or — with transit moves — through one intermediate pair when that is
  the only change that fits (two single-line moves replacing a slower double one).  A
  delivery whose change cannot fit is dropped (it never happens for solutions of an exact model).
* :func:`layout_block` places the counts of one block's solution on events: inside a
  slot every event is equivalent, so the runs of the slot's path (or walk) are laid out
  as early as the previous delivery allows.
* :func:`block_deliveries` splits a valid plan's deliveries by independent block;
  :func:`complete_start` turns a block's deliveries into a complete feasible point of the
  block's model, :func:`start_from_plan` into a partial MIP start that HiGHS completes.
"""

from __future__ import annotations

import itertools

import numpy as np

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.switch.data import BlockData, SwitchCosts, SwitchData
from qdcopt.datacenter.switch.model import SlotIndex

Pair = tuple[int, int]


def _shared(p: Pair, q: Pair) -> int:
    return len({p[0], p[1]} & {q[0], q[1]})


def change_chain(instance: DatacenterInstance, si: int, p: Pair, q: Pair,
                 room: int) -> list[tuple[Pair, Pair, int]] | None:
    """The reconfigurations taking source ``si`` from ``p`` to ``q`` within ``room`` ticks.

    Returns the fewest changes that fit — ``[(from, to, duration)]`` — or ``None``.
    """
    src = instance.sources[si]
    direct = src.reconfiguration_time(p, q)
    if direct <= room:
        return [(p, q, direct)]
    if not instance.transit_moves:
        return None  # the paper's rule: the net change is the direct one
    ports = list(src.ports)
    if _shared(p, q) == 0:
        mid = (min(p[0], q[0]), max(p[0], q[0]))
        if 2 * src.t_single <= room:
            return [(p, mid, src.t_single), (mid, q, src.t_single)]
        return None
    free = [x for x in ports if x not in p and x not in q]
    if len(free) >= 2 and 2 * src.t_double <= room:
        mid = (min(free[0], free[1]), max(free[0], free[1]))
        return [(p, mid, src.t_double), (mid, q, src.t_double)]
    return None


def plan_from_deliveries(instance: DatacenterInstance, method: str,
                         deliveries: list[tuple[int, int, int]],
                         unserved_reason: dict[int, str] | None = None,
                         ) -> tuple[DatacenterPlan, int]:
    """Build a plan from deliveries ``(request position, source index, event index)``.

    Parameters
    ----------
    instance
        The instance.
    method
        Method name for the plan.
    deliveries
        One entry per served request.
    unserved_reason
        Rejection reason of requests known unservable (others get ``"not-selected"``).

    Returns
    -------
    (DatacenterPlan, int)
        The plan and the number of deliveries that had to be dropped because no change
        of the switch fitted before them.
    """
    req = instance.requests
    qname = [q.id for q in instance.qpus]
    ids = req.id
    rc: dict[str, list] = {k: [] for k in ("source", "start", "end", "from_a", "from_b",
                                           "to_a", "to_b")}
    initial: dict[str, tuple[str, str] | None] = {s.id: None for s in instance.sources}
    d_req, d_src, d_evt = [], [], []
    served = np.zeros(len(req), dtype=bool)
    dropped = 0
    by_source: dict[int, list[tuple[int, int]]] = {}
    for r, s, k in deliveries:
        by_source.setdefault(s, []).append((k, r))
    for si in sorted(by_source):
        src = instance.sources[si]
        state: Pair | None = None
        last_t = None
        for k, r in sorted(by_source[si]):
            t = src.event_time(k)
            want = (int(req.a[r]), int(req.b[r]))
            if state is None:
                initial[src.id] = (qname[want[0]], qname[want[1]])
            elif want != state:
                begin = last_t + 1
                chain = change_chain(instance, si, state, want, t - begin)
                if chain is None:
                    dropped += 1
                    continue
                for old, new, dur in chain:
                    rc["source"].append(src.id)
                    rc["start"].append(begin)
                    rc["end"].append(begin + dur)
                    rc["from_a"].append(qname[old[0]])
                    rc["from_b"].append(qname[old[1]])
                    rc["to_a"].append(qname[new[0]])
                    rc["to_b"].append(qname[new[1]])
                    begin += dur
            elif last_t is not None and t <= last_t:
                dropped += 1
                continue
            state = want
            last_t = t
            served[r] = True
            d_req.append(ids[r])
            d_src.append(src.id)
            d_evt.append(k)
    reasons = unserved_reason or {}
    rej = np.flatnonzero(~served)
    plan = DatacenterPlan.build(
        method, initial=initial, reconf=rc, deliveries=(d_req, d_src, d_evt),
        rejected=(ids[rej].tolist(), [reasons.get(int(r), "not-selected") for r in rej]))
    return plan, dropped


def layout_block(block: BlockData, idx: SlotIndex, x: np.ndarray,
                 costs: tuple[SwitchCosts, ...], last: dict[int, tuple[int, Pair]],
                 ) -> list[tuple[int, int, int]]:
    """Place a block's solution on events.

    Parameters
    ----------
    block, idx
        The block and its model's index.
    x
        Column values of the solution.
    costs
        The *true* switching costs per source.
    last
        Per source, the last delivery so far ``(event, pair)``; updated in place.

    Returns
    -------
    list
        Deliveries ``(request position, source, event)``.
    """
    pairs_t = [tuple(p) for p in block.pairs.tolist()]
    counts: dict[tuple[int, int], dict[int, list[tuple[int, int]]]] = {}
    for (g, s, j), c in idx.x.items():
        k = round(x[c])
        if k > 0:
            p = int(block.group_pair[g])
            counts.setdefault((s, j), {}).setdefault(p, []).append((g, k))
    pointer = [0] * block.n_groups
    out: list[tuple[int, int, int]] = []
    for s, j in sorted(counts, key=lambda sj: (sj[1], sj[0])):
        runs = counts[(s, j)]
        order = _path(idx, x, s, j, set(runs))
        k0 = int(block.first_event[s, j])
        k_end = k0 + int(block.n_events[s, j]) - 1
        # a pair's deliveries in the order its groups are served; with a walk the pair's
        # first run takes all but one delivery per later run
        todo = {p: [g for g, cnt in need for _ in range(cnt)] for p, need in runs.items()}
        later = {p: order.count(p) - 1 for p in runs}
        for p in order:
            if not todo.get(p):
                continue
            take = max(1, len(todo[p]) - later[p]) if later[p] >= 0 else len(todo[p])
            later[p] -= 1
            batch, todo[p] = todo[p][:take], todo[p][take:]
            prev = last.get(s)
            k = k0 if prev is None else max(k0, prev[0] + costs[s].gap(prev[1], pairs_t[p]))
            for g in batch:
                members = block.group_members[g]
                if k > k_end or pointer[g] >= len(members):
                    continue
                out.append((int(members[pointer[g]]), s, k))
                pointer[g] += 1
                last[s] = (k, pairs_t[p])
                k += 1
    return out


def _path(idx: SlotIndex, x: np.ndarray, s: int, j: int, used: set[int]) -> list[int]:
    """Nodes of slot ``j`` of source ``s`` in path order (first node, then arcs)."""
    nodes = idx.nodes[(s, j)]
    if len(nodes) == 1:
        return list(nodes)
    on = [p for p in nodes if x[idx.y[(s, j, p)]] > 0.5]
    first = [p for p in on if x[idx.f[(s, j, p)]] > 0.5]
    if first and (s, j, first[0]) in idx.visits:
        return _walk(idx, x, s, j, on, first[0], used)
    order: list[int] = []
    seen: set[int] = set()
    cur = first[0] if first else None
    while cur is not None and cur not in seen:
        order.append(cur)
        seen.add(cur)
        nxt = [q for q in on if q != cur and x[idx.arc[(s, j, cur, q)]] > 0.5]
        cur = nxt[0] if nxt else None
    # Anything the arcs did not reach (only possible with numerical noise) goes last.
    order.extend(p for p in sorted(on) if p not in seen)
    order.extend(p for p in sorted(used) if p not in order)
    return order


def _walk(idx: SlotIndex, x: np.ndarray, s: int, j: int, on: list[int], first: int,
          used: set[int]) -> list[int]:
    """Runs of slot ``j`` of source ``s`` in walk order: an Eulerian trail of the arc
    counts from the first node (Hierholzer), a pair once per run."""
    adj: dict[int, list[int]] = {p: [] for p in on}
    for p in on:
        for q in on:
            if q != p:
                adj[p].extend([q] * round(x[idx.arc[(s, j, p, q)]]))
    stack, trail = [first], []
    while stack:
        v = stack[-1]
        if adj.get(v):
            stack.append(adj[v].pop())
        else:
            trail.append(stack.pop())
    trail.reverse()
    trail.extend(p for p in sorted(on) if p not in trail)
    trail.extend(p for p in sorted(used) if p not in trail)
    return trail


def start_from_plan(data: SwitchData, b: int, idx: SlotIndex,
                    deliveries: list[tuple[int, int, int]],
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """A partial MIP start for block ``b`` (deliveries, nodes, slots) from the block's
    deliveries of a valid plan (see :func:`block_deliveries`)."""
    inst = data.instance
    block = data.blocks[b]
    if not deliveries:
        return None
    pos = {int(r): g for g, members in enumerate(block.group_members) for r in members}
    vals: dict[int, float] = {c: 0.0 for c in idx.x.values()}
    for c in idx.y.values():
        vals[c] = 0.0
    for c in idx.z.values():
        vals[c] = 0.0
    for r, s, k in deliveries:
        if r not in pos:
            continue
        g = pos[r]
        t = inst.sources[s].event_time(int(k))
        j = int(np.searchsorted(block.breakpoints, t, side="right")) - 1
        col = idx.x.get((g, s, j))
        if col is None:
            return None
        vals[col] += 1.0
        p = int(block.group_pair[g])
        vals[idx.y[(s, j, p)]] = 1.0
        vals[idx.z[(s, j)]] = 1.0
    cols = np.array(sorted(vals), dtype=np.int64)
    return cols, np.array([vals[c] for c in cols.tolist()], dtype=np.float64)


def complete_start(data: SwitchData, b: int, idx: SlotIndex, spec_n_cols: int,
                   costs: tuple[SwitchCosts, ...], deliveries: list[tuple[int, int, int]],
                   ) -> np.ndarray | None:
    """A complete MIP start for block ``b`` from its deliveries in a valid plan, or ``None``.

    The plan's deliveries give the counts; in every slot the pairs are visited in the
    order of their first delivery, with the pair of the slot's last delivery moved to the
    end when it is not also the first (the canonical path of ``models/switch.md``); the
    changes between slots split their dead events between the end of one slot and the
    start of the next.
    """
    inst = data.instance
    block = data.blocks[b]
    x = np.zeros(spec_n_cols)
    gpos = {int(r): g for g, members in enumerate(block.group_members) for r in members}
    runs: dict[tuple[int, int], list[tuple[int, int]]] = {}   # (σ, j) → [(event, pair)]
    for r, s, k in deliveries:
        if r not in gpos:
            continue
        g = gpos[r]
        t = inst.sources[s].event_time(int(k))
        j = int(np.searchsorted(block.breakpoints, t, side="right")) - 1
        col = idx.x.get((g, s, j))
        if col is None:
            return None
        x[col] += 1.0
        runs.setdefault((s, j), []).append((int(k), int(block.group_pair[g])))
    pairs_t = [tuple(p) for p in block.pairs.tolist()]
    path: dict[tuple[int, int], list[int]] = {}
    used = {}
    for (s, j), evs in runs.items():
        evs.sort()
        order: list[int] = []
        if (s, j, evs[0][1]) in idx.visits:
            # a walk: the plan's runs as they are, a flow unit from the first run to
            # the first run of every other pair along the walk
            order = [p for i, (_, p) in enumerate(evs) if i == 0 or evs[i - 1][1] != p]
            seen = {order[0]}
            todo = len(set(order)) - 1
            for p in set(order):
                x[idx.visits[(s, j, p)]] = float(order.count(p))
            for p, q in itertools.pairwise(order):
                if (s, j, p, q) in idx.flow:
                    x[idx.flow[(s, j, p, q)]] += float(todo)
                if q not in seen:
                    seen.add(q)
                    todo -= 1
        else:
            for _, p in evs:
                if p not in order:
                    order.append(p)
            lastp = evs[-1][1]
            if lastp != order[0] and order[-1] != lastp:
                order.remove(lastp)
                order.append(lastp)
        path[(s, j)] = order
        x[idx.z[(s, j)]] = 1.0
        for pos, p in enumerate(order):
            x[idx.y[(s, j, p)]] = 1.0
            if (s, j, p) in idx.order:
                x[idx.order[(s, j, p)]] = float(pos)
        x[idx.f[(s, j, order[0])]] = 1.0
        x[idx.l[(s, j, order[-1])]] = 1.0
        dead = 0
        for p, q in itertools.pairwise(order):
            x[idx.arc[(s, j, p, q)]] += 1.0
            dead += costs[s].dead(pairs_t[p], pairs_t[q])
        used[(s, j)] = len(evs) + dead
    # changes between slots, in time order so that each slot's start is known first
    taken_start: dict[tuple[int, int], float] = {}
    for (s, i, j) in sorted(idx.v, key=lambda k: (k[0], k[1], k[2])):
        if (s, i) not in path or (s, j) not in path:
            continue
        skipped, between = idx.skipped[(s, i, j)]
        if any((s, m) in path for m in skipped):
            continue
        x[idx.v[(s, i, j)]] = 1.0
        p, q = path[(s, i)][-1], path[(s, j)][0]
        if p == q:
            if (s, i, j, p) in idx.cont:
                x[idx.cont[(s, i, j, p)]] = 1.0
            continue
        need = max(0, costs[s].dead(pairs_t[p], pairs_t[q]) - between)
        if (s, i, j) not in idx.b or need == 0:
            continue
        bm, bp = idx.b[(s, i, j)]
        slack = int(block.n_events[s, i]) - used[(s, i)] - taken_start.get((s, i), 0.0)
        end = min(max(0.0, slack), need)
        x[bm] = end
        x[bp] = need - end
        taken_start[(s, j)] = taken_start.get((s, j), 0.0) + need - end
    return x


def block_deliveries(data: SwitchData, plan: DatacenterPlan | None
                    ) -> list[list[tuple[int, int, int]]]:
    """Deliveries ``(request position, source, event)`` of ``plan``, per block of ``data``.

    Blocks are independent (see :func:`~qdcopt.datacenter.switch.data.preprocess`), so
    the deliveries of a valid plan inside one block stay valid beside any deliveries of
    the other blocks.
    """
    out: list[list[tuple[int, int, int]]] = [[] for _ in data.blocks]
    if plan is None or plan.changes_demand or len(plan.delivery_request) == 0:
        return out
    inst = data.instance
    block_of = np.full(len(inst.requests), -1, dtype=np.int64)
    for b, block in enumerate(data.blocks):
        block_of[block.requests] = b
    index = inst.requests.index()
    sidx = inst.source_index()
    for rid, sid, k in zip(plan.delivery_request.tolist(), plan.delivery_source.tolist(),
                           plan.delivery_event.tolist(), strict=True):
        r = index.get(rid)
        s = sidx.get(sid)
        if r is None or s is None or block_of[r] < 0:
            continue
        out[int(block_of[r])].append((int(r), int(s), int(k)))
    for part in out:
        part.sort(key=lambda d: (d[1], d[2]))
    return out
