"""The slot formulation of switch assignment (see ``models/switch.md``).

One model per independent block (:class:`~qdcopt.datacenter.switch.data.BlockData`).
Per source ``σ`` and slot ``j`` the switch visits a set of *nodes* — QPU pairs with
requests that may be served there — along a path: the first node continues the previous
slot's last one (or changes from it), consecutive nodes are joined by *arcs*, each
change leaves ``c`` dead events.  Counts ``x[g, σ, j]`` say how many requests of group
``g`` the slot serves.  Row blocks (names as in the document):

``demand``     Σ_{σ,j} x[g,σ,j] ≤ |g|
``link``       x[g,σ,j] ≤ min(|g|, n) · y[p,σ,j]               (facility-location form)
``link_pair``  Σ_{g∈p} x[g,σ,j] ≤ min(n, D) · y[p,σ,j]
``capacity``   Σ x + Σ c·arc + b⁻ + b⁺ ≤ n · z[σ,j]             (events of the slot)
``node``       y ≤ z,  Σ_p y ≥ z,  f ≤ y,  l ≤ y,  Σ f = z,  Σ l = z
``degree``     Σ_q arc[p,q] + l[p] = y[p],  Σ_q arc[q,p] + f[p] = y[p]
``order``      o[q] ≥ o[p] + 1 − |P|·(1 − arc[p,q])             (no sub-tours)
``visits``     walks only: y ≤ k[p] ≤ U·y,  k[p] ≤ Σ_{g∈p} x  (runs of p, each serving;
               a one-node slot: y ≤ Σ x);
               ``degree`` then counts k[p] in place of y[p], arcs are integer
``connect``    walks only: φ ≤ (|P|−1)·arc,  Σ_in φ − Σ_out φ ≥ y[p] − |P|·f[p]
``consecutive`` v[i,j] ≥ z[i] + z[j] − 1 − Σ_{i<m<j} z[m]
``boundary``   b⁻[i,j] + b⁺[i,j] + N_{ij} ≥ cost of the change from l[·,i] to f[·,j]
``keep``       cont[p] ≤ l[p,i],  cont[p] ≤ f[p,j],  Σ cont ≤ v
``memory``     Σ x alive at slot i on QPU q ≤ comm_qubits(q)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qdcopt.datacenter.switch.data import BlockData, SwitchCosts
from qdcopt.solvers.arrays import INF, LinearSpec


@dataclass
class SlotIndex:
    """Where the pieces of one block's model live in the column vector."""

    x: dict[tuple[int, int, int], int] = field(default_factory=dict)   # (g, σ, j) → col
    nodes: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (σ, j) → pairs
    y: dict[tuple[int, int, int], int] = field(default_factory=dict)   # (σ, j, p) → col
    f: dict[tuple[int, int, int], int] = field(default_factory=dict)
    l: dict[tuple[int, int, int], int] = field(default_factory=dict)  # noqa: E741
    z: dict[tuple[int, int], int] = field(default_factory=dict)
    arc: dict[tuple[int, int, int, int], int] = field(default_factory=dict)  # (σ,j,p,q)
    changes: list[int] = field(default_factory=list)      # columns counting changes
    change_coef: list[float] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)     # columns counting deliveries
    # changes between slots i < j of source σ, keyed (σ, i, j)
    v: dict[tuple[int, int, int], int] = field(default_factory=dict)
    cont: dict[tuple[int, int, int, int], int] = field(default_factory=dict)
    b: dict[tuple[int, int, int], tuple[int, int]] = field(default_factory=dict)
    skipped: dict[tuple[int, int, int], tuple[list[int], int]] = field(default_factory=dict)
    order: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (σ, j, p) → col
    # walks (paper rule, costs not subadditive): runs of a pair in a slot, connecting flow
    visits: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (σ, j, p) → col
    flow: dict[tuple[int, int, int, int], int] = field(default_factory=dict)  # (σ,j,p,q)


def _pair_relation(pairs: np.ndarray) -> np.ndarray:
    """Shared QPUs between every two pairs (0, 1 or 2)."""
    a, b = pairs[:, 0], pairs[:, 1]
    return ((a[:, None] == a[None, :]).astype(int) + (a[:, None] == b[None, :])
            + (b[:, None] == a[None, :]) + (b[:, None] == b[None, :]))


def build_slot_model(block: BlockData, costs: tuple[SwitchCosts, ...],
                     capacity: np.ndarray, *, penalty: float = 0.0,
                     switching: bool = True) -> tuple[LinearSpec, SlotIndex]:
    """State the slot model of ``block``.

    Parameters
    ----------
    block
        The block.
    costs
        Switching costs per source (already relaxed when the exact ones are not
        subadditive).
    capacity
        Communication qubits per QPU (very large for unlimited).
    penalty
        Weight of a pair change in the objective (0: count accepted requests only).
    switching
        ``False`` drops the switch entirely (nodes, paths, changes): the *capacity
        relaxation* — events, windows and memory only — whose optimum is a quick upper
        bound.

    Returns
    -------
    (LinearSpec, SlotIndex)
    """
    spec = LinearSpec(sense="max")
    idx = SlotIndex()
    by_slot = _deliveries(spec, idx, block)
    # extra capacity use per slot: dead events of changes inside it, boundary events
    cap_cols: dict[tuple[int, int], list[tuple[int, float]]] = {}
    if switching:
        pairs_t = [tuple(p) for p in block.pairs.tolist()]
        for (s, j) in sorted(by_slot):
            _slot_paths(spec, idx, block, s, j, by_slot[(s, j)], costs[s], pairs_t,
                        cap_cols, penalty)
        _changes_between_slots(spec, idx, block, costs, cap_cols, penalty)
    _capacity_rows(spec, idx, block, by_slot, cap_cols, switching)
    _memory_rows(spec, idx, block, capacity)
    return spec, idx


Slots = dict[tuple[int, int], dict[int, list[int]]]
"""(source, slot) → pair → the delivery columns of that pair there."""


def _deliveries(spec: LinearSpec, idx: SlotIndex, block: BlockData) -> Slots:
    """Delivery columns ``x[g, σ, j]`` and the demand rows; the columns by slot and pair."""
    size = block.group_size()
    keys, ubs = [], []
    for g in range(block.n_groups):
        p = int(block.group_pair[g])
        for s in block.reach[p]:
            for j in range(int(block.group_first[g]), int(block.group_last[g]) + 1):
                n = int(block.n_events[s, j])
                if n > 0:
                    keys.append((g, s, j))
                    ubs.append(min(int(size[g]), n))
    cols = spec.add_vars("x", keys, 0.0, [float(u) for u in ubs], True, cost=1.0)
    idx.x = dict(zip(keys, cols.tolist(), strict=True))
    idx.accepted = cols.tolist()
    by_slot: Slots = {}
    by_group: dict[int, list[int]] = {}
    for (g, s, j), c in idx.x.items():
        by_slot.setdefault((s, j), {}).setdefault(int(block.group_pair[g]), []).append(c)
        by_group.setdefault(g, []).append(c)

    spec.row_block("demand")
    for g, cs in by_group.items():
        if sum(spec.col_ub[c] for c in cs) > size[g]:
            spec.add_row(cs, [1.0] * len(cs), -INF, float(size[g]))
    return by_slot


def _slot_paths(spec: LinearSpec, idx: SlotIndex, block: BlockData, s: int, j: int,
                groups_of: dict[int, list[int]], cst: SwitchCosts,
                pairs_t: list[tuple[int, ...]],
                cap_cols: dict[tuple[int, int], list[tuple[int, float]]],
                penalty: float) -> None:
    """The switch's path through the pairs served in slot ``j`` of source ``s``, and the
    links of the deliveries to the pairs visited."""
    nodes = sorted(groups_of)
    idx.nodes[(s, j)] = nodes
    n = int(block.n_events[s, j])
    if len(nodes) == 1:
        (p,) = nodes
        col = int(spec.add_vars("y", [(s, j, p)], 0.0, 1.0, True)[0])
        idx.y[(s, j, p)] = idx.f[(s, j, p)] = idx.l[(s, j, p)] = idx.z[(s, j)] = col
        cap_cols[(s, j)] = []
        if cst.walks:
            # a used slot delivers: an empty one between two changes would be a
            # transit move (harmless only when the costs are subadditive)
            spec.row_block("visits")
            xs = groups_of[p]
            spec.add_row([*xs, col], [1.0] * len(xs) + [-1.0], 0.0, INF)
    else:
        _path_nodes(spec, idx, s, j, nodes)
        arc_keys = [(s, j, p, q) for p in nodes for q in nodes if p != q]
        if cst.walks:
            acols, visits = _walk_visits(spec, idx, s, j, n, nodes, groups_of, arc_keys,
                                         penalty)
        else:
            acols = spec.add_vars("arc", arc_keys, 0.0, 1.0, True, cost=-penalty)
            visits = {p: idx.y[(s, j, p)] for p in nodes}
        cap_cols[(s, j)] = []
        for key, ac in zip(arc_keys, acols.tolist(), strict=True):
            idx.arc[key] = ac
            c = cst.dead(pairs_t[key[2]], pairs_t[key[3]])
            if c:
                cap_cols[(s, j)].append((ac, float(c)))
            idx.changes.append(ac)
            idx.change_coef.append(1.0)
        spec.row_block("degree")
        for p in nodes:
            outs = [idx.arc[(s, j, p, q)] for q in nodes if q != p]
            ins = [idx.arc[(s, j, q, p)] for q in nodes if q != p]
            spec.add_row([*outs, idx.l[s, j, p], visits[p]],
                         [1.0] * len(outs) + [1.0, -1.0], 0.0, 0.0)
            spec.add_row([*ins, idx.f[s, j, p], visits[p]],
                         [1.0] * len(ins) + [1.0, -1.0], 0.0, 0.0)
        if len(nodes) >= 3 and cst.walks:
            _connect_rows(spec, idx, s, j, nodes, arc_keys)
        elif len(nodes) >= 3:
            _order_rows(spec, idx, s, j, nodes)
    _link_rows(spec, idx, s, j, n, groups_of)


def _path_nodes(spec: LinearSpec, idx: SlotIndex, s: int, j: int, nodes: list[int]) -> None:
    """Visited, first and last pair of a slot with several pairs, and the slot's use."""
    ycols = spec.add_vars("y", [(s, j, p) for p in nodes], 0.0, 1.0, True)
    fcols = spec.add_vars("f", [(s, j, p) for p in nodes], 0.0, 1.0, True)
    lcols = spec.add_vars("l", [(s, j, p) for p in nodes], 0.0, 1.0, True)
    zc = int(spec.add_vars("z", [(s, j)], 0.0, 1.0, True)[0])
    idx.z[(s, j)] = zc
    for p, yc, fc, lc in zip(nodes, ycols.tolist(), fcols.tolist(), lcols.tolist(),
                             strict=True):
        idx.y[(s, j, p)] = yc
        idx.f[(s, j, p)] = fc
        idx.l[(s, j, p)] = lc
    spec.row_block("node")
    for yc, fc, lc in zip(ycols.tolist(), fcols.tolist(), lcols.tolist(), strict=True):
        spec.add_row([yc, zc], [1.0, -1.0], -INF, 0.0)
        spec.add_row([fc, yc], [1.0, -1.0], -INF, 0.0)
        spec.add_row([lc, yc], [1.0, -1.0], -INF, 0.0)
    spec.add_row([*ycols.tolist(), zc], [1.0] * len(nodes) + [-1.0], 0.0, INF)
    spec.add_row([*fcols.tolist(), zc], [1.0] * len(nodes) + [-1.0], 0.0, 0.0)
    spec.add_row([*lcols.tolist(), zc], [1.0] * len(nodes) + [-1.0], 0.0, 0.0)


def _walk_visits(spec: LinearSpec, idx: SlotIndex, s: int, j: int, n: int, nodes: list[int],
                 groups_of: dict[int, list[int]], arc_keys: list[tuple[int, int, int, int]],
                 penalty: float) -> tuple[np.ndarray, dict[int, int]]:
    """Arcs and visit counts of a slot under the paper's rule: a pair may be served in
    several runs of the slot: integer visits, each with at least one delivery, and arcs
    counting the changes between runs."""
    most = {p: min(n, int(sum(spec.col_ub[c] for c in groups_of[p]))) for p in nodes}
    arc_ub = [float(min(most[k[2]], most[k[3]])) for k in arc_keys]
    acols = spec.add_vars("arc", arc_keys, 0.0, arc_ub, True, cost=-penalty)
    kcols = spec.add_vars("visits", [(s, j, p) for p in nodes], 0.0,
                          [float(most[p]) for p in nodes], True)
    visits = dict(zip(nodes, kcols.tolist(), strict=True))
    idx.visits.update({(s, j, p): c for p, c in visits.items()})
    spec.row_block("visits")
    for p, kc in visits.items():
        yc = idx.y[(s, j, p)]
        spec.add_row([kc, yc], [1.0, -1.0], 0.0, INF)
        spec.add_row([kc, yc], [1.0, -float(most[p])], -INF, 0.0)
        xs = groups_of[p]
        spec.add_row([*xs, kc], [1.0] * len(xs) + [-1.0], 0.0, INF)
    return acols, visits


def _connect_rows(spec: LinearSpec, idx: SlotIndex, s: int, j: int, nodes: list[int],
                  arc_keys: list[tuple[int, int, int, int]]) -> None:
    """Balanced degrees make a walk once it is connected: a flow from the first node
    reaches every visited node (single-commodity flow)."""
    k = len(nodes)
    fl = spec.add_vars("flow", arc_keys, 0.0, float(k - 1), False)
    flow = dict(zip(arc_keys, fl.tolist(), strict=True))
    spec.row_block("connect")
    for key, fc in flow.items():
        spec.add_row([fc, idx.arc[key]], [1.0, -float(k - 1)], -INF, 0.0)
    for p in nodes:
        ins = [flow[(s, j, q, p)] for q in nodes if q != p]
        outs = [flow[(s, j, p, q)] for q in nodes if q != p]
        spec.add_row([*ins, *outs, idx.y[s, j, p], idx.f[s, j, p]],
                     [1.0] * len(ins) + [-1.0] * len(outs) + [-1.0, float(k)],
                     0.0, INF)
        for key in [(s, j, p, q) for q in nodes if q != p]:
            idx.flow[key] = flow[key]


def _order_rows(spec: LinearSpec, idx: SlotIndex, s: int, j: int, nodes: list[int]) -> None:
    """Positions that order a path through three or more pairs (no subtours)."""
    k = len(nodes)
    ocols = spec.add_vars("o", [(s, j, p) for p in nodes], 0.0, float(k - 1), False)
    opos = dict(zip(nodes, ocols.tolist(), strict=True))
    for p, oc in opos.items():
        idx.order[(s, j, p)] = oc
    spec.row_block("order")
    for p in nodes:
        for q in nodes:
            if p != q:
                spec.add_row([opos[q], opos[p], idx.arc[(s, j, p, q)]],
                             [1.0, -1.0, -float(k)], 1.0 - k, INF)


def _link_rows(spec: LinearSpec, idx: SlotIndex, s: int, j: int, n: int,
               groups_of: dict[int, list[int]]) -> None:
    """Facility-location links: a pair delivers in a slot only if the path visits it."""
    spec.row_block("link")
    for p, cs in groups_of.items():
        yc = idx.y[(s, j, p)]
        for c in cs:
            spec.add_row([c, yc], [1.0, -spec.col_ub[c]], -INF, 0.0)
    spec.row_block("link_pair")
    for p, cs in groups_of.items():
        if len(cs) > 1:
            total = min(n, int(sum(spec.col_ub[c] for c in cs)))
            spec.add_row([*cs, idx.y[s, j, p]], [1.0] * len(cs) + [-float(total)],
                         -INF, 0.0)


def _changes_between_slots(spec: LinearSpec, idx: SlotIndex, block: BlockData,
                           costs: tuple[SwitchCosts, ...],
                           cap_cols: dict[tuple[int, int], list[tuple[int, float]]],
                           penalty: float) -> None:
    """Rows for every change from a used slot to a later one close enough to matter."""
    rel = _pair_relation(block.pairs)
    n_src, n_slots = block.n_events.shape
    for s in range(n_src):
        cst = costs[s]
        c_min = min(cst.c_shared, cst.c_disjoint)
        c_top = max(cst.c_shared, cst.c_disjoint)
        active = [j for j in range(n_slots) if (s, j) in idx.nodes]
        ev = block.n_events[s]
        for i in active:
            between = 0
            skipped: list[int] = []
            for m in range(i + 1, n_slots):
                if (s, m) in idx.nodes:
                    _boundary(spec, idx, block, s, i, m, skipped, between, cst, c_min, c_top,
                              rel, cap_cols, penalty)
                    skipped = [*skipped, m]
                between += int(ev[m])
                if between >= c_top:
                    break


def _capacity_rows(spec: LinearSpec, idx: SlotIndex, block: BlockData, by_slot: Slots,
                   cap_cols: dict[tuple[int, int], list[tuple[int, float]]],
                   switching: bool) -> None:
    """The events of every slot bound its deliveries, dead events and boundary events."""
    spec.row_block("capacity")
    for (s, j), groups_of in sorted(by_slot.items()):
        n = int(block.n_events[s, j])
        xs = [c for cs in groups_of.values() for c in cs]
        extra = cap_cols.get((s, j), [])
        used = sum(spec.col_ub[c] for c in xs) + sum(v * spec.col_ub[c] for c, v in extra)
        if used <= n:
            continue
        if not switching:
            spec.add_row(xs, [1.0] * len(xs), -INF, float(n))
            continue
        spec.add_row(xs + [c for c, _ in extra] + [idx.z[(s, j)]],
                     [1.0] * len(xs) + [v for _, v in extra] + [-float(n)], -INF, 0.0)


def _memory_rows(spec: LinearSpec, idx: SlotIndex, block: BlockData,
                 capacity: np.ndarray) -> None:
    """Pairs held at a QPU with a communication-qubit limit, slot by slot."""
    finite = capacity < np.iinfo(np.int64).max // 8
    if not finite.any():
        return
    pairs_t = [tuple(p) for p in block.pairs.tolist()]
    rows: dict[tuple[int, int], list[int]] = {}
    for (g, _s, j), c in idx.x.items():
        p = int(block.group_pair[g])
        for q in pairs_t[p]:
            if not finite[q]:
                continue
            for i in range(j, int(block.group_last[g]) + 1):
                rows.setdefault((q, i), []).append(c)
    spec.row_block("memory")
    for (q, _i), cs in sorted(rows.items()):
        if sum(spec.col_ub[c] for c in cs) > capacity[q]:
            spec.add_row(cs, [1.0] * len(cs), -INF, float(capacity[q]))


def _boundary(spec: LinearSpec, idx: SlotIndex, block: BlockData, s: int, i: int, j: int,
              skipped: list[int], between: int, cst: SwitchCosts, c_min: int, c_top: int,
              rel: np.ndarray, cap_cols: dict[tuple[int, int], list[tuple[int, float]]],
              penalty: float) -> None:
    """Rows for a change from the last node of slot ``i`` to the first of slot ``j``
    when the slots strictly between (``skipped``) serve nothing."""
    pi, pj = idx.nodes[(s, i)], idx.nodes[(s, j)]
    v = int(spec.add_vars("v", [(s, i, j)], 0.0, 1.0, False, cost=-penalty)[0])
    idx.v[(s, i, j)] = v
    idx.skipped[(s, i, j)] = (list(skipped), between)
    spec.row_block("consecutive")
    zs = [idx.z[(s, m)] for m in skipped]
    spec.add_row([v, idx.z[s, i], idx.z[s, j], *zs], [1.0, -1.0, -1.0] + [1.0] * len(zs),
                 -1.0, INF)
    common = sorted(set(pi) & set(pj))
    ccols = spec.add_vars("cont", [(s, i, j, p) for p in common], 0.0, 1.0, False,
                          cost=penalty).tolist()
    spec.row_block("keep")
    for p, cc in zip(common, ccols, strict=True):
        idx.cont[(s, i, j, p)] = cc
        spec.add_row([cc, idx.l[(s, i, p)]], [1.0, -1.0], -INF, 0.0)
        spec.add_row([cc, idx.f[(s, j, p)]], [1.0, -1.0], -INF, 0.0)
    if ccols:
        spec.add_row([*ccols, v], [1.0] * len(ccols) + [-1.0], -INF, 0.0)
    idx.changes.append(v)
    idx.change_coef.append(1.0)
    for cc in ccols:
        idx.changes.append(cc)
        idx.change_coef.append(-1.0)
    if c_top <= between:
        return
    bm = int(spec.add_vars("b", [(s, i, j, "end")], 0.0, float(block.n_events[s, i]), False)[0])
    bp = int(spec.add_vars("b", [(s, i, j, "start")], 0.0, float(block.n_events[s, j]),
                           False)[0])
    idx.b[(s, i, j)] = (bm, bp)
    cap_cols.setdefault((s, i), []).append((bm, 1.0))
    cap_cols.setdefault((s, j), []).append((bp, 1.0))
    spec.row_block("boundary")
    if c_min > between:
        spec.add_row([bm, bp, v, *ccols], [1.0, 1.0, -float(c_min)] + [float(c_min)] * len(ccols),
                     -float(between), INF)
    for kind, c in ((1, cst.c_shared), (0, cst.c_disjoint)):
        if c <= c_min or c <= between:
            continue
        for p in pi:
            others = [q for q in pj if rel[p, q] == kind]
            if not others:
                continue
            fs = [idx.f[(s, j, q)] for q in others]
            spec.add_row([bm, bp, idx.l[s, i, p], v, *fs],
                         [1.0, 1.0, -float(c), -float(c)] + [-float(c)] * len(fs),
                         -2.0 * c - between, INF)


def column_slots(spec: LinearSpec) -> tuple[np.ndarray, np.ndarray]:
    """First and last slot each column of a slot model belongs to (for windows)."""
    lo = np.zeros(spec.n_cols, dtype=np.int64)
    hi = np.zeros(spec.n_cols, dtype=np.int64)
    for name, (cols, keys) in spec.var_blocks.items():
        if not cols:
            continue
        c = np.asarray(cols, dtype=np.int64)
        if name == "x":
            a = np.array([k[2] for k in keys])
            lo[c], hi[c] = a, a
        elif name in ("y", "f", "l", "o", "arc", "z", "visits", "flow"):
            a = np.array([k[1] for k in keys])
            lo[c], hi[c] = a, a
        else:  # v, cont, b: between slots i and j
            lo[c] = np.array([k[1] for k in keys])
            hi[c] = np.array([k[2] for k in keys])
    return lo, hi
