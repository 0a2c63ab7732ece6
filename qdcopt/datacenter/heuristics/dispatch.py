"""Event-driven dispatching engine shared by the EDF and scoring heuristics.

The engine keeps, for every QPU pair, a heap of the *released* pending requests ordered
by deadline (a request is released at ``t_need − t_max``, the earliest event that may
serve it, and its deadline is ``t_need``), and for every source its next decision
time.  It always advances the source with the earliest decision time, so time only
moves forward and the memory check is exact: the stored-pair count of a QPU only rises
at deliveries, and every pair delivered before now is known.

A *policy* decides, for one source at one time, whether to serve a pair now, to
reconfigure the switch towards another pair, or to wait; it never walks empty events:
waiting jumps to the next release or the next time a communication qubit frees up.

Reconfigurations are placed just in time (they end at the event that uses the new
pair) and never start before the tick after the source's last delivery.

By the paper's switching rule (an instance without ``transit_moves``) the time between
two deliveries is that of the *net* change between their pairs.  A policy may switch
towards a pair and then, at the event, prefer another one: the move towards the pair it
never served is then withdrawn, and the switch changes directly from the last pair it
served, timed by that net change.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator
from dataclasses import dataclass

from qdcopt.datacenter.heuristics._kernels.dispatch import COMPILED_FROM, dispatch_plan
from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.solvers.highs import SolveInfo, Status

Pair = tuple[int, int]


@dataclass(frozen=True)
class Serve:
    """Serve the earliest-deadline request of ``pair`` at the source's current time."""

    pair: Pair


@dataclass(frozen=True)
class Switch:
    """Reconfigure towards ``pair`` so that the new state is ready at event time ``at``."""

    pair: Pair
    at: int


@dataclass(frozen=True)
class Wait:
    """Nothing to do now; decide again at ``until`` (``None``: the source is done)."""

    until: int | None


class Dispatcher:
    """State of an event-driven dispatch run over one instance.

    Parameters
    ----------
    instance
        The instance.
    """

    def __init__(self, instance: DatacenterInstance) -> None:
        self.inst = instance
        req = instance.requests
        self.ids = req.id.tolist()
        self.deadline = req.t_need.tolist()
        self.release = [t - instance.t_max for t in self.deadline]
        self.pair_of = list(zip(req.a.tolist(), req.b.tolist(), strict=True))
        order = sorted(range(len(req)), key=lambda i: (self.release[i], i))
        self.release_order = order
        self.next_release = 0
        self.pending: dict[Pair, list[tuple[int, int]]] = {}
        self.pair_heap: list[tuple[int, Pair]] = []
        self.cap = [q.comm_qubits for q in instance.qpus]
        self.held: list[list[int]] = [[] for _ in instance.qpus]
        self.blocked_at: dict[Pair, int] = {}  # last time a pair's memory was full
        srcs = instance.sources
        self.ports = [set(s.ports) for s in srcs]
        self.state: list[Pair | None] = [None] * len(srcs)
        self.last_time: list[int | None] = [None] * len(srcs)
        self.ready = [0] * len(srcs)
        self.transit = instance.transit_moves
        # per source: (reconfiguration index, state and ready before it) of a move whose
        # pair has not been served yet; withdrawn moves are left out of the plan
        self.unserved_move: list[tuple[int, Pair | None, int] | None] = [None] * len(srcs)
        self.withdrawn: set[int] = set()
        self.initial: dict[str, tuple[str, str] | None] = {s.id: None for s in srcs}
        self.rc: dict[str, list] = {k: [] for k in ("source", "start", "end", "from_a",
                                                     "from_b", "to_a", "to_b")}
        self.d_req: list[str] = []
        self.d_src: list[str] = []
        self.d_evt: list[int] = []
        self.rej_req: list[str] = []
        self.rej_reason: list[str] = []
        self.qname = [q.id for q in instance.qpus]
        reachable = {p for p in set(self.pair_of)
                     if any(p[0] in pt and p[1] in pt for pt in self.ports)}
        for i, p in enumerate(self.pair_of):
            if p not in reachable:
                self.rej_req.append(self.ids[i])
                self.rej_reason.append("no-source")
        self.release_order = [i for i in order if self.pair_of[i] in reachable]

    # -- time and grid ----------------------------------------------------------------------
    def event_at_or_after(self, s: int, t: int) -> int:
        """Time of the first event of source ``s`` at or after ``t``."""
        src = self.inst.sources[s]
        return src.event_time(src.first_event_at_or_after(t))

    def switch_ready_event(self, s: int, pair: Pair, now: int) -> int:
        """Earliest event time ≥ ``now`` at which source ``s`` could serve ``pair`` after
        reconfiguring to it."""
        src = self.inst.sources[s]
        state, ready = self._served_state(s)
        dur = src.reconfiguration_time(state, pair)
        last = self.last_time[s]
        begin = max(ready, last + 1 if last is not None else ready)
        return self.event_at_or_after(s, max(now, begin + dur))

    def _served_state(self, s: int) -> tuple[Pair | None, int]:
        """State and ready time that time the next change of source ``s``: the current
        ones, or by the paper's rule those before a move whose pair was never served."""
        move = self.unserved_move[s]
        if self.transit or move is None:
            return self.state[s], self.ready[s]
        return move[1], move[2]

    def reconfiguration_time(self, s: int, pair: Pair) -> int:
        """Duration of a move of source ``s``'s switch to ``pair``."""
        return self.inst.sources[s].reconfiguration_time(self.state[s], pair)

    # -- pools ----------------------------------------------------------------------------
    def release_until(self, t: int) -> None:
        """Move every request released at or before ``t`` into its pair's pool."""
        order, k = self.release_order, self.next_release
        while k < len(order) and self.release[order[k]] <= t:
            i = order[k]
            p = self.pair_of[i]
            heap = self.pending.setdefault(p, [])
            if not heap or self.deadline[i] < heap[0][0]:
                heapq.heappush(self.pair_heap, (self.deadline[i], p))
            heapq.heappush(heap, (self.deadline[i], i))
            k += 1
        self.next_release = k

    def next_release_time(self) -> int | None:
        """Release time of the next request not yet released."""
        if self.next_release < len(self.release_order):
            return self.release[self.release_order[self.next_release]]
        return None

    def _expire(self, p: Pair, now: int) -> None:
        heap = self.pending.get(p)
        while heap and heap[0][0] < now:
            _, i = heapq.heappop(heap)
            self.rej_req.append(self.ids[i])
            blocked = self.blocked_at.get(p)
            memory = blocked is not None and blocked >= self.release[i]
            self.rej_reason.append("memory" if memory else "no-event")
        if heap:
            heapq.heappush(self.pair_heap, (heap[0][0], p))

    def top(self, p: Pair, now: int) -> tuple[int, int] | None:
        """(deadline, request) of the most urgent live request of pair ``p``."""
        heap = self.pending.get(p)
        if heap and heap[0][0] < now:
            self._expire(p, now)
        return heap[0] if heap else None

    def memory_free(self, p: Pair, now: int) -> bool:
        """Whether both QPUs of ``p`` have a free communication qubit at ``now``."""
        for q in p:
            h = self.held[q]
            while h and h[0] < now:  # closed intervals: a pair used at t still holds at t
                heapq.heappop(h)
            c = self.cap[q]
            if c is not None and len(h) >= c:
                return False
        return True

    def memory_free_time(self, now: int) -> int | None:
        """Earliest tick after ``now`` at which some full QPU frees a communication qubit."""
        times = []
        for q, h in enumerate(self.held):
            while h and h[0] < now:
                heapq.heappop(h)
            if h and self.cap[q] is not None and len(h) >= self.cap[q]:
                times.append(h[0] + 1)
        return min(times) if times else None

    def candidates(self, s: int, now: int) -> Iterator[tuple[Pair, int, int]]:
        """Pairs source ``s`` could serve, most urgent first: ``(pair, deadline, request)``.

        Pairs whose QPUs have no free communication qubit are skipped (and remembered, so
        that a later expiry of a request pending then is reported as a memory rejection).
        """
        stash = []
        seen = set()
        ports = self.ports[s]
        try:
            while self.pair_heap:
                d, p = heapq.heappop(self.pair_heap)
                if p in seen:
                    continue  # a duplicate entry: the pair was already offered
                top = self.top(p, now)
                if top is None or top[0] != d:
                    continue  # stale entry: dropped for good (the live one is elsewhere)
                stash.append((d, p))
                seen.add(p)
                if p[0] not in ports or p[1] not in ports:
                    continue
                if not self.memory_free(p, now):
                    self.blocked_at[p] = now
                    continue
                yield p, top[0], top[1]
        finally:
            for item in stash:
                heapq.heappush(self.pair_heap, item)

    # -- actions --------------------------------------------------------------------------
    def serve(self, s: int, p: Pair, now: int) -> None:
        """Deliver the pair of the event at ``now`` to the most urgent request of ``p``."""
        d, i = heapq.heappop(self.pending[p])
        if self.pending[p]:
            heapq.heappush(self.pair_heap, (self.pending[p][0][0], p))
        src = self.inst.sources[s]
        if self.state[s] is None:
            self.initial[src.id] = (self.qname[p[0]], self.qname[p[1]])
            self.state[s] = p
        self.unserved_move[s] = None
        self.d_req.append(self.ids[i])
        self.d_src.append(src.id)
        self.d_evt.append(src.first_event_at_or_after(now))
        self.last_time[s] = now
        for q in p:
            heapq.heappush(self.held[q], d)

    def switch(self, s: int, p: Pair, at: int) -> None:
        """Record a reconfiguration of source ``s`` to ``p`` that ends at ``at``."""
        src = self.inst.sources[s]
        move = self.unserved_move[s]
        if not self.transit and move is not None:
            self.withdrawn.add(move[0])
            self.state[s], self.ready[s] = move[1], move[2]
            self.unserved_move[s] = None
        old = self.state[s]
        if old == p:  # back to the pair served last: nothing moves
            return
        dur = src.reconfiguration_time(old, p)
        self.unserved_move[s] = (len(self.rc["source"]), old, self.ready[s])
        self.rc["source"].append(src.id)
        self.rc["start"].append(at - dur)
        self.rc["end"].append(at)
        self.rc["from_a"].append(self.qname[old[0]] if old else "")
        self.rc["from_b"].append(self.qname[old[1]] if old else "")
        self.rc["to_a"].append(self.qname[p[0]])
        self.rc["to_b"].append(self.qname[p[1]])
        self.state[s] = p
        self.ready[s] = at

    def wait_time(self, now: int) -> int | None:
        """Next time something can change: a release or a freed communication qubit."""
        times = [t for t in (self.next_release_time(), self.memory_free_time(now))
                 if t is not None and t > now]
        return min(times) if times else None

    # -- driver ---------------------------------------------------------------------------
    def run(self, policy: object, method: str) -> DatacenterPlan:
        """Run ``policy(dispatcher, source, now) -> Serve | Switch | Wait`` to the end."""
        queue: list[tuple[int, int]] = []
        first = self.next_release_time()
        if first is not None:
            for s in range(len(self.inst.sources)):
                queue.append((self.event_at_or_after(s, first), s))
        heapq.heapify(queue)
        while queue:
            now, s = heapq.heappop(queue)
            self.release_until(now)
            action = policy(self, s, now)
            if isinstance(action, Serve):
                self.serve(s, action.pair, now)
                src = self.inst.sources[s]
                heapq.heappush(queue, (now + src.period, s))
            elif isinstance(action, Switch):
                self.switch(s, action.pair, action.at)
                heapq.heappush(queue, (action.at, s))
            elif action.until is not None:
                heapq.heappush(queue, (self.event_at_or_after(s, action.until), s))
            elif self.next_release_time() is None and not any(self.pending.values()):
                break
        for p in list(self.pending):
            self._expire(p, 1 << 62)
        for i in self.release_order[self.next_release:]:
            self.rej_req.append(self.ids[i])
            self.rej_reason.append("no-event")
        if self.withdrawn:
            keep = [j for j in range(len(self.rc["source"])) if j not in self.withdrawn]
            self.rc = {k: [v[j] for j in keep] for k, v in self.rc.items()}
        return DatacenterPlan.build(method, initial=self.initial, reconf=self.rc,
                                    deliveries=(self.d_req, self.d_src, self.d_evt),
                                    rejected=(self.rej_req, self.rej_reason))


def run_dispatch(instance: DatacenterInstance, method: str, policy: object, code: int, *,
                 compiled: bool | None, **weights: float | int,
                 ) -> tuple[DatacenterPlan, SolveInfo]:
    """Run one dispatching policy, compiled or in Python, and state its claim.

    Parameters
    ----------
    instance
        The instance.
    method
        Method name recorded in the plan and the claim.
    policy
        The Python policy, ``policy(dispatcher, source, now) -> Serve | Switch | Wait``.
    code
        The same policy's code in the compiled loop (``EDF`` or ``SCORING`` of
        :mod:`qdcopt.datacenter.heuristics._kernels.dispatch`).
    compiled
        Run the compiled loop (``None``: from
        :data:`~qdcopt.datacenter.heuristics._kernels.dispatch.COMPILED_FROM` requests on).
        Both make the same plan.
    **weights
        The policy's parameters, passed to the compiled loop.

    Returns
    -------
    (DatacenterPlan, SolveInfo)
    """
    started = time.perf_counter()
    if compiled or (compiled is None and len(instance.requests) >= COMPILED_FROM):
        plan = dispatch_plan(instance, method, code, **weights)
    else:
        plan = Dispatcher(instance).run(policy, method)
    return plan, SolveInfo(method=method, status=Status.HEURISTIC, objective=float(plan.n_accepted),
                           time_s=time.perf_counter() - started,
                           extra={"reconfigurations": len(plan.reconfigurations)})
