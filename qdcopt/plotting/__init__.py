"""Figures without global state: every picture qdcopt draws starts here.

:func:`subplots` makes a :class:`matplotlib.figure.Figure` that belongs to no pyplot
window and needs no backend choice, so drawing a study's figure never changes the
backend of the program that called it (a notebook, a GUI) and the figure is freed with
its last reference.  ``fig.savefig`` writes PNG, SVG or PDF by the file's suffix.
"""

from __future__ import annotations

from typing import Any

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


__all__ = ["subplots"]
