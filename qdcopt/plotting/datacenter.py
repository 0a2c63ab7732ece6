"""Family A pictures: the switch Gantt of each source and the memory of each QPU.

:func:`switch_gantt` draws one row per (source, QPU pair): when the switch is set to the
pair, its reconfigurations into the pair, the deliveries to the pair's requests, each
request's storage window ``[t_need − t_max, t_need]`` and the rejected requests.
:func:`memory_occupancy` draws the stored pairs of each QPU over time against its
communication qubits.  Both read the plan as the validator does: job shifts move need
times, and a job-level plan's requests are the ones its decisions imply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.validate import effective_need, running_sum_by_group
from qdcopt.plotting.figures import add_bars, axes_for, time_unit
from qdcopt.timebase import TICK_SECONDS

COLOURS = {"configured": "#cfe3f5", "reconfiguring": "#7f7f7f", "window": "#f2c14e",
           "delivery": "#1f4e9c", "rejected": "#c0392b"}


@dataclass(frozen=True)
class _Timeline:
    """The plan in arrays the pictures share (times in ticks)."""

    instance: DatacenterInstance
    t_need: np.ndarray           # per request, shifts applied
    d_req: np.ndarray            # per delivery: request index
    d_src: np.ndarray            # per delivery: source index
    d_time: np.ndarray           # per delivery: tick
    rejected: np.ndarray         # request indices
    end: int                     # last tick worth drawing


def timeline(instance: DatacenterInstance, plan: DatacenterPlan) -> _Timeline:
    """The arrays both pictures draw from; ids the instance lacks are left out (the
    validator reports them)."""
    if plan.is_job_level:
        from qdcopt.datacenter.demand.decisions import derive_plan

        instance = derive_plan(instance, plan).instance
    req = instance.requests
    index = req.index()
    sidx = instance.source_index()
    t_need = effective_need(instance, plan)
    d_req = np.array([index.get(r, -1) for r in plan.delivery_request.tolist()], dtype=np.int64)
    d_src = np.array([sidx.get(s, -1) for s in plan.delivery_source.tolist()], dtype=np.int64)
    ok = (d_req >= 0) & (d_src >= 0)
    d_req, d_src, event = d_req[ok], d_src[ok], plan.delivery_event[ok]
    starts = np.array([s.start for s in instance.sources], dtype=np.int64)
    periods = np.array([s.period for s in instance.sources], dtype=np.int64)
    d_time = starts[d_src] + event * periods[d_src] if len(d_src) else np.zeros(0, np.int64)
    rejected = np.array([index.get(r, -1) for r in plan.rejected_request.tolist()],
                        dtype=np.int64)
    rejected = rejected[rejected >= 0]
    rc = plan.reconfigurations
    ends = [int(t_need.max()) if len(t_need) else 0, int(d_time.max()) if len(d_time) else 0,
            int(rc.end.max()) if len(rc) else 0]
    return _Timeline(instance, t_need, d_req, d_src, d_time, rejected, max(ends) or 1)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


def switch_gantt(instance: DatacenterInstance, plan: DatacenterPlan, source: str | None = None,
                 ax: Axes | None = None) -> Axes:
    """The switch Gantt: one row per source and QPU pair.

    Parameters
    ----------
    instance
        The instance the plan is for.
    plan
        A family-A plan.
    source
        Draw only this source's rows (default: every source).
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    Axes
        With the collections labelled ``configured`` (the switch set to the row's pair),
        ``reconfiguring`` (one bar per reconfiguration, in the row of the pair it moves
        to), ``windows`` (one bar per request: ``[t_need − t_max, t_need]``),
        ``deliveries`` (one tick per delivery: a bar of zero width) and ``rejected``
        (one marker per rejected request, at its need time).  A request is drawn in the
        row of the source that serves it; an unserved one in the first source whose
        switch reaches both its QPUs, or in a row ``no source`` when none does.
    """
    tl = timeline(instance, plan)
    inst = tl.instance
    req = inst.requests
    sidx = inst.source_index()
    if source is not None and source not in sidx:
        raise ValueError(f"source {source!r} is not in the instance (sources: "
                         f"{', '.join(sidx)})")
    shown = [sidx[source]] if source is not None else list(range(len(inst.sources)))
    qidx = inst.qpu_index()

    # the source each request is drawn with: its server, else the first that reaches it
    owner = np.full(len(req), -1, dtype=np.int64)
    owner[tl.d_req] = tl.d_src
    ports = [set(s.ports) for s in inst.sources]
    for i in np.flatnonzero(owner < 0).tolist():
        for k, p in enumerate(ports):
            if int(req.a[i]) in p and int(req.b[i]) in p:
                owner[i] = k
                break

    # switch states: (source, pair, start, end) for configured spans and reconfigurations
    rc = plan.reconfigurations
    spans: list[tuple[int, tuple[int, int], int, int]] = []
    moves: list[tuple[int, tuple[int, int], int, int]] = []
    for k in shown:
        sid = inst.sources[k].id
        sel = np.flatnonzero(rc.source == sid)
        sel = sel[np.argsort(rc.start[sel], kind="stable")]
        init = plan.initial.get(sid)
        state = _pair(qidx[init[0]], qidx[init[1]]) if init and all(
            q in qidx for q in init) else None
        since = 0
        for j in sel.tolist():
            if rc.to_a[j] not in qidx or rc.to_b[j] not in qidx:
                continue
            if state is not None:
                spans.append((k, state, since, int(rc.start[j])))
            state = _pair(qidx[rc.to_a[j]], qidx[rc.to_b[j]])
            moves.append((k, state, int(rc.start[j]), int(rc.end[j])))
            since = int(rc.end[j])
        if state is not None:
            spans.append((k, state, since, tl.end))

    # rows: every (source, pair) with a state, a delivery or a request of its own
    keys: set[tuple[int, tuple[int, int]]] = {(k, p) for k, p, _, _ in spans + moves}
    req_pair = [_pair(int(a), int(b)) for a, b in zip(req.a, req.b, strict=True)]
    mine = np.flatnonzero(np.isin(owner, shown)) if source is not None else np.arange(len(req))
    keys.update((int(owner[i]), req_pair[i]) for i in mine.tolist())
    ordered = sorted(keys, key=lambda kp: (kp[0] < 0, kp[0], kp[1]))
    row = {kp: r for r, kp in enumerate(ordered)}

    def label(kp: tuple[int, tuple[int, int]]) -> str:
        pair = inst.pair_name(*kp[1])
        if kp[0] < 0:
            return f"no source · {pair}"
        return pair if len(shown) == 1 else f"{inst.sources[kp[0]].id} · {pair}"

    scale, unit = time_unit(tl.end * TICK_SECONDS)
    per_tick = TICK_SECONDS / scale
    ax = axes_for(ax, (10.0, max(2.5, 0.35 * len(ordered) + 1.5)))

    def rows(items: list[tuple[int, tuple[int, int], int, int]]) -> tuple[np.ndarray, ...]:
        y = np.array([row[(k, p)] for k, p, _, _ in items], dtype=float)
        t0 = np.array([a for _, _, a, _ in items], dtype=float) * per_tick
        t1 = np.array([b for _, _, _, b in items], dtype=float) * per_tick
        return y, t0, t1

    y, t0, t1 = rows(spans)
    add_bars(ax, t0, t1, y - 0.4, y + 0.4, label="configured", autolim=False,
             facecolor=COLOURS["configured"], edgecolor="none")
    y, t0, t1 = rows(moves)
    add_bars(ax, t0, t1, y - 0.4, y + 0.4, label="reconfiguring", autolim=False,
             facecolor=COLOURS["reconfiguring"], edgecolor=COLOURS["reconfiguring"],
             linewidth=0.5)
    # windows of the requests drawn here: a thin band under the row's centre
    wy = np.array([row[(int(owner[i]), req_pair[i])] for i in mine.tolist()], dtype=float)
    need = tl.t_need[mine].astype(float)
    add_bars(ax, (need - inst.t_max) * per_tick, need * per_tick, wy - 0.32, wy - 0.12,
             label="windows", autolim=False, facecolor=COLOURS["window"], edgecolor="none",
             alpha=0.8)
    keep = np.isin(tl.d_src, shown)
    dy = np.array([row[(int(k), req_pair[i])] for i, k in
                   zip(tl.d_req[keep].tolist(), tl.d_src[keep].tolist(), strict=True)],
                  dtype=float)
    dt = tl.d_time[keep].astype(float) * per_tick
    add_bars(ax, dt, dt, dy - 0.1, dy + 0.38, label="deliveries", autolim=False,
             facecolor=COLOURS["delivery"], edgecolor=COLOURS["delivery"], linewidth=1.5,
             zorder=3)
    rej = tl.rejected[np.isin(owner[tl.rejected], shown) | (source is None)]
    ry = np.array([row[(int(owner[i]), req_pair[i])] for i in rej.tolist()], dtype=float)
    ax.scatter(tl.t_need[rej].astype(float) * per_tick, ry, marker="x", s=28,
               color=COLOURS["rejected"], linewidths=1.2, label="rejected", zorder=3)

    ax.set_yticks(range(len(ordered)), [label(kp) for kp in ordered])
    ax.set_ylim(len(ordered) - 0.5, -0.5)
    # a margin on both sides keeps deliveries at time 0 and at the end visible
    ax.set_xlim(-0.01 * tl.end * per_tick, tl.end * per_tick * 1.01)
    ax.set_xlabel(f"time ({unit})")
    title = f"switch of {source}" if source is not None else "switches"
    ax.set_title(f"{inst.name}: {title} — {plan.method}, {int(keep.sum())} deliveries, "
                 f"{len(rej)} rejected", fontsize=10)
    ax.legend(handles=[Patch(color=COLOURS["configured"], label="set to pair"),
                       Patch(color=COLOURS["reconfiguring"], label="reconfiguring"),
                       Patch(color=COLOURS["window"], label="window t_need − t_max … t_need"),
                       Line2D([], [], color=COLOURS["delivery"], label="delivery"),
                       Line2D([], [], color=COLOURS["rejected"], marker="x", linestyle="",
                              label="rejected")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def occupancy(instance: DatacenterInstance, plan: DatacenterPlan) -> list[tuple[np.ndarray,
                                                                                 np.ndarray]]:
    """Stored pairs of each QPU as a step function: ``(times, levels)`` per QPU, the level
    holding from each time to the next (a pair is held from its delivery to its need
    time, both included, as the validator counts it)."""
    tl = timeline(instance, plan)
    req = tl.instance.requests
    out = []
    qpu = np.concatenate([req.a[tl.d_req], req.b[tl.d_req]]).astype(np.int64)
    start = np.concatenate([tl.d_time, tl.d_time])
    stop = np.concatenate([tl.t_need[tl.d_req], tl.t_need[tl.d_req]]) + 1
    times = np.concatenate([start, stop])
    delta = np.concatenate([np.ones(len(start), np.int64), -np.ones(len(stop), np.int64)])
    q = np.concatenate([qpu, qpu])
    order = np.lexsort((-delta, times, q))
    q, times, delta = q[order], times[order], delta[order]
    level = running_sum_by_group(delta, q)
    for k in range(tl.instance.n_qpus):
        sel = q == k
        t, lv = times[sel], level[sel]
        # the level after the last event of each instant, and only where it changes:
        # the same steps with far fewer points (what a 10⁴-delivery figure writes)
        last = np.r_[t[1:] != t[:-1], True] if len(t) else np.zeros(0, bool)
        t, lv = t[last], lv[last]
        change = np.r_[True, lv[1:] != lv[:-1]] if len(t) else np.zeros(0, bool)
        out.append((t[change], lv[change]))
    return out


def memory_occupancy(instance: DatacenterInstance, plan: DatacenterPlan,
                     ax: Axes | None = None) -> Axes:
    """Stored pairs per QPU over time, one band per QPU.

    Parameters
    ----------
    instance, plan
        A family-A instance and plan.
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    Axes
        One filled step polygon per QPU (label ``memory <qpu id>``), the first QPU on top:
        band ``k`` rises from ``k + 0.9`` to ``k + 0.9 − 0.85 · level / communication
        qubits`` (over the QPU's peak when its qubits are unlimited) on the inverted y
        axis; a dotted line marks the capacity.
    """
    tl = timeline(instance, plan)
    inst = tl.instance
    levels = occupancy(instance, plan)
    scale, unit = time_unit(tl.end * TICK_SECONDS)
    per_tick = TICK_SECONDS / scale
    ax = axes_for(ax, (10.0, max(2.5, 0.45 * inst.n_qpus + 1.5)))
    labels = []
    for k, (qpu, (times, level)) in enumerate(zip(inst.qpus, levels, strict=True)):
        peak = int(level.max()) if len(level) else 0
        cap = qpu.comm_qubits if qpu.comm_qubits is not None else max(peak, 1)
        # the step outline: along the top from each change to the next, then back
        # along the base in one stroke (two points, not one per event)
        x = np.concatenate([[0.0], times.astype(float) * per_tick, [tl.end * per_tick]])
        y = k + 0.9 - 0.85 * np.concatenate([[0], level]).astype(float) / cap
        top = np.empty((2 * len(y), 2))
        top[0::2, 0], top[1::2, 0] = x[:-1], x[1:]
        top[0::2, 1] = top[1::2, 1] = y
        outline = np.vstack([top, [[x[-1], k + 0.9], [x[0], k + 0.9]]])
        # add_artist, not add_patch: the limits are set below, and add_patch would walk
        # every vertex to update them
        ax.add_artist(Polygon(outline, closed=True, facecolor=f"C{k % 10}", alpha=0.6,
                              linewidth=0, label=f"memory {qpu.id}"))
        ax.axhline(k + 0.05, color="0.4", linestyle=":", linewidth=0.6)
        shown_cap = "∞" if qpu.comm_qubits is None else str(qpu.comm_qubits)
        labels.append(f"{qpu.id} (peak {peak}/{shown_cap})")
    ax.set_yticks([k + 0.48 for k in range(inst.n_qpus)], labels)
    ax.set_ylim(inst.n_qpus, 0)
    ax.set_xlim(-0.01 * tl.end * per_tick, tl.end * per_tick * 1.01)
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(f"{inst.name}: stored pairs per QPU against its communication qubits — "
                 f"{plan.method}", fontsize=10)
    return ax


def plot(instance: DatacenterInstance, plan: DatacenterPlan, ax: Axes | None = None,
         **_: Any) -> Axes:
    """The family's main picture (:func:`switch_gantt` of every source)."""
    return switch_gantt(instance, plan, ax=ax)


def panels(instance: DatacenterInstance, plan: DatacenterPlan,
           simulation: Any = None) -> list[tuple[float, Any]]:
    """The family's pictures for one figure: ``(height in inches, draw(ax))`` each."""
    inst = timeline(instance, plan).instance
    rows = len({(a, b) for a, b in zip(inst.requests.a.tolist(), inst.requests.b.tolist(),
                                      strict=True)}) * max(len(inst.sources), 1)
    return [(min(0.3 * rows + 1.2, 12.0), lambda ax: switch_gantt(instance, plan, ax=ax)),
            (0.4 * inst.n_qpus + 1.2, lambda ax: memory_occupancy(instance, plan, ax=ax))]
