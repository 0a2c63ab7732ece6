"""Score-based dispatching: paper 003's swap score transposed to the optical switch.

Paper 003 (§IV-E) scores each possible swap by its *immediate benefit*, the
*opportunity loss* it causes other demand, and the *memory relief* it brings, and takes
the best positive score.  Here the decision at a source's decision time is which pair to
serve (possibly after a reconfiguration), and for a candidate pair ``p`` served at event
time ``e`` (now, or after switching):

* benefit ``B = 1 + α · u``, where ``u = 1 / (1 + slack)`` and ``slack`` is the number of
  events between ``e`` and the request's deadline: urgent requests are worth more now
  because later they are lost;
* opportunity loss ``L = β · lost_events + γ · stranded``: ``lost_events`` is the number
  of EPR events the reconfiguration wastes (``(e − now) / period``), and ``stranded`` the
  pending requests of the pair the switch currently connects whose deadlines pass before
  the switch could return to it (they are blocked by the reconfiguration);
* memory relief ``M = δ · occupancy · (1 − storage / t_max)``: a pair that is consumed
  soon after delivery frees its communication qubits soon, which matters in proportion
  to how full the two QPUs' memories are (``occupancy`` is their mean fill ratio, 0 for
  unlimited memories).

``score = B − L + M``; the best candidate among the ``breadth`` most urgent pairs and the
current pair is taken if its score is positive, otherwise the source waits for the next
release or freed qubit.  Defaults: α = 1, β = 0.05, γ = 1, δ = 0.5, breadth = 8.

From :data:`~qdcopt.datacenter.heuristics._kernels.dispatch.COMPILED_FROM` requests on, the same
decisions (and the same float scores) are made by a compiled loop
(:mod:`qdcopt.datacenter.heuristics._kernels.dispatch`); the Python policy below stays the
reference.
"""

from __future__ import annotations

from itertools import islice

from qdcopt.datacenter.heuristics._kernels.dispatch import SCORING
from qdcopt.datacenter.heuristics.dispatch import (
    Dispatcher,
    Pair,
    Serve,
    Switch,
    Wait,
    run_dispatch,
)
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.options import ScoringParams
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.solvers.highs import SolveInfo


def _occupancy(d: Dispatcher, p: Pair) -> float:
    fills = []
    for q in p:
        c = d.cap[q]
        fills.append(0.0 if c is None else len(d.held[q]) / c)
    return sum(fills) / 2


def _stranded(d: Dispatcher, state: Pair, until: int, limit: int = 64) -> int:
    """Pending requests of ``state`` whose deadline passes before ``until`` (counted among
    the first ``limit`` heap entries: the heap's head holds the earliest deadlines)."""
    heap = d.pending.get(state)
    if not heap or heap[0][0] >= until:
        return 0
    return sum(1 for dl, _ in heap[:limit] if dl < until)


def make_policy(alpha: float, beta: float, gamma: float, delta: float, breadth: int):
    """The scoring policy with the given weights."""

    def policy(d: Dispatcher, s: int, now: int) -> Serve | Switch | Wait:
        state = d.state[s]
        period = d.inst.sources[s].period
        t_max = max(d.inst.t_max, 1)
        options = list(islice(d.candidates(s, now), breadth))
        if state is not None and all(p != state for p, _, _ in options):
            own = d.top(state, now)
            if own is not None and d.memory_free(state, now):
                options.append((state, own[0], own[1]))
        best: tuple[float, Serve | Switch] | None = None
        for pair, deadline, _ in options:
            if state is None or pair == state:
                at, action = now, Serve(pair)
            else:
                at = d.switch_ready_event(s, pair, now)
                if at > deadline:
                    continue
                action = Switch(pair, at)
            slack = (deadline - at) // period
            benefit = 1.0 + alpha / (1.0 + slack)
            lost = (at - now) // period
            stranded = _stranded(d, state, at) if (state is not None and pair != state) else 0
            loss = beta * lost + gamma * stranded
            relief = delta * _occupancy(d, pair) * (1.0 - (deadline - at) / t_max)
            score = benefit - loss + relief
            if score > 0 and (best is None or score > best[0]):
                best = (score, action)
        if best is None:
            return Wait(d.wait_time(now))
        return best[1]

    return policy


def scoring(instance: DatacenterInstance, params: ScoringParams | None = None,
            ) -> tuple[DatacenterPlan, SolveInfo]:
    """Schedule with score-based dispatching (weights as in the module docstring).

    Parameters
    ----------
    instance
        The instance.
    params
        The options (:class:`~qdcopt.datacenter.options.ScoringParams`; its defaults when
        ``None``): ``alpha``, ``beta``, ``gamma``, ``delta``, the weights of urgency, lost
        events, stranded requests and memory relief; ``breadth``, the number of most
        urgent pairs scored besides the current one; ``compiled`` as for
        :func:`~qdcopt.datacenter.heuristics.dispatch.run_dispatch` (both loops make the
        same plan).

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    p = params if params is not None else ScoringParams()
    return run_dispatch(instance, "scoring",
                        make_policy(p.alpha, p.beta, p.gamma, p.delta, p.breadth), SCORING,
                        compiled=p.compiled, alpha=p.alpha, beta=p.beta, gamma=p.gamma,
                        delta=p.delta, breadth=p.breadth)
