"""Family D picture: the PGA schedule of one interval, per resource.

A schedule places PGAs (packet generation attempts) in the slots of one scheduling
interval; each PGA holds ``use`` communication qubits of every resource on its demand's
path for its duration.  Each resource gets a band of ``capacity`` lanes, and every PGA is
drawn on each of its resources in the lanes it holds there (lanes assigned first-fit in
start order, so a valid schedule never stacks two PGAs in one lane).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from qdcopt.plotting.figures import add_bars, axes_for
from qdcopt.service.interval import IntervalSchedule


def _lanes(starts: np.ndarray, ends: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """First lane of each interval when intervals take ``widths`` consecutive lanes,
    first-fit in start order (a lane frees at its interval's end)."""
    free_at: list[int] = []
    out = np.zeros(len(starts), dtype=np.int64)
    for i in np.argsort(starts, kind="stable").tolist():
        w = int(widths[i])
        lane = 0
        while True:
            if all(lane + j >= len(free_at) or free_at[lane + j] <= starts[i]
                   for j in range(w)):
                break
            lane += 1
        while len(free_at) < lane + w:
            free_at.append(0)
        for j in range(w):
            free_at[lane + j] = int(ends[i])
        out[i] = lane
    return out


def pga_schedule(plan: IntervalSchedule, ax: Axes | None = None) -> Axes:
    """The PGAs of one interval on each resource they hold.

    Parameters
    ----------
    plan
        A family-D interval schedule (it carries its interval problem).
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    Axes
        With the collection ``pgas``: one bar per (scheduled PGA, resource of its path),
        ``use`` lanes high, coloured by demand; each resource's band is ``capacity``
        lanes tall, its capacity marked by a dotted line.
    """
    p = plan.problem
    n_res = len(p.resource_names)
    cap = np.maximum(np.asarray(p.capacity, dtype=np.int64), 1)
    base = np.concatenate([[0], np.cumsum(cap + 1)])[:-1]   # a blank lane between bands
    x0, x1, y0, y1, colour = [], [], [], [], []
    # jobs the interval does not hold are the validator's to report; they are not drawn
    known = (plan.job >= 0) & (plan.job < p.n_jobs)
    jobs, starts, durations = plan.job[known], plan.start[known], plan.duration[known]
    demand_of = p.job_demand[jobs] if len(jobs) else np.zeros(0, np.int64)
    for r in range(n_res):
        sel, use = [], []
        for i, d in enumerate(demand_of.tolist()):
            path = p.demand_resources[d]
            if r in path:
                sel.append(i)
                use.append(p.demand_use[d][path.index(r)])
        if not sel:
            continue
        s = starts[sel].astype(np.int64)
        e = s + durations[sel].astype(np.int64)
        w = np.array(use, dtype=np.int64)
        lane = _lanes(s, e, w)
        x0.extend(s.tolist())
        x1.extend(e.tolist())
        y0.extend((base[r] + lane).tolist())
        y1.extend((base[r] + lane + w).tolist())
        colour.extend(demand_of[sel].tolist())
    ax = axes_for(ax, (10.0, max(2.5, 0.18 * float(base[-1] + cap[-1]) + 1.5) if n_res else 3))
    slot = p.slot_seconds
    colours = [f"C{d % 10}" for d in colour]
    add_bars(ax, np.array(x0, float) * slot, np.array(x1, float) * slot, np.array(y0, float),
             np.array(y1, float), label="pgas", autolim=False, facecolor=colours,
             edgecolor="white", linewidth=0.5)
    for r in range(n_res):
        ax.axhline(base[r] + cap[r], color="0.5", linestyle=":", linewidth=0.6)
    ax.set_yticks([base[r] + cap[r] / 2 for r in range(n_res)],
                  [f"{p.resource_names[r]} ({int(p.capacity[r])})" for r in range(n_res)])
    top = float(base[-1] + cap[-1]) if n_res else 1.0
    ax.set_ylim(top + 0.5, -0.5)
    ax.set_xlim(0, p.n_slots * slot)
    ax.set_xlabel("time in the interval (s)")
    on = int((np.bincount(demand_of, minlength=p.n_demands) >= p.min_pgas).sum())
    ax.set_title(f"PGA schedule per resource — {plan.method}: {len(jobs)} of {p.n_jobs} "
                 f"PGAs, {on}/{p.n_demands} demands on track", fontsize=10)
    shown = sorted(set(colour))
    if shown and len(shown) <= 12:
        ax.legend(handles=[Patch(color=f"C{d % 10}", label=str(p.demand_ids[d]))
                           for d in shown], title="demand", loc="upper left",
                  bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def plot(instance: Any, plan: IntervalSchedule, ax: Axes | None = None, **_: Any) -> Axes:
    """The family's main picture (:func:`pga_schedule`; the plan carries its interval)."""
    return pga_schedule(plan, ax=ax)


def panels(instance: Any, plan: IntervalSchedule,
           simulation: Any = None) -> list[tuple[float, Any]]:
    """The family's pictures for one figure: ``(height in inches, draw(ax))`` each."""
    lanes = int(np.maximum(plan.problem.capacity, 1).sum()) + len(plan.problem.capacity)
    return [(min(0.18 * lanes + 1.5, 12.0), lambda ax: pga_schedule(plan, ax=ax))]
