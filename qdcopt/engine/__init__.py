"""The seeded discrete-event core shared by every stochastic execution in qdcopt.

* :class:`Simulator` — an event heap in continuous float seconds with deterministic
  tie-breaking (time, then priority, then scheduling order), cancellation,
  ``run(until)`` and a trace hook;
* :class:`Streams` — independent ``numpy.random.Generator`` streams, one per purpose
  (and integer keys), all derived from one seed, and the seed's root stream;
* :func:`mean_ci`, :func:`quantile` — the statistics every simulation reports across
  seeds.

The family-B swapping runtime (``qdcopt.network.runtime``), the link-layer protocols
(``qdcopt.linklayer.protocols``, through ``qdcopt.linklayer.events``) and the demand
service (``qdcopt.service.simulation.controller``) all run on it; none keeps a loop of its own.
"""

from qdcopt.engine.core import Event, Simulator
from qdcopt.engine.stats import MeanCI, mean_ci, quantile
from qdcopt.engine.streams import Streams

__all__ = ["Event", "MeanCI", "Simulator", "Streams", "mean_ci", "quantile"]
