"""Pictures of plans, one function per picture, and figures without global state.

Every picture takes an optional matplotlib ``Axes`` and returns the one it drew on (a new
figure's when none is given), so pictures compose into any layout::

    from qdcopt.plotting import plot_plan, subplots
    from qdcopt.plotting.datacenter import memory_occupancy

    fig, (top, bottom) = subplots(2, 1, figsize=(10, 7), layout="constrained")
    plot_plan(instance, plan, ax=top)          # the family's main picture
    memory_occupancy(instance, plan, ax=bottom)
    fig.savefig("plan.svg")

Pictures by family: :mod:`~qdcopt.plotting.datacenter` (``switch_gantt``,
``memory_occupancy``), :mod:`~qdcopt.plotting.network` (``network``, ``delivery``),
:mod:`~qdcopt.plotting.linklayer` (``attempt_windows``, ``latency``),
:mod:`~qdcopt.plotting.service` (``pga_schedule``); :mod:`~qdcopt.plotting.report`
writes the self-contained HTML page of a comparison.  No module here uses pyplot or
chooses a backend (:func:`subplots` makes a figure that belongs to no window).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from qdcopt.plotting.figures import subplots

_MODULES = {"datacenter": "qdcopt.plotting.datacenter", "network": "qdcopt.plotting.network",
            "linklayer": "qdcopt.plotting.linklayer", "service": "qdcopt.plotting.service"}


def plot_plan(instance: Any, plan: Any, ax: Axes | None = None, **options: Any) -> Axes:
    """Draw a plan the way its family is read: the family's main picture.

    Parameters
    ----------
    instance
        The instance the plan is for (any family).
    plan
        A plan of the same family.
    ax
        Axes to draw on; a new figure's when None.
    **options
        Passed to the family's picture.

    Returns
    -------
    Axes
        A switch Gantt (family A), the network with its trees (B), the links' generation
        windows (C) or the PGA schedule per resource (D).

    Raises
    ------
    ValueError
        When the plan's family is not the instance's.
    """
    if plan.family != instance.family:
        raise ValueError(f"a {plan.family} plan cannot be drawn on a {instance.family} "
                         "instance")
    return pictures(instance.family).plot(instance, plan, ax=ax, **options)


def plan_figure(instance: Any, plan: Any, simulation: Any = None,
                width: float = 10.0) -> Figure:
    """Every picture of a plan's family, stacked in one figure (what ``qdcopt plot``
    writes): the switch Gantt and the memory of each QPU (family A), the network and,
    with ``simulation``, delivered beside promised (B), the links' generation windows and
    the latency of each request (C), the PGA schedule per resource (D).

    Parameters
    ----------
    instance, plan
        An instance and a plan of the same family.
    simulation
        Family B: what :func:`qdcopt.simulate` returned for the plan.
    width
        Figure width in inches.

    Returns
    -------
    Figure
    """
    if plan.family != instance.family:
        raise ValueError(f"a {plan.family} plan cannot be drawn on a {instance.family} "
                         "instance")
    parts = pictures(instance.family).panels(instance, plan, simulation)
    heights = [h for h, _ in parts]
    fig, axes = subplots(len(parts), 1, figsize=(width, sum(heights)), layout="constrained",
                         squeeze=False, gridspec_kw={"height_ratios": heights})
    for (_, draw), ax in zip(parts, axes[:, 0], strict=True):
        draw(ax)
    return fig


def pictures(family: str) -> Any:
    """The module of pictures of ``family`` (imported when first asked for, so that
    drawing a study's figure loads no family)."""
    return import_module(_MODULES[family])


__all__ = ["pictures", "plan_figure", "plot_plan", "subplots"]
