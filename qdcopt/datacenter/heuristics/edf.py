"""Earliest-deadline-first dispatching of EPR events (after paper 002 §5.2).

Each request is a job with release ``t_need − t_max`` and deadline ``t_need``; each
source is a machine whose slots are its EPR events and whose setup time between pairs
is the switch reconfiguration.  At every decision time of a source, the released request
with the earliest deadline is chosen among those the switch can reach and whose QPUs
have a free communication qubit:

* if the switch already connects its pair (or is still unset), it is served now;
* otherwise switching is *worth it* only when it can still meet that deadline; and if a
  request of the pair the switch already connects is pending, that one is served first
  whenever the urgent request can still be met after it (a free service, no setup);
* a request whose deadline cannot be met by switching is passed over for the next one.

Decision times come from the event grid arithmetic, releases and memory frees, so the
run time depends on the number of requests, not on the number of events.  From
:data:`~qdcopt.datacenter.heuristics._kernels.dispatch.COMPILED_FROM` requests on, the
same decisions are made by a compiled loop
(:mod:`qdcopt.datacenter.heuristics._kernels.dispatch`); the Python engine stays the reference.
"""

from __future__ import annotations

from qdcopt.datacenter.heuristics._kernels.dispatch import EDF
from qdcopt.datacenter.heuristics.dispatch import Dispatcher, Serve, Switch, Wait, run_dispatch
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import EdfParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.solvers.highs import SolveInfo


def _edf_policy(d: Dispatcher, s: int, now: int) -> Serve | Switch | Wait:
    state = d.state[s]
    for pair, deadline, _ in d.candidates(s, now):
        if state is None or pair == state:
            return Serve(pair)
        ready = d.switch_ready_event(s, pair, now)
        if ready > deadline:
            continue
        own = d.top(state, now)
        if own is not None and d.memory_free(state, now):
            after = d.event_at_or_after(s, now + 1 + d.reconfiguration_time(s, pair))
            if after <= deadline:
                return Serve(state)
        return Switch(pair, ready)
    return Wait(d.wait_time(now))


def edf(instance: DatacenterInstance, params: EdfParams | None = None,
        ) -> tuple[DatacenterPlan, SolveInfo]:
    """Schedule with earliest-deadline-first dispatching.

    Parameters
    ----------
    instance
        The instance.
    params
        The options (:class:`~qdcopt.datacenter.options.EdfParams`; its defaults when
        ``None``): ``compiled`` as for
        :func:`~qdcopt.datacenter.heuristics.dispatch.run_dispatch` (both loops make the
        same plan).

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    compiled = (params if params is not None else EdfParams()).compiled
    return run_dispatch(instance, "edf", _edf_policy, EDF, compiled=compiled)
