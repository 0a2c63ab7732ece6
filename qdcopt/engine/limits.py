"""How long and how much a seeded simulation may run: the checks every execution makes.

A simulation runs one event at a time in Python, so its cost is its number of events.
Each family estimates, before the first event, how many events a run of the requested
horizon makes on average (the horizon times the total rate of its event sources) and
refuses a run beyond :data:`MAX_EVENTS_PER_RUN`, or a number of runs beyond
:data:`MAX_SEEDS`.  An infinite or absurd horizon is thus refused at once, with the
instance file, the option and the limit in the message, instead of running for ever.
"""

from __future__ import annotations

import math

from qdcopt.errors import InstanceError

MAX_EVENTS_PER_RUN: float = 1e8
"""Most events (an upper estimate) one simulated run may make: about an hour of one core
at the engine's pace of a few 10⁴–10⁵ events per second."""

MAX_SEEDS: int = 1000
"""Most seeded runs of one simulation."""


def check_seeds(file: str | None, seeds: object) -> int:
    """The number of runs, checked.

    Parameters
    ----------
    file
        The instance file (for the message).
    seeds
        Runs asked for.

    Returns
    -------
    int
        ``seeds`` as an int.

    Raises
    ------
    InstanceError
        Unless ``1 ≤ seeds ≤`` :data:`MAX_SEEDS`.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise InstanceError(file or None, "seeds",
                            f"must be an integer from 1 to {MAX_SEEDS}, got {seeds!r}")
    return seeds


def check_horizon(file: str | None, field: str, horizon: object, *, longest: float,
                  unit: str, events_per_unit: float, sources: str) -> float:
    """A simulation horizon, checked against its longest value and the event cap.

    Parameters
    ----------
    file
        The instance file (for the message).
    field
        The option or field that set the horizon (``duration``, ``controller.days``).
    horizon
        The horizon asked for, in ``unit``.
    longest
        Its largest allowed value, in ``unit``.
    unit
        ``"s"``, ``"days"``, ...
    events_per_unit
        An upper estimate of the run's mean number of events per ``unit`` of horizon.
    sources
        What that rate is made of, for the message (``"4 links × ..."``).

    Returns
    -------
    float
        The horizon.

    Raises
    ------
    InstanceError
        For a horizon that is not a finite positive number, is longer than ``longest``, or
        makes more than :data:`MAX_EVENTS_PER_RUN` events.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float)):
        raise InstanceError(file or None, field, f"must be a number of {unit}, got {horizon!r}")
    value = float(horizon)
    if not (math.isfinite(value) and value > 0):
        raise InstanceError(file or None, field,
                            f"must be a finite positive number of {unit}, got {horizon!r}")
    if value > longest:
        raise InstanceError(file or None, field,
                            f"must be at most {longest:g} {unit}, got {value:g}")
    events = value * events_per_unit
    if events > MAX_EVENTS_PER_RUN:
        raise InstanceError(file or None, field,
                            f"{value:g} {unit} makes about {events:.3g} events per run "
                            f"({sources}); a run may make at most {MAX_EVENTS_PER_RUN:.0e}, "
                            f"so at most {MAX_EVENTS_PER_RUN / events_per_unit:.4g} {unit}")
    return value
