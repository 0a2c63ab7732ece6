"""The seeded discrete-event core shared by every stochastic execution in qdcopt.

* :class:`Simulator` — an event heap in continuous float seconds with deterministic
  tie-breaking, cancellation, ``run(until)`` and a trace hook;
* :class:`Streams` — independent ``numpy.random.Generator`` streams, one per purpose,
  all derived from one seed;
* :func:`mean_ci`, :func:`quantile` — the statistics every simulation reports across
  seeds.

The family-B swapping runtime (``qdcopt.network.runtime``) runs on it; the link-layer
protocols and the demand service use the same loop.
"""

from qdcopt.engine.core import Event, Simulator
from qdcopt.engine.stats import MeanCI, mean_ci, quantile
from qdcopt.engine.streams import Streams

__all__ = ["Event", "MeanCI", "Simulator", "Streams", "mean_ci", "quantile"]
