"""Family B pictures: the network with each tree of each request, and delivered beside
promised rates.

Nodes are drawn at their ``x``/``y`` (km).  Graph files keep positions as ``lat``/``lon``
only in the file, so when every node of an instance sits at the origin and the instance
came from a GML/GraphML file, positions are read back from it (longitude across,
latitude up; inserted repeaters evenly between their link's ends); failing that, a seeded
spring layout places the nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.plan import NetworkPlan, PlanTree
from qdcopt.plotting.figures import add_segments, axes_for


def positions(instance: NetworkInstance) -> tuple[dict[str, tuple[float, float]], str]:
    """Node id → (x, y), and the unit of the axes (``"km"``, ``"degrees"`` or ``""``)."""
    pos = {n.id: (float(n.x), float(n.y)) for n in instance.nodes}
    if len(set(pos.values())) == len(pos):
        return pos, "km"
    geo = _file_positions(instance)
    if geo is not None:
        return geo, "degrees"
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(n.id for n in instance.nodes)
    g.add_edges_from((instance.nodes[lk.u].id, instance.nodes[lk.v].id)
                     for lk in instance.links)
    layout = nx.spring_layout(g, seed=0)
    return {k: (float(v[0]), float(v[1])) for k, v in layout.items()}, ""


def _file_positions(instance: NetworkInstance) -> dict[str, tuple[float, float]] | None:
    """Positions from the lat/lon of the graph file the instance was read from."""
    from pathlib import Path

    file = Path(instance.file) if instance.file else None
    if file is None or file.suffix.lower() not in (".gml", ".graphml") or not file.is_file():
        return None
    import networkx as nx

    try:
        g = nx.read_gml(file, label="label") if file.suffix.lower() == ".gml" else (
            nx.read_graphml(file))
    except Exception:  # a file that no longer reads: fall back to a layout
        return None
    out: dict[str, tuple[float, float]] = {}
    for node, attrs in g.nodes(data=True):
        lat = next((attrs[k] for k in ("lat", "Latitude", "latitude") if k in attrs), None)
        lon = next((attrs[k] for k in ("lon", "Longitude", "longitude") if k in attrs), None)
        if lat is not None and lon is not None:
            out[str(attrs.get("label", node))] = (float(lon), float(lat))
            out.setdefault(str(node), (float(lon), float(lat)))
    for rep in instance.repeaters:
        if rep.u in out and rep.v in out:
            f = rep.position / rep.segments
            (xu, yu), (xv, yv) = out[rep.u], out[rep.v]
            out[rep.id] = (xu + f * (xv - xu), yu + f * (yv - yu))
    if any(n.id not in out for n in instance.nodes):
        return None
    return out


def route(tree: PlanTree) -> list[str]:
    """The nodes a tree's pairs cross, from the root's ``u`` to its ``v`` (its leaves in
    order, each a link)."""
    leaves: list[tuple[str, str]] = []
    # depth first, left before right, each node once: a plan file whose children point
    # back up or out of the tree is drawn as far as it makes sense (the validator judges it)
    stack, seen = ([0] if tree.nodes else []), set()
    while stack:
        i = stack.pop()
        if not 0 <= i < len(tree.nodes) or i in seen:
            continue
        seen.add(i)
        nd = tree.nodes[i]
        if nd.is_leaf:
            leaves.append((nd.u, nd.v))
        else:
            stack.extend([nd.right, nd.left])
    if not leaves:
        return []
    path = [tree.nodes[0].u]
    for u, v in leaves:
        if path[-1] == u:
            path.append(v)
        elif path[-1] == v:
            path.append(u)
        else:  # children stored the other way round: follow the leaf as written
            path.extend([u, v])
    return path


def network(instance: NetworkInstance, plan: NetworkPlan, ax: Axes | None = None,
            log_rates: bool | None = None) -> Axes:
    """The network with every tree of every request, coloured by its rate.

    Parameters
    ----------
    instance, plan
        A family-B instance and plan.
    ax
        Axes to draw on; a new figure's when None.
    log_rates
        Colour rates on a log scale (default: when they span more than a factor 100).

    Returns
    -------
    Axes
        With the collections ``links`` (one segment per link), ``trees`` (one line per
        tree, along its route, offset sideways so that trees sharing a link stay apart;
        coloured by pairs/s with a colour bar) and ``nodes`` (one marker per node;
        request ends are outlined).
    """
    pos, unit = positions(instance)
    ax = axes_for(ax, (8.0, 6.5))
    ids = [n.id for n in instance.nodes]
    xy = np.array([pos[i] for i in ids]) if ids else np.zeros((0, 2))
    extent = float(np.ptp(xy, axis=0).max()) if len(xy) > 1 else 1.0
    extent = extent or 1.0
    lu = [pos[ids[lk.u]] for lk in instance.links]
    lv = [pos[ids[lk.v]] for lk in instance.links]
    add_segments(ax, [p[0] for p in lu], [p[1] for p in lu], [p[0] for p in lv],
                 [p[1] for p in lv], label="links", colors="0.75", linewidths=1.0, zorder=1)

    lines, rates = [], []
    count = max(len(plan.trees), 1)
    for k, tree in enumerate(plan.trees):
        nodes = [n for n in route(tree) if n in pos]
        if len(nodes) < 2:
            continue
        pts = np.array([pos[n] for n in nodes], dtype=float)
        # a sideways shift per tree (within ±1 % of the drawing) keeps trees that share
        # links apart without hiding which links they use
        shift = (k - (count - 1) / 2) / count * 0.02 * extent
        lines.append(pts + _normal(pts) * shift)
        rates.append(tree.rate)
    r = np.array(rates, dtype=float)
    positive = r[r > 0]
    if log_rates is None:
        log_rates = len(positive) > 1 and positive.max() > 100 * positive.min()
    if log_rates and len(positive):
        norm: Normalize = LogNorm(positive.min(), positive.max())
        r = np.where(r > 0, r, positive.min())
    else:
        norm = Normalize(0.0, float(r.max()) if len(r) and r.max() > 0 else 1.0)
    trees = LineCollection(lines, array=r, cmap=colormaps["viridis"], norm=norm,
                           linewidths=2.0, alpha=0.9, label="trees", zorder=2)
    trees.set_gid("trees")
    ax.add_collection(trees)
    if lines:
        ax.figure.colorbar(trees, ax=ax, label="tree rate (pairs/s)", shrink=0.8)

    ends = {n for rq in instance.requests for n in (ids[rq.source], ids[rq.destination])}
    ends |= {ids[x] for g in getattr(instance, "ghz", ()) for x in g.nodes}  # GHZ parties
    edge = ["#c0392b" if i in ends else "white" for i in ids]
    # inserted repeaters are many and alike: small dots beside the named nodes
    repeaters = {r.id for r in instance.repeaters}
    size = [6 if i in repeaters else 36 for i in ids]
    nodes = ax.scatter(xy[:, 0], xy[:, 1], s=size, c="#34495e", edgecolors=edge,
                       linewidths=[0.3 if i in repeaters else 1.5 for i in ids], zorder=3,
                       label="nodes")
    nodes.set_gid("nodes")
    named = [(i, p) for i, p in zip(ids, xy, strict=True) if i not in repeaters]
    if len(named) <= 60:  # names stay readable on small networks only
        for i, (x, y) in named:
            ax.annotate(i, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    if unit:
        ax.set_xlabel("longitude (°)" if unit == "degrees" else "x (km)")
        ax.set_ylabel("latitude (°)" if unit == "degrees" else "y (km)")
    served = sum(1 for _, rate in plan.requests if rate > 0)
    ax.set_title(f"{instance.name}: {len(plan.trees)} trees, {served}/{len(plan.requests)} "
                 f"requests served — {plan.method}", fontsize=10)
    return ax


def _normal(pts: np.ndarray) -> np.ndarray:
    """Unit normal of a polyline at each of its points (average of its segments')."""
    d = np.diff(pts, axis=0)
    length = np.hypot(d[:, 0], d[:, 1])
    length[length == 0] = 1.0
    n = np.stack([-d[:, 1], d[:, 0]], axis=1) / length[:, None]
    out = np.zeros_like(pts)
    out[:-1] += n
    out[1:] += n
    norm = np.hypot(out[:, 0], out[:, 1])
    norm[norm == 0] = 1.0
    return out / norm[:, None]


def delivery(result: Any, ax: Axes | None = None) -> Axes:
    """Delivered beside promised rate per request, from a simulation.

    Parameters
    ----------
    result
        What :func:`qdcopt.simulate` returns (or its ``to_frame()``): per request
        ``promised_rate``, ``delivered_rate`` and its interval ``delivered_rate_low`` …
        ``delivered_rate_high``.
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    Axes
        Two bar containers, ``promised`` and ``delivered`` (one bar per request, the
        ``total`` row left out), the delivered bars with their confidence interval.
    """
    frame = result if isinstance(result, pd.DataFrame) else result.to_frame()
    frame = frame[frame["request"].astype(str) != "total"]
    ax = axes_for(ax, (max(5.0, 0.6 * len(frame) + 2.0), 4.0))
    x = np.arange(len(frame))
    promised = frame["promised_rate"].to_numpy(float)
    delivered = frame["delivered_rate"].to_numpy(float)
    low = frame.get("delivered_rate_low", frame["delivered_rate"]).to_numpy(float)
    high = frame.get("delivered_rate_high", frame["delivered_rate"]).to_numpy(float)
    err = np.vstack([np.maximum(delivered - low, 0), np.maximum(high - delivered, 0)])
    ax.bar(x - 0.2, promised, 0.4, label="promised", color="#95a5a6")
    ax.bar(x + 0.2, delivered, 0.4, yerr=err, capsize=3, label="delivered", color="#2c7fb8")
    ax.set_xticks(x, frame["request"].astype(str).tolist(),
                  rotation=45 if len(frame) > 8 else 0, ha="right" if len(frame) > 8 else "center")
    ax.set_ylabel("pairs/s")
    ax.legend(fontsize=8, frameon=False)
    policy = str(frame["policy"].iloc[0]) if "policy" in frame and len(frame) else ""
    seeds = int(frame["seeds"].iloc[0]) if "seeds" in frame and len(frame) else 0
    ax.set_title(f"delivered (95 % interval, {seeds} runs, {policy}) beside promised",
                 fontsize=10)
    return ax


def plot(instance: NetworkInstance, plan: NetworkPlan, ax: Axes | None = None,
         **_: Any) -> Axes:
    """The family's main picture (:func:`network`)."""
    return network(instance, plan, ax=ax)


def panels(instance: NetworkInstance, plan: NetworkPlan,
           simulation: Any = None) -> list[tuple[float, Any]]:
    """The family's pictures for one figure: ``(height in inches, draw(ax))`` each; the
    delivered rates beside the promised ones when a simulation is given."""
    out: list[tuple[float, Any]] = [(6.5, lambda ax: network(instance, plan, ax=ax))]
    if simulation is not None:
        out.append((3.5, lambda ax: delivery(simulation, ax=ax)))
    return out


__all__ = ["delivery", "network", "panels", "plot", "positions", "route"]
