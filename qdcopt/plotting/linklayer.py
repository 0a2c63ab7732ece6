"""Family C pictures: when each link generates, and how long each request waited.

A link-layer plan holds one generation ``[start, finish)`` per served request of a
realised arrival trace; the trace (realised again from the instance, as the validator
does) says when each request arrived, so latency is ``finish − arrival``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from qdcopt.errors import InstanceError
from qdcopt.linklayer.instance import MAX_TRACE_REQUESTS, LinkInstance, trace_requests
from qdcopt.linklayer.plan import LinkPlan
from qdcopt.linklayer.trace import Trace, realise_trace
from qdcopt.plotting.figures import add_bars, axes_for, time_unit


def _trace(instance: LinkInstance, plan: LinkPlan) -> Trace:
    """The trace the plan names, refused (as the validator refuses it) when too long to
    realise."""
    expected = trace_requests(instance, plan.trace_duration)
    if expected > MAX_TRACE_REQUESTS:
        raise InstanceError("plan.json", "trace_duration",
                            f"{plan.trace_duration:g} s gives up to {expected:.3g} requests on "
                            f"this instance; a trace holds at most {MAX_TRACE_REQUESTS:.0e}")
    return realise_trace(instance, plan.trace_duration, plan.trace_seed, plan.trace_arrivals)


def _rows(instance: LinkInstance, plan: LinkPlan, trace: Trace) -> tuple[list[str], np.ndarray]:
    """Row names (one per link) and the row of each execution of the plan."""
    names = [f"{instance.nodes[u]}–{instance.nodes[v]}" for u, v in instance.edges]
    by_id = {r.id: r for r in trace.requests}
    ends = {frozenset((instance.nodes[u], instance.nodes[v])): e
            for e, (u, v) in enumerate(instance.edges)}
    rows = []
    for x in plan.executions:
        r = by_id.get(x.request)
        rows.append(r.edge if r is not None else ends.get(frozenset((x.u, x.v)), -1))
    return names, np.array(rows, dtype=np.int64)


def attempt_windows(instance: LinkInstance, plan: LinkPlan, ax: Axes | None = None) -> Axes:
    """Each link's generation windows, and each request's wait before it.

    Parameters
    ----------
    instance, plan
        A family-C instance and plan.
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    Axes
        With the collections ``generating`` (one bar per execution, on its link's row,
        from start to finish: the attempts) and ``waiting`` (one thin bar per execution,
        from its request's arrival to its start).
    """
    trace = _trace(instance, plan)
    names, rows = _rows(instance, plan, trace)
    created = {r.id: r.created for r in trace.requests}
    keep = rows >= 0
    ex = [x for x, k in zip(plan.executions, keep.tolist(), strict=True) if k]
    rows = rows[keep].astype(float)
    start = np.array([x.start for x in ex], dtype=float)
    finish = np.array([x.finish for x in ex], dtype=float)
    arrive = np.array([created.get(x.request, x.start) for x in ex], dtype=float)
    end = max(float(finish.max()) if len(finish) else 0.0, plan.trace_duration)
    scale, unit = time_unit(end)
    ax = axes_for(ax, (10.0, max(2.5, 0.35 * len(names) + 1.5)))
    add_bars(ax, arrive / scale, start / scale, rows - 0.08, rows + 0.08, label="waiting",
             autolim=False, facecolor="#f39c12", edgecolor="none")
    add_bars(ax, start / scale, finish / scale, rows - 0.35, rows + 0.35, label="generating",
             autolim=False, facecolor="#2c7fb8", edgecolor="#2c7fb8", linewidth=0.3)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, end / scale * 1.01)
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(f"{instance.name}: generation per link — {plan.method}, "
                 f"{len(ex)} of {len(trace.requests)} requests served", fontsize=10)
    ax.legend(handles=[Patch(color="#2c7fb8", label="generating (attempts)"),
                       Patch(color="#f39c12", label="waiting since arrival")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def latencies(instance: LinkInstance, plan: LinkPlan) -> tuple[np.ndarray, np.ndarray]:
    """Arrival time and latency (``finish − arrival``, seconds) of each served request, in
    the plan's order."""
    trace = _trace(instance, plan)
    created = {r.id: r.created for r in trace.requests}
    served = [x for x in plan.executions if x.request in created]
    arrive = np.array([created[x.request] for x in served], dtype=float)
    finish = np.array([x.finish for x in served], dtype=float)
    return arrive, finish - arrive


def latency(instance: LinkInstance, plan: LinkPlan, ax: Axes | None = None) -> Axes:
    """Each request's latency against its arrival time.

    Parameters
    ----------
    instance, plan
        A family-C instance and plan.
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    Axes
        With ``latency`` (one marker per served request) and a horizontal line ``mean``
        at the mean latency (the validator's objective).
    """
    arrive, lat = latencies(instance, plan)
    scale, unit = time_unit(float(arrive.max()) if len(arrive) else plan.trace_duration)
    ax = axes_for(ax, (9.0, 4.0))
    pts = ax.scatter(arrive / scale, lat * 1e3, s=10, color="#2c7fb8", label="latency")
    pts.set_gid("latency")
    if len(lat):
        ax.axhline(lat.mean() * 1e3, color="#c0392b", linestyle="--", linewidth=1.0,
                   label="mean")
    ax.set_xlabel(f"arrival ({unit})")
    ax.set_ylabel("latency (ms)")
    mean = f"{lat.mean() * 1e3:.3g} ms" if len(lat) else "—"
    ax.set_title(f"{instance.name}: latency per request — {plan.method}, mean {mean}",
                 fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot(instance: LinkInstance, plan: LinkPlan, ax: Axes | None = None, **_: Any) -> Axes:
    """The family's main picture (:func:`attempt_windows`)."""
    return attempt_windows(instance, plan, ax=ax)


def panels(instance: LinkInstance, plan: LinkPlan,
           simulation: Any = None) -> list[tuple[float, Any]]:
    """The family's pictures for one figure: ``(height in inches, draw(ax))`` each."""
    return [(0.35 * len(instance.edges) + 1.3,
             lambda ax: attempt_windows(instance, plan, ax=ax)),
            (3.0, lambda ax: latency(instance, plan, ax=ax))]
