"""Figures without global state, and the drawing tools every picture shares.

:func:`subplots` makes a :class:`matplotlib.figure.Figure` that belongs to no pyplot
window and needs no backend choice, so drawing a figure never changes the backend of the
program that called it (a notebook, a GUI) and the figure is freed with its last
reference.  ``fig.savefig`` writes PNG, SVG or PDF by the file's suffix.

Large plans are drawn as a few collections (one :class:`~matplotlib.collections.PolyCollection`
for every bar of a kind, one :class:`~matplotlib.collections.LineCollection` for every
tick), never as one artist per event: matplotlib's cost is per artist, so 10⁵ bars in one
collection draw in about the time of a few hundred separate rectangles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A new figure and its axes, as :func:`matplotlib.pyplot.subplots` returns them.

    Parameters
    ----------
    nrows, ncols
        Grid of axes.
    **kwargs
        ``figsize``, ``dpi`` and ``layout`` go to the figure; every other keyword
        (``sharex``, ``squeeze``, ``subplot_kw``, …) to :meth:`Figure.subplots`.

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    fig_kw = {k: kwargs.pop(k) for k in ("figsize", "dpi", "layout") if k in kwargs}
    fig = Figure(**fig_kw)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def axes_for(ax: Axes | None, figsize: tuple[float, float] = (9.0, 4.5)) -> Axes:
    """``ax``, or the axes of a new figure of ``figsize`` inches when it is None."""
    if ax is not None:
        return ax
    _, new = subplots(figsize=figsize, layout="constrained")
    return new


def rectangles(x0: Any, x1: Any, y0: Any, y1: Any) -> np.ndarray:
    """Vertices ``(n, 4, 2)`` of n axis-aligned rectangles, for a :class:`PolyCollection`."""
    x0, x1, y0, y1 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x0, x1, y0, y1)))
    verts = np.empty((len(x0), 4, 2))
    verts[:, 0, 0] = verts[:, 3, 0] = x0
    verts[:, 1, 0] = verts[:, 2, 0] = x1
    verts[:, 0, 1] = verts[:, 1, 1] = y0
    verts[:, 2, 1] = verts[:, 3, 1] = y1
    return verts


def add_bars(ax: Axes, x0: Any, x1: Any, y0: Any, y1: Any, *, label: str,
             autolim: bool = True, **style: Any) -> PolyCollection:
    """One collection of rectangles ``[x0, x1] × [y0, y1]`` (labelled for legends and tests).

    A bar narrower than the line width would vanish at the figure's resolution; an edge
    keeps it visible, so a bar of zero width drawn with an edge is a tick (and builds
    faster than a :class:`LineCollection`, whose segments matplotlib checks one by one).
    ``autolim=False`` leaves the data limits alone (for pictures that set their own:
    measuring 10⁵ bars costs a second).
    """
    coll = PolyCollection(rectangles(x0, x1, y0, y1), label=label, **style)
    coll.set_gid(label)
    ax.add_collection(coll, autolim=autolim)
    return coll


def add_segments(ax: Axes, x0: Any, y0: Any, x1: Any, y1: Any, *, label: str,
                 **style: Any) -> LineCollection:
    """One collection of straight segments ``(x0, y0) → (x1, y1)``."""
    x0, y0, x1, y1 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x0, y0, x1, y1)))
    segs = np.stack([np.stack([x0, y0], axis=-1), np.stack([x1, y1], axis=-1)], axis=1)
    coll = LineCollection(segs, label=label, **style)
    coll.set_gid(label)
    ax.add_collection(coll)
    return coll


def find(ax: Axes, label: str) -> Any:
    """The artist of ``ax`` labelled ``label`` (collections first, then lines), or None."""
    for artist in (*ax.collections, *ax.lines, *ax.patches):
        if artist.get_label() == label:
            return artist
    return None


TIME_UNITS = ((1e-15, "fs"), (1e-12, "ps"), (1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s"))


def time_unit(span_seconds: float) -> tuple[float, str]:
    """The unit (seconds per unit, name) in which a span of ``span_seconds`` reads best:
    the largest unit of which the span is at least one."""
    best = TIME_UNITS[0]
    for unit in TIME_UNITS:
        if span_seconds >= unit[0]:
            best = unit
    return best
