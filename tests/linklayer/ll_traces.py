"""Hand-made traces for the link-layer tests."""

from __future__ import annotations

from qdcopt.linklayer.instance import LinkInstance, TraceSpec, build_instance
from qdcopt.linklayer.trace import Trace, TraceRequest


def hand_trace(instance: LinkInstance, rows: list[tuple[float, int, int, int]],
               period: float = 1e-3) -> Trace:
    """A trace of ``(created, initiator, remote, attempts)`` rows, every period ``period``."""
    reqs = []
    for i, (t, a, b, n) in enumerate(sorted(rows)):
        e = instance.edge_index[(min(a, b), max(a, b))]
        reqs.append(TraceRequest(i, e, a, b, 1, n, t))
    return Trace(clocks=(5e-7,) * instance.n, periods=(period,) * len(instance.edges),
                 requests=tuple(reqs))


def small(graph: str, duration: float = 0.2, seed: int = 1, **params: int) -> LinkInstance:
    """An instance on a named topology with a short trace."""
    return build_instance(graph, trace=TraceSpec(duration=duration, seed=seed), **params)
